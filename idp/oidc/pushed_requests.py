"""Pushed authorization requests (RFC 9126) in the store: what the client pushed, kept
until its ``request_uri`` is used once or expires.

The ``request_uri`` is ``urn:ietf:params:oauth:request_uri:`` and a random reference
(RFC 9126 §2.2); the store key holds only a keyed hash of it. The record names the client
that pushed it, and is taken (read and deleted at once) by the authorization endpoint, so
a reference works once, on one replica, for that client only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app

from idp.oidc.models import keyed_hash
from idp.oidc.security_profiles import is_fapi2
from idp.services import store

URN_PREFIX = "urn:ietf:params:oauth:request_uri:"
_KEY = "par:"
# A reference is 32 random bytes; anything much longer is not one of ours.
MAX_REQUEST_URI_LENGTH = len(URN_PREFIX) + 64


@dataclass(frozen=True)
class Pushed:
    """The answer to a push (RFC 9126 §2.2)."""

    request_uri: str
    expires_in: int


def required_of(client) -> bool:
    """Must this client push its authorization requests? (RFC 9126 §5 and §6: the
    provider's ``REQUIRE_PUSHED_AUTHORIZATION_REQUESTS``, or the client's metadata.)"""
    if current_app.config["REQUIRE_PUSHED_AUTHORIZATION_REQUESTS"] or is_fapi2(client):
        return True
    return bool(client.client_metadata.get("require_pushed_authorization_requests"))


def is_pushed_reference(request_uri: str | None) -> bool:
    """True for a value of the form this provider issues (RFC 9126 §2.2)."""
    return bool(request_uri) and request_uri.startswith(URN_PREFIX)


def _key(request_uri: str) -> str:
    return _KEY + keyed_hash(request_uri)[:48]


def save(client_id: str, params: dict[str, str]) -> Pushed:
    """Keep ``params`` for ``client_id`` under a new single-use ``request_uri``."""
    lifetime = current_app.config["PAR_REQUEST_URI_SECONDS"]
    request_uri = URN_PREFIX + secrets.token_urlsafe(32)
    store().set(_key(request_uri), {"client_id": client_id, "params": params}, lifetime)
    return Pushed(request_uri, lifetime)


def take(client_id: str | None, request_uri: str) -> dict[str, str] | None:
    """The parameters pushed under ``request_uri`` by ``client_id``, once; None when the
    reference is unknown, expired, already used, or another client's."""
    if not client_id or len(request_uri) > MAX_REQUEST_URI_LENGTH:
        return None
    record = store().pop(_key(request_uri))
    if record is None or record.get("client_id") != client_id:
        return None
    return dict(record["params"])
