"""Provider sessions that came from an upstream session, and logout both ways.

- The upstream ends its session (OpenID Connect Back-Channel Logout 1.0): its logout
  token names the upstream ``sid`` (or only the ``sub``); every provider session that came
  from it ends the one way sessions end (``idp.sign_out``: tokens revoked, our agencies
  told by back-channel logout).
- The provider's session ends (RP-initiated logout, the account page): when the upstream
  is configured for it (``--logout-upstream``) and offers an ``end_session_endpoint``,
  the browser goes there first with the upstream ID token as hint, and comes back to
  ``/upstream/{name}/signed-out`` to continue where it was going.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import url_for

from idp import audit
from idp.federation import upstream_client
from idp.federation.linking import link_to
from idp.federation.models import Upstream
from idp.federation.upstreams import addresses, find_upstream
from idp.login_session import LoginSession, sessions_from_upstream, sessions_of
from idp.services import store
from idp.sign_out import end_sessions

LOGOUT_RETURN_SECONDS = 600
JTI_SECONDS = 3600


def sessions_to_end(upstream: Upstream, claims: dict) -> list[LoginSession]:
    """The provider sessions a checked upstream logout token names."""
    sid, sub = claims.get("sid"), claims.get("sub")
    if sid:
        found = sessions_from_upstream(upstream.name, sid)
        if not sub:
            return found
        link = link_to(upstream.issuer, sub)
        return [s for s in found if link is not None and s.citizen_id == link.citizen_id]
    link = link_to(upstream.issuer, sub)
    if link is None:
        return []
    return [s for s in sessions_of(link.citizen_id) if s.upstream == upstream.name]


def first_use_of(upstream: Upstream, jti: str) -> bool:
    """Whether a logout token's ``jti`` is new (a replayed token is refused)."""
    digest = hashlib.sha256(f"{upstream.issuer}|{jti}".encode()).hexdigest()
    return store().add(f"upstream-logout-jti:{digest}", {"seen": 1}, JTI_SECONDS)


def end_from_upstream(upstream: Upstream, claims: dict) -> int:
    """End the sessions the logout token names; how many ended."""
    sessions = sessions_to_end(upstream, claims)
    ended = end_sessions(sessions, reason="upstream_logout", upstream=upstream.name)
    audit.record("upstream.logout_received", upstream=upstream.name, sessions=ended)
    return ended


def onward(login: LoginSession, destination: str) -> str:
    """Where the browser goes once ``login`` ended: the upstream's own logout first when
    the session came from an upstream configured for it, else ``destination``."""
    upstream = find_upstream(login.upstream, active_only=False) if login.upstream else None
    if upstream is None or not upstream.logout_upstream or not login.upstream_id_token:
        return destination
    state = secrets.token_urlsafe(24)
    back = addresses(upstream.name)["post_logout_redirect_uri"]
    url = upstream_client.end_session_url(upstream, login.upstream_id_token, back, state)
    if url is None:
        return destination
    store().set(
        f"upstream-logout:{state}",
        {"next": destination, "upstream": upstream.name},
        LOGOUT_RETURN_SECONDS,
    )
    return url


def destination_after(name: str, state: str) -> str:
    """Where to continue after the upstream's logout (the saved destination, once)."""
    saved = store().pop(f"upstream-logout:{state}") if 0 < len(state) <= 64 else None
    if not saved or saved.get("upstream") != name:
        return url_for("logout.done")
    return saved["next"]
