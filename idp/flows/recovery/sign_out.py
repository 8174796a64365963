"""Ending everything a citizen is signed in with: login sessions and issued tokens.

Used when the password is reset and when an operator locks an account.
"""

from __future__ import annotations

from flask import current_app, has_request_context

from idp.extensions import db
from idp.login_session import end_all_logins
from idp.oidc.models import Token


def revoke_tokens_of(citizen_id: int) -> int:
    """Revoke every live access and refresh token of the citizen (the caller commits)."""
    rows = db.session.scalars(
        db.select(Token).where(
            Token.citizen_id == citizen_id,
            (Token.access_token_revoked_at == 0)
            | ((Token.refresh_token_hash.is_not(None)) & (Token.refresh_token_revoked_at == 0)),
        )
    ).all()
    for row in rows:
        row.revoke()
    return len(rows)


def end_sessions_of(citizen_id: int) -> int:
    """End every login session of the citizen at the provider; returns how many ended."""
    if has_request_context():
        return len(end_all_logins(citizen_id))
    # end_login looks at the request's cookie; the CLI has no request, so give it one.
    with current_app.test_request_context():
        return len(end_all_logins(citizen_id))
