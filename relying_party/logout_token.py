"""Logout token validation (OpenID Connect Back-Channel Logout 1.0 §2.6), a pure function.

Checks: explicit type ``logout+jwt`` (§2.4), the signature against the provider's JWK Set
(re-fetched once for an unknown ``kid``), ``iss``, ``aud``, ``iat`` (not in the future,
not stale), ``exp`` if present, a ``jti``, the back-channel ``events`` member, at least
one of ``sid`` and ``sub``, and no ``nonce`` (so an ID token cannot pass as one).
Replay of a ``jti`` is the caller's check: it needs the store.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import ClaimError, JoseError

from relying_party.errors import Problem
from relying_party.signed_jwt import JwksFetcher, TokenRejected, verify_signed_jwt

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TYPES = ("logout+jwt", "application/logout+jwt")
MAX_JTI_LENGTH = 256

LOGOUT_TOKEN_REJECTED = Problem("portal.logout_token_rejected", "Logout token không hợp lệ.")


@dataclass(frozen=True)
class ExpectedLogoutToken:
    issuer: str
    client_id: str
    algorithms: Collection[str] = ("RS256", "ES256")
    leeway: int = 60
    max_age: int = 300


def _reject(reason: str) -> TokenRejected:
    return TokenRejected(LOGOUT_TOKEN_REJECTED, reason)


def _check_shape(claims: dict[str, Any]) -> None:
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
        raise _reject("events")
    if "nonce" in claims:
        raise _reject("nonce")
    if len(claims["jti"]) > MAX_JTI_LENGTH:
        raise _reject("jti")
    sid, sub = claims.get("sid"), claims.get("sub")
    if not sid and not sub:
        raise _reject("sid")
    if (sid is not None and not isinstance(sid, str)) or (
        sub is not None and not isinstance(sub, str)
    ):
        raise _reject("sid")


def validate_logout_token(
    token: str,
    fetch_jwks: JwksFetcher,
    expected: ExpectedLogoutToken,
    now: int | None = None,
) -> dict[str, Any]:
    """The logout token's claims once every check passed; ``TokenRejected`` otherwise."""
    verified = verify_signed_jwt(token, fetch_jwks, expected.algorithms, LOGOUT_TOKEN_REJECTED)
    if str(verified.header.get("typ", "")).lower() not in LOGOUT_TYPES:
        raise _reject("typ")
    now = int(time.time()) if now is None else now
    registry = jwt.JWTClaimsRegistry(
        now=now,
        leeway=expected.leeway,
        iss={"essential": True, "value": expected.issuer},
        aud={"essential": True, "value": expected.client_id},
        iat={"essential": True},
        jti={"essential": True},
    )
    claims = verified.claims
    try:
        registry.validate(claims)
    except ClaimError as exc:
        raise _reject(exc.claim) from exc
    except JoseError as exc:
        raise _reject("claims") from exc
    if claims["iat"] < now - expected.max_age - expected.leeway:
        raise _reject("iat")
    _check_shape(claims)
    return dict(claims)
