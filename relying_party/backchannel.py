"""Receiving a back-channel logout (OpenID Connect Back-Channel Logout 1.0 §2.5-2.8).

The provider POSTs ``logout_token``; once it is valid and its ``jti`` has not been seen,
every session here of the named provider session (``sid``), or of the citizen
(``sub``) when no ``sid`` is given, ends, on whichever replica holds it.
"""

from __future__ import annotations

from relying_party.logout_token import (
    LOGOUT_TOKEN_REJECTED,
    ExpectedLogoutToken,
    validate_logout_token,
)
from relying_party.services import rp
from relying_party.session_store import end_sessions
from relying_party.signed_jwt import TokenRejected

# A jti is remembered for longer than a token stays acceptable (max_age + leeway).
JTI_MEMORY_SECONDS = 900


def receive_logout_token(raw: str | None) -> int:
    """Validate a logout token and end the sessions it names; returns how many ended."""
    provider = rp().provider
    expected = ExpectedLogoutToken(
        issuer=provider.issuer,
        client_id=provider.client_id,
        algorithms=tuple(provider.id_token_algorithms()),
        leeway=provider.settings.clock_leeway,
    )
    claims = validate_logout_token(raw or "", provider.fetch_jwks, expected)
    store = rp().store
    if not store.add(f"logout-jti:{claims['jti']}", {"iat": claims["iat"]}, JTI_MEMORY_SECONDS):
        raise TokenRejected(LOGOUT_TOKEN_REJECTED, "jti")
    return end_sessions(store, sid=claims.get("sid"), sub=claims.get("sub"))
