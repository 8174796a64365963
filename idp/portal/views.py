"""The portal's pages (user guide parts 1-2 as the provincial portal shows them).

``/`` home ("Đăng nhập", "Đăng ký"; the citizen once signed in; where the provider sends
the browser back after logout) · ``/login`` the chooser ("Đăng nhập Cổng DVC Quốc gia")
· ``/login/national`` and ``/register`` start an authorization request · ``/callback``
· ``/account`` (uses the access token) · ``/logout`` · ``/backchannel-logout``.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

import requests
from authlib.integrations.base_client import OAuthError
from flask import (
    Blueprint,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from idp.citizens.phone import mask_phone
from idp.errors import DomainError, Problem
from idp.i18n import page_locale
from idp.portal.backchannel import receive_logout_token
from idp.portal.callback import complete_authorization
from idp.portal.services import portal
from idp.portal.signed_in import (
    current_citizen,
    end_local_session,
    fresh_access_token,
    start_local_session,
)
from idp.portal.signed_jwt import TokenRejected

log = logging.getLogger("idp.portal")

bp = Blueprint("portal", __name__)

LOGGED_OUT = "Bạn đã đăng xuất khỏi cổng dịch vụ công tỉnh và Cổng Dịch vụ công Quốc gia."
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


def _local_path(raw: str | None) -> str:
    """``raw`` if it is a path on this portal (never another site), else ``/``."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/"
    parts = urlsplit(raw)
    return raw if not parts.scheme and not parts.netloc else "/"


def _redirect_uri() -> str:
    return current_app.config["PORTAL_BASE_URL"] + "/callback"


@bp.get("/")
def home():
    """Home; also the post-logout redirect target (its ``state`` is checked here)."""
    notice = None
    if "state" in request.args:
        try:
            portal().provider.oauth_app.validate_logout_response()
        except OAuthError:
            raise DomainError(LOGOUT_STATE_INVALID) from None
        notice = LOGGED_OUT
    return render_template("portal/home.html", citizen=current_citizen(), notice=notice)


@bp.get("/login")
def login():
    """Step 3: the portal's choice of how to sign in."""
    return render_template("portal/login.html")


@bp.get("/login/national")
def start_login():
    """ "Đăng nhập Cổng DVC Quốc gia": to the provider's authorization endpoint."""
    g.retry_url = url_for("portal.login")
    url = portal().provider.start_authorization(
        _redirect_uri(), purpose="login", next=_local_path(request.args.get("next"))
    )
    return redirect(url)


@bp.get("/register")
def register():
    """ "Đăng ký": the provider's registration, which then continues this authorization."""
    g.retry_url = url_for("portal.register")
    provider = portal().provider
    url = provider.start_authorization(_redirect_uri(), purpose="register", next="/")
    parts = urlsplit(url)
    # ``lang`` is the provider's own page-language switch (its registration pages come
    # before the authorization request, whose ``ui_locales`` it honours afterwards).
    query = urlencode({"return_to": f"{parts.path}?{parts.query}", "lang": page_locale()})
    return redirect(f"{provider.issuer}/register?{query}")


@bp.get("/callback")
def callback():
    """The authorization response: checked, redeemed, and the citizen signed in here."""
    g.retry_url = url_for("portal.login")
    sign_in = complete_authorization(portal().provider, request.args, current_app.config)
    start_local_session(sign_in)
    log.info("signed in sub=%s sid=%s", sign_in.claims["sub"], sign_in.claims.get("sid"))
    return redirect(_local_path(sign_in.saved.get("next")))


@bp.get("/account")
def account():
    """The citizen's details, read fresh from userinfo with a valid access token."""
    if current_citizen() is None:
        return redirect(url_for("portal.login"))
    access_token = fresh_access_token()
    userinfo = None
    if access_token:
        try:
            token = {"access_token": access_token, "token_type": "Bearer"}
            userinfo = portal().provider.call("userinfo", token=token)
        except requests.HTTPError:
            userinfo = None
    if userinfo is None:
        end_local_session()
        return redirect(url_for("portal.start_login", next=url_for("portal.account")))
    phone = userinfo.get("phone_number") or ""
    return render_template(
        "portal/account.html",
        citizen=current_citizen(),
        info=userinfo,
        phone_masked=mask_phone(phone) if phone.startswith("+84") else "",
    )


@bp.post("/logout")
def logout():
    """Sign out here, then at the provider (RP-Initiated Logout 1.0 §2)."""
    signed_in = current_citizen() is not None
    tokens = end_local_session()
    if not signed_in or not tokens.get("id_token"):
        return redirect(url_for("portal.home"))
    provider = portal().provider
    g.retry_url = url_for("portal.home")
    try:
        metadata = provider.metadata()
    except DomainError:
        raise DomainError(LOGGED_OUT_HERE_ONLY) from None
    if not metadata.get("end_session_endpoint"):
        return redirect(url_for("portal.home"))
    return provider.oauth_app.logout_redirect(
        post_logout_redirect_uri=current_app.config["PORTAL_BASE_URL"] + "/",
        id_token_hint=tokens["id_token"],
        client_id=provider.client_id,
        ui_locales=page_locale(),  # RP-Initiated Logout 1.0 §2
    )


@bp.post("/backchannel-logout")
def backchannel_logout():
    """Back-Channel Logout 1.0 §2.5: 200 once the sessions ended, 400 for a bad token."""
    try:
        ended = receive_logout_token(request.form.get("logout_token"))
    except TokenRejected as exc:
        log.warning("logout token rejected: %s", exc.reason)
        body = jsonify(error="invalid_request", error_description=f"logout_token: {exc.reason}")
        return body, 400, {"Cache-Control": "no-store"}
    except DomainError as exc:  # the provider's JWK Set cannot be fetched: retry later
        body = jsonify(error="temporarily_unavailable", error_description=exc.problem.code)
        return body, 503, {"Cache-Control": "no-store", "Retry-After": "5"}
    log.info("back-channel logout ended %d session(s)", ended)
    return "", 200, {"Cache-Control": "no-store"}
