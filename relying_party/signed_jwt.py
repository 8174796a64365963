"""Checking a JWS-signed JWT against the provider's JWK Set (RFC 7515, RFC 7517).

Shared by the ID token (OIDC Core §3.1.3.7 steps 6-8) and the logout token
(Back-Channel Logout 1.0 §2.6 step 3). Only the algorithms the relying party expects are
accepted, so ``alg: none`` and an HMAC "signed" with a public key both fail. A ``kid``
missing from the cached set triggers one re-fetch of the set (the provider rotated its
keys); if the kid is still unknown the token is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    InvalidKeyIdError,
    JoseError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import KeySet

from relying_party.errors import Problem, RelyingPartyError

#: ``fetch_jwks(force)``: the provider's JWK Set; ``force`` bypasses any cache.
JwksFetcher = Callable[[bool], dict[str, Any]]

MAX_TOKEN_LENGTH = 16384


class TokenRejected(RelyingPartyError):
    """A token failed a check; ``reason`` names which (for logs and tests)."""

    def __init__(self, problem: Problem, reason: str):
        super().__init__(problem)
        self.reason = reason


def _key_set(jwks: dict[str, Any], problem: Problem) -> KeySet:
    try:
        return KeySet.import_key_set(jwks)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenRejected(problem, "jwks") from exc


def _decode(token: str, keys: KeySet, algorithms: Collection[str]) -> jwt.Token:
    return jwt.decode(token, keys, algorithms=list(algorithms))


def verify_signed_jwt(
    token: str, fetch_jwks: JwksFetcher, algorithms: Collection[str], problem: Problem
) -> jwt.Token:
    """The verified header and claims of ``token``, or ``TokenRejected(problem, reason)``."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise TokenRejected(problem, "malformed")
    try:
        try:
            return _decode(token, _key_set(fetch_jwks(False), problem), algorithms)
        except InvalidKeyIdError:
            return _decode(token, _key_set(fetch_jwks(True), problem), algorithms)
    except InvalidKeyIdError as exc:
        raise TokenRejected(problem, "kid") from exc
    except UnsupportedAlgorithmError as exc:
        raise TokenRejected(problem, "alg") from exc
    except BadSignatureError as exc:
        raise TokenRejected(problem, "signature") from exc
    except (JoseError, ValueError, TypeError) as exc:
        raise TokenRejected(problem, "malformed") from exc
