"""The relying party's routes, added to the mounting app's blueprint.

``start_login`` (GET, to the provider's authorization endpoint: code flow, PKCE S256,
state, nonce) · ``callback`` (GET, the redirect URI) · ``logout`` (POST, RP-Initiated
Logout 1.0) · ``backchannel_logout`` (POST, Back-Channel Logout 1.0 §2.5, CSRF-exempt).
The app's own ``home`` and ``login`` endpoints on the same blueprint are where the
browser goes after logout and where "Thử lại" leads.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from authlib.integrations.base_client import OAuthError
from flask import Blueprint, g, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue

from relying_party.backchannel import receive_logout_token
from relying_party.callback import complete_authorization
from relying_party.errors import Problem, RelyingPartyError
from relying_party.services import rp
from relying_party.signed_in import current_citizen, end_local_session, start_local_session
from relying_party.signed_jwt import TokenRejected

log = logging.getLogger("relying_party")

LOGOUT_STATE_INVALID = Problem(
    "portal.logout_state_invalid",
    "Phản hồi đăng xuất từ Cổng Dịch vụ công Quốc gia không hợp lệ (tham số state "
    "không khớp). Vui lòng kiểm tra trạng thái đăng nhập và đăng xuất lại nếu cần.",
)
LOGGED_OUT_HERE_ONLY = Problem(
    "portal.logged_out_here_only",
    "Bạn đã đăng xuất khỏi cổng dịch vụ công tỉnh, nhưng chưa đăng xuất được khỏi "
    "Cổng Dịch vụ công Quốc gia. Vui lòng thử lại sau.",
)


def local_path(raw: str | None) -> str:
    """``raw`` if it is a path on this site (never another site), else ``/``."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/"
    parts = urlsplit(raw)
    return raw if not parts.scheme and not parts.netloc else "/"


def logged_out_at_provider() -> bool:
    """True when this request is the provider's post-logout redirect (its ``state``
    checked, RP-Initiated Logout 1.0 §3); ``LOGOUT_STATE_INVALID`` for a wrong one."""
    if "state" not in request.args:
        return False
    try:
        rp().provider.oauth_app.validate_logout_response()
    except OAuthError:
        raise RelyingPartyError(LOGOUT_STATE_INVALID) from None
    return True


def start_login() -> ResponseReturnValue:
    """To the provider's authorization endpoint; ``next`` is where to land afterwards."""
    g.retry_url = url_for(".login")
    url = rp().provider.start_authorization(
        rp().settings.redirect_uri, purpose="login", next=local_path(request.args.get("next"))
    )
    return redirect(url)


def callback() -> ResponseReturnValue:
    """The authorization response: checked, redeemed, and the citizen signed in here."""
    g.retry_url = url_for(".login")
    sign_in = complete_authorization(rp().provider, request.args)
    start_local_session(sign_in)
    log.info("signed in sub=%s sid=%s", sign_in.claims["sub"], sign_in.claims.get("sid"))
    return redirect(local_path(sign_in.saved.get("next")))


def logout() -> ResponseReturnValue:
    """Sign out here, then at the provider (RP-Initiated Logout 1.0 §2)."""
    signed_in = current_citizen() is not None
    tokens = end_local_session()
    if not signed_in or not tokens.get("id_token"):
        return redirect(url_for(".home"))
    provider = rp().provider
    g.retry_url = url_for(".home")
    try:
        metadata = provider.metadata()
    except RelyingPartyError:
        raise RelyingPartyError(LOGGED_OUT_HERE_ONLY) from None
    if not metadata.get("end_session_endpoint"):
        return redirect(url_for(".home"))
    extra = {}
    locale = rp().ui_locales()
    if locale:
        extra["ui_locales"] = locale  # RP-Initiated Logout 1.0 §2
    return provider.oauth_app.logout_redirect(
        post_logout_redirect_uri=rp().settings.post_logout_redirect_uri,
        id_token_hint=tokens["id_token"],
        client_id=provider.client_id,
        **extra,
    )


def backchannel_logout() -> ResponseReturnValue:
    """Back-Channel Logout 1.0 §2.5: 200 once the sessions ended, 400 for a bad token."""
    try:
        ended = receive_logout_token(request.form.get("logout_token"))
    except TokenRejected as exc:
        log.warning("logout token rejected: %s", exc.reason)
        body = jsonify(error="invalid_request", error_description=f"logout_token: {exc.reason}")
        return body, 400, {"Cache-Control": "no-store"}
    except RelyingPartyError as exc:  # the provider's JWK Set cannot be fetched: retry later
        body = jsonify(error="temporarily_unavailable", error_description=exc.problem.code)
        return body, 503, {"Cache-Control": "no-store", "Retry-After": "5"}
    log.info("back-channel logout ended %d session(s)", ended)
    return "", 200, {"Cache-Control": "no-store"}


def add_routes(
    bp: Blueprint,
    login_path: str = "/login/national",
    logout_path: str = "/logout",
    backchannel_path: str = "/backchannel-logout",
    callback_path: str = "/callback",
) -> None:
    """Add the four routes to ``bp`` (which must also have ``home`` and ``login``)."""
    bp.add_url_rule(login_path, "start_login", start_login, methods=["GET"])
    bp.add_url_rule(callback_path, "callback", callback, methods=["GET"])
    bp.add_url_rule(logout_path, "logout", logout, methods=["POST"])
    bp.add_url_rule(backchannel_path, "backchannel_logout", backchannel_logout, methods=["POST"])
