"""Keys and token minting for the portal's unit tests (a fake provider's JWK Set)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

ISSUER = "https://dvc.example.gov.vn"
CLIENT_ID = "portal-daklak"
NONCE = "n-0123456789"
ACCESS_TOKEN = "at-0123456789abcdef"


class FakeProvider:
    """Signing keys, the published JWK Set, and a fetcher that counts its calls."""

    def __init__(self):
        self.rsa = RSAKey.generate_key(2048, private=True, parameters={"kid": "rsa-1"})
        self.ec = ECKey.generate_key("P-256", private=True, parameters={"kid": "ec-1"})
        self.published = [self.rsa, self.ec]
        self.after_refetch: list | None = None
        self.fetches: list[bool] = []

    def jwks(self, keys) -> dict:
        return {"keys": [key.as_dict(private=False) for key in keys]}

    def fetch(self, force: bool) -> dict:
        self.fetches.append(force)
        if force and self.after_refetch is not None:
            return self.jwks(self.after_refetch)
        return self.jwks(self.published)

    def sign(self, claims: dict, key=None, alg: str = "RS256", **header: Any) -> str:
        key = key or (self.rsa if alg == "RS256" else self.ec)
        head = {"alg": alg, "kid": key.kid, **header}
        return jwt.encode(head, claims, key, algorithms=[alg])


def id_token_claims(now: int | None = None, **changes: Any) -> dict:
    now = int(time.time()) if now is None else now
    claims = {
        "iss": ISSUER,
        "sub": "sub-opaque-1",
        "aud": CLIENT_ID,
        "azp": CLIENT_ID,
        "iat": now,
        "exp": now + 3600,
        "auth_time": now - 5,
        "nonce": NONCE,
        "acr": "LoA1",
        "amr": ["pwd", "sms", "mfa"],
        "sid": "sid-1",
        "at_hash": create_half_hash(ACCESS_TOKEN, "RS256").decode(),
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def unsigned(claims: dict, alg: str = "none", kid: str = "rsa-1") -> str:
    """A token with ``alg: none`` (or any header) and an empty signature."""

    def part(data: dict) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': alg, 'kid': kid})}.{part(claims)}."
