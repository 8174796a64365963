"""The citizen signed in at the portal: who they are, how they signed in, their tokens.

Everything lives in the server-side session: ``session['citizen']`` (sub, sid, name, the
masked identity number, acr/amr) and ``session['tokens']`` (access, refresh and ID token).
An expired access token is renewed with the refresh token when the provider gave one;
otherwise (or when the refresh is refused) the citizen signs in again, which is a mere
redirect while their session at the provider lasts.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from authlib.integrations.base_client import OAuthError
from flask import current_app, session

from idp.citizens.identity_number import mask_identity_number
from idp.errors import DomainError, Problem
from idp.portal.callback import SignIn
from idp.portal.services import portal
from idp.portal.session_store import index_session

log = logging.getLogger("idp.portal")

# Renew a little before the provider would refuse the token.
EXPIRY_MARGIN_SECONDS = 30
REFRESH_LOCK_SECONDS = 15
# The page language the citizen chose (idp.i18n) outlives signing in and out.
KEPT_ACROSS_SIGN_IN = ("lang",)

REFRESH_IN_PROGRESS = Problem(
    "portal.refresh_in_progress",
    "Phiên đăng nhập đang được gia hạn trong một cửa sổ khác. Vui lòng thử lại.",
)


def describe_sign_in(acr: str | None, amr: list[str] | None) -> str:
    """How the citizen signed in, in words (from ``amr`` (RFC 8176), else ``acr``)."""
    methods = set(amr or [])
    if {"pwd", "sms"} <= methods:
        return "Mật khẩu + OTP qua SMS"
    if {"pwd", "otp"} <= methods:
        return "Mật khẩu + OTP từ ứng dụng xác thực"
    if "pwd" in methods:
        return "Mật khẩu"
    return f"Mức độ đảm bảo {acr}" if acr else "Không xác định"


def _identity_number(userinfo: dict[str, Any]) -> str:
    number = userinfo.get("citizen_id") or userinfo.get("SoDinhDanh") or ""
    return mask_identity_number(number) if number else ""


def start_local_session(sign_in: SignIn) -> None:
    """Sign the citizen in here: a fresh session id, indexed by provider ``sid`` and ``sub``."""
    claims, token, userinfo = sign_in.claims, sign_in.token, sign_in.userinfo
    kept = _kept_across_sign_in()
    session.clear()
    session_id = session.regenerate()
    session.update(kept)
    session["citizen"] = {
        "sub": claims["sub"],
        "sid": claims.get("sid"),
        "name": userinfo.get("name") or userinfo.get("HoVaTen") or "",
        "id_number_masked": _identity_number(userinfo),
        "acr": claims.get("acr"),
        "amr": claims.get("amr") or [],
        "auth_time": claims.get("auth_time"),
        "signed_in_at": int(time.time()),
    }
    session["tokens"] = _token_record(token)
    ttl = int(current_app.config["PORTAL_SESSION_SECONDS"])
    index_session(portal().store, session_id, claims.get("sid"), claims["sub"], ttl)


def _token_record(token: dict[str, Any], previous: dict[str, Any] | None = None) -> dict:
    previous = previous or {}
    expires_in = int(token.get("expires_in") or 0)
    return {
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token") or previous.get("refresh_token"),
        "id_token": previous.get("id_token") or token.get("id_token"),
        "expires_at": int(token.get("expires_at") or time.time() + expires_in),
    }


def current_citizen() -> dict[str, Any] | None:
    """The signed-in citizen of this browser, with how they signed in, or None."""
    citizen = session.get("citizen")
    if not citizen:
        return None
    return {**citizen, "sign_in_method": describe_sign_in(citizen.get("acr"), citizen["amr"])}


def end_local_session() -> dict[str, Any]:
    """Sign out here (the session and its id go); returns the tokens it held."""
    tokens = session.get("tokens") or {}
    kept = _kept_across_sign_in()
    session.clear()
    session.regenerate()
    session.update(kept)
    return tokens


def _kept_across_sign_in() -> dict[str, Any]:
    """The browser's preferences (not who is signed in), carried into the new session."""
    return {key: session[key] for key in KEPT_ACROSS_SIGN_IN if key in session}


def fresh_access_token() -> str | None:
    """A usable access token: the current one, a refreshed one, or None (sign in again)."""
    tokens = session.get("tokens")
    if not tokens:
        return None
    if tokens["expires_at"] > time.time() + EXPIRY_MARGIN_SECONDS:
        return tokens["access_token"]
    if not tokens.get("refresh_token"):
        return None
    # Refresh tokens rotate and a reused one revokes its family at the provider: of two
    # concurrent requests of one session, only one may spend it.
    lock = f"refreshing:{session.ensure_id()}"
    if not portal().store.add(lock, {"at": int(time.time())}, REFRESH_LOCK_SECONDS):
        raise DomainError(REFRESH_IN_PROGRESS)
    try:
        renewed = portal().provider.call(
            "fetch_access_token",
            grant_type="refresh_token",
            refresh_token=tokens["refresh_token"],
        )
    except OAuthError as exc:
        log.info("refresh refused: %s", exc)
        return None
    finally:
        portal().store.delete(lock)
    session["tokens"] = _token_record(dict(renewed), tokens)
    return session["tokens"]["access_token"]
