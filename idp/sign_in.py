"""Signing a citizen in at the provider: the one way every caller does it.

A previous session of this browser (``prompt=login``, or another citizen signing in on the
same browser) ends first, the one way sessions end (``idp.sign_out.end_sessions``: its
tokens are revoked and its agencies get back-channel logouts), before the new session
exists (``idp.login_session.begin_session``). Layered above both, so the session records
never import the sign-out that revokes tokens.
"""

from __future__ import annotations

from idp.login_session import LoginSession, UpstreamSession, begin_session, current_login
from idp.sign_out import end_sessions


def start_login(
    citizen_id: int, amr: list[str], acr: str, upstream: UpstreamSession | None = None
) -> LoginSession:
    """Sign the citizen in on this browser: a fresh session id, the old session ended.
    ``upstream``: the upstream session this login came from (federation)."""
    old = current_login()
    if old:
        end_sessions([old], reason="signed_in_again")
    return begin_session(citizen_id, amr, acr, upstream)
