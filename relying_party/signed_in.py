"""The citizen signed in here: who they are, how they signed in, their tokens.

Everything lives in the server-side session: ``session['citizen']`` (sub, sid, acr/amr,
auth_time and the fields of the mounter's ``profile`` hook) and ``session['tokens']``
(access, refresh and ID token).
An expired access token is renewed with the refresh token when the provider gave one;
otherwise (or when the refresh is refused) the citizen signs in again, which is a mere
redirect while their session at the provider lasts.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from authlib.integrations.base_client import OAuthError
from flask import session

from relying_party.callback import SignIn
from relying_party.errors import Problem, RelyingPartyError
from relying_party.services import rp
from relying_party.session_store import index_session

log = logging.getLogger("relying_party")

# Renew a little before the provider would refuse the token.
EXPIRY_MARGIN_SECONDS = 30
REFRESH_LOCK_SECONDS = 15

REFRESH_IN_PROGRESS = Problem(
    "portal.refresh_in_progress",
    "Phiên đăng nhập đang được gia hạn trong một cửa sổ khác. Vui lòng thử lại.",
)


def start_local_session(sign_in: SignIn) -> None:
    """Sign the citizen in here: a fresh session id, indexed by provider ``sid`` and ``sub``."""
    claims, token = sign_in.claims, sign_in.token
    kept = _kept_across_sign_in()
    session.clear()
    session_id = session.regenerate()
    session.update(kept)
    session["citizen"] = {
        "sub": claims["sub"],
        "sid": claims.get("sid"),
        "acr": claims.get("acr"),
        "amr": claims.get("amr") or [],
        "auth_time": claims.get("auth_time"),
        "signed_in_at": int(time.time()),
        **rp().profile(sign_in),
    }
    session["tokens"] = _token_record(token)
    ttl = rp().settings.session_seconds
    index_session(rp().store, session_id, claims.get("sid"), claims["sub"], ttl)


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
    """The signed-in citizen of this browser (``session['citizen']``), or None."""
    return session.get("citizen") or None


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
    return {key: session[key] for key in rp().kept_across_sign_in if key in session}


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
    if not rp().store.add(lock, {"at": int(time.time())}, REFRESH_LOCK_SECONDS):
        raise RelyingPartyError(REFRESH_IN_PROGRESS)
    try:
        renewed = rp().provider.call(
            "fetch_access_token",
            grant_type="refresh_token",
            refresh_token=tokens["refresh_token"],
        )
    except OAuthError as exc:
        log.info("refresh refused: %s", exc)
        return None
    finally:
        rp().store.delete(lock)
    session["tokens"] = _token_record(dict(renewed), tokens)
    return session["tokens"]["access_token"]
