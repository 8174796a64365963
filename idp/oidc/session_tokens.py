"""``idp.issued_tokens.IssuedTokens`` on the protocol side: revoking the tokens issued in a
citizen's sessions and telling the sessions' agencies (``idp.sign_out`` calls it).

Refresh tokens are rows (``Token``), found by ``citizen_id`` or by the session's ``sid``
(inherited by rotated refresh tokens); access tokens are revoked by one marker per citizen
or per session in the store (``idp.oidc.access_tokens``); agencies are told by
back-channel logout (``idp.oidc.backchannel``).
"""

from __future__ import annotations

from collections import Counter

from idp.extensions import db
from idp.login_session import LoginSession
from idp.oidc.access_tokens import group_key, revoke_group
from idp.oidc.backchannel import send_backchannel_logouts
from idp.oidc.models import Token
from idp.oidc.tokens import revoke_rows


def _revoke_live(*conditions) -> list[Token]:
    """Revoke the refresh tokens matching ``conditions`` that still work, with the access
    token issued alongside each (the caller commits)."""
    live = Token.refresh_token_hash.is_not(None) & (Token.refresh_token_revoked_at == 0)
    rows = list(db.session.scalars(db.select(Token).where(live, *conditions)).all())
    revoke_rows(rows)
    return rows


class SessionTokens:
    """The tokens and agencies of login sessions."""

    def revoke_of_citizen(self, citizen_id: int) -> int:
        revoke_group(group_key("citizen", citizen_id))
        return len(_revoke_live(Token.citizen_id == citizen_id))

    def revoke_of_sessions(self, sessions: list[LoginSession]) -> Counter[str]:
        for session in sessions:
            revoke_group(group_key("sid", session.sid))
        # One query for all of them; a sid is random, the citizen check only belts and braces.
        return Counter(
            row.sid
            for row in _revoke_live(
                Token.sid.in_({s.sid for s in sessions}),
                Token.citizen_id.in_({s.citizen_id for s in sessions}),
            )
        )

    def tell_agencies(self, session: LoginSession) -> None:
        send_backchannel_logouts(session)
