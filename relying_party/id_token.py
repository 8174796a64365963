"""ID token validation (OIDC Core §3.1.3.7), as a pure function.

``validate_id_token(token, fetch_jwks, expected)`` checks, in the specification's order:
the signature against the provider's JWK Set (re-fetched once for an unknown ``kid``),
an allowed algorithm (never ``none``), ``iss`` byte for byte, ``aud`` containing the
client, ``azp`` (Authlib's ``CodeIDToken``), ``exp`` and ``iat`` with a small leeway,
``iat`` not stale, the ``nonce`` sent in the authorization request, ``at_hash`` when an
access token came with it, and the ``acr`` that was asked for.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from authlib.oidc.core import CodeIDToken
from joserfc.errors import ClaimError, JoseError

from relying_party.errors import Problem
from relying_party.signed_jwt import JwksFetcher, TokenRejected, verify_signed_jwt

ID_TOKEN_REJECTED = Problem(
    "portal.id_token_rejected",
    "Không xác minh được thông tin đăng nhập do Cổng DVC Quốc gia gửi về. "
    "Vì an toàn, phiên đăng nhập này đã bị hủy. Vui lòng đăng nhập lại.",
)


@dataclass(frozen=True)
class ExpectedIdToken:
    """What this ID token must say, from the client's settings and its saved request."""

    issuer: str
    client_id: str
    nonce: str
    acr_values: Collection[str] = ("LoA1",)
    algorithms: Collection[str] = ("RS256", "ES256")
    access_token: str | None = None
    leeway: int = 60
    max_age: int = 600


def _claims_options(expected: ExpectedIdToken) -> dict[str, dict[str, Any]]:
    options = {
        "iss": {"essential": True, "value": expected.issuer},
        "aud": {"essential": True, "value": expected.client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    if expected.acr_values:
        options["acr"] = {"essential": True, "values": list(expected.acr_values)}
    return options


def validate_id_token(
    token: str,
    fetch_jwks: JwksFetcher,
    expected: ExpectedIdToken,
    now: int | None = None,
) -> dict[str, Any]:
    """The ID token's claims once every check passed; ``TokenRejected`` otherwise."""
    if not expected.nonce:
        raise TokenRejected(ID_TOKEN_REJECTED, "nonce")
    verified = verify_signed_jwt(token, fetch_jwks, expected.algorithms, ID_TOKEN_REJECTED)
    now = int(time.time()) if now is None else now
    claims = CodeIDToken(
        verified.claims,
        verified.header,
        _claims_options(expected),
        {
            "nonce": expected.nonce,
            "client_id": expected.client_id,
            "access_token": expected.access_token,
        },
    )
    try:
        claims.validate(now=now, leeway=expected.leeway)
    except ClaimError as exc:
        raise TokenRejected(ID_TOKEN_REJECTED, exc.claim) from exc
    except JoseError as exc:
        raise TokenRejected(ID_TOKEN_REJECTED, "claims") from exc
    if claims["iat"] < now - expected.max_age - expected.leeway:
        raise TokenRejected(ID_TOKEN_REJECTED, "iat")
    return dict(claims)
