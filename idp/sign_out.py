"""Ending a citizen's sessions at the provider: the one way every caller does it.

Ending a login session always means three things together:

1. the session leaves the store, so its cookie and ``sid`` no longer work
   (``idp.login_session``);
2. the access and refresh tokens issued in it are revoked: a refresh grant answers
   ``invalid_grant``, introspection ``active: false`` and userinfo 401;
3. every agency that received tokens in it and registered a ``backchannel_logout_uri``
   gets a logout token (OpenID Connect Back-Channel Logout 1.0).

The last two are the protocol side's (``idp.issued_tokens``, provided by
``idp.oidc.session_tokens``), so this module imports nothing of ``idp.oidc``.

Callers: RP-initiated logout (one session), a new login on a browser that still has a
session (``idp.sign_in.start_login``: ``prompt=login`` or another citizen), the
account page (one session, every other session after a password change, "sign out
everywhere"), the password reset, an operator locking an account (console) and a
complaint resolution that locks an account or changes its phone number (console and CLI).
The last three also revoke every other token of the
citizen (``revoke_tokens_of``) in their own transaction, before the sessions end.
"""

from __future__ import annotations

from contextlib import nullcontext

from flask import current_app, has_request_context

from idp import audit
from idp.extensions import db
from idp.issued_tokens import issued_tokens
from idp.login_session import LoginSession, end_login, sessions_of


def revoke_tokens_of(citizen_id: int) -> int:
    """Revoke every access and refresh token of the citizen (the caller commits); returns
    how many refresh tokens were revoked. Access tokens: one marker for the citizen."""
    return issued_tokens().revoke_of_citizen(citizen_id)


def end_sessions(sessions: list[LoginSession], reason: str, **details: object) -> int:
    """End ``sessions``, revoke their tokens and tell their agencies; returns how many.

    Each ended session is audited as ``logout`` with ``reason`` (and ``details``); each
    back-channel delivery as ``logout.backchannel_sent`` / ``logout.backchannel_failed``.
    Works without a request (the CLI): ``end_login`` then gets a blank one.
    """
    if not sessions:
        return 0
    context = nullcontext() if has_request_context() else current_app.test_request_context()
    with context:
        for session in sessions:
            end_login(session)
    tokens = issued_tokens()
    revoked = tokens.revoke_of_sessions(sessions)
    db.session.commit()
    for session in sessions:
        audit.record(
            "logout",
            citizen_id=session.citizen_id,
            sid=session.sid,
            reason=reason,
            revoked_tokens=revoked[session.sid],
            **details,
        )
    for session in sessions:
        tokens.tell_agencies(session)
    return len(sessions)


def end_citizen_sessions(citizen_id: int, reason: str, **details: object) -> int:
    """End every session of the citizen, with the same revocation and notices."""
    return end_sessions(sessions_of(citizen_id), reason, **details)
