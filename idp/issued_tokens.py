"""What ending a citizen's sessions does to what the protocol issued in them.

``idp.sign_out`` ends sessions for every caller (flows, account, console, federation) and
asks the protocol side, through ``IssuedTokens``, to revoke the tokens issued in them and
to tell their agencies. The protocol side provides it (``idp.oidc.session_tokens``,
installed by ``init_oauth``), so signing out imports nothing of ``idp.oidc`` and neither
do the flows above it (import-linter contracts in setup.cfg, indirect imports counted).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Protocol

from flask import current_app

if TYPE_CHECKING:
    from idp.login_session import LoginSession


class IssuedTokens(Protocol):
    def revoke_of_citizen(self, citizen_id: int) -> int:
        """Revoke every access and refresh token of the citizen (the caller commits);
        how many refresh tokens were revoked."""
        ...

    def revoke_of_sessions(self, sessions: list[LoginSession]) -> Counter[str]:
        """Revoke the tokens issued in ``sessions`` (the caller commits); the number of
        refresh tokens revoked, by ``sid``."""
        ...

    def tell_agencies(self, session: LoginSession) -> None:
        """Send the session's agencies their back-channel logout tokens."""
        ...


def issued_tokens() -> IssuedTokens:
    """The current app's protocol side, as signing out sees it."""
    return current_app.extensions["issued_tokens"]
