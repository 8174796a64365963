"""Authorization codes (RFC 6749 §4.1.2, RFC 9700 §4.2.x): in the store, single use.

A code lives at most ``AUTH_CODE_SECONDS`` (60 s) under the hash of its value, bound to
the client, redirect_uri and PKCE challenge. Redeeming it is an atomic get-and-delete, so
of two concurrent redemptions exactly one succeeds; the used code leaves a tombstone so a
second use is recognised and the tokens issued from the first are revoked (§4.1.2).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

from flask import current_app

from idp.services import clock, store

USED_TOMBSTONE_SECONDS = 600


@dataclass
class AuthorizationCode:
    code_hash: str
    client_id: str
    redirect_uri: str
    scope: str
    citizen_id: int
    sid: str
    auth_time: int
    acr: str
    amr: list[str]
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    claims: dict = field(default_factory=dict)
    expires_at: float = 0  # the app clock's epoch seconds; set by save_code

    # The interface Authlib's grants read.
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return self.acr

    def get_amr(self) -> list[str]:
        return self.amr


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def save_code(code: str, record: AuthorizationCode, most_seconds: int | None = None) -> None:
    """Store a new code for ``AUTH_CODE_SECONDS`` (or ``most_seconds`` if fewer)."""
    ttl = current_app.config["AUTH_CODE_SECONDS"]
    if most_seconds is not None:
        ttl = min(ttl, most_seconds)
    record.expires_at = clock().now() + ttl  # the store's TTL may run on another clock
    store().set(f"code:{record.code_hash}", asdict(record), ttl)


class CodeReused(Exception):
    """The code was already redeemed; ``code_hash`` identifies the tokens to revoke."""

    def __init__(self, code_hash: str):
        super().__init__("authorization code reused")
        self.code_hash = code_hash


def redeem_code(code: str) -> AuthorizationCode | None:
    """Take the code out of the store (once). Raises ``CodeReused`` on a second use."""
    if not code or len(code) > 256:
        return None
    code_hash = hash_code(code)
    record = store().pop(f"code:{code_hash}")
    if record is None:
        if store().get(f"code-used:{code_hash}"):
            raise CodeReused(code_hash)
        return None
    if record.get("expires_at", 0) and record["expires_at"] <= clock().now():
        return None  # past AUTH_CODE_SECONDS on the app's clock
    store().set(f"code-used:{code_hash}", {"at": 1}, USED_TOMBSTONE_SECONDS)
    return AuthorizationCode(**record)
