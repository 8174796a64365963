"""A private_key_jwt client's public keys (RFC 7523 §3, OIDC Core §9, §10.1.1).

Keys registered inline (``jwks``) are used as they are. A ``jwks_uri`` is fetched under
the outbound policy (``idp.outbound``: public addresses only in production, no
redirects, short timeout, size cap) and only a document that imports as a JWK Set is
kept, for ``JWKS_CACHE_SECONDS``. A failed fetch (unreachable, not 200, not a JWK Set)
is remembered in the app's back-off, so token requests that name the client meanwhile
are refused at once instead of each waiting on the client's server again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from idp.outbound import FailureBackoff, OutboundError, OutboundHttp
from webapp import json_limits

JWKS_CACHE_SECONDS = 300
MAX_CACHED_URIS = 1000


class KeysUnavailable(Exception):
    """The client's keys cannot be had; the message is an ASCII error_description."""


def import_key_set(document: Any) -> KeySet:
    """``document`` as a JWK Set; KeysUnavailable when it is not one."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeysUnavailable("The client's key set is not a JWK Set (an object with keys).")
    try:
        return KeySet.import_key_set(document)
    except (JoseError, KeyError, TypeError, ValueError):
        raise KeysUnavailable("The client's key set holds a key that cannot be used.") from None


@dataclass
class RemoteKeySets:
    """Key sets fetched from ``jwks_uri``s, cached on success, backed off on failure."""

    http: OutboundHttp
    backoff: FailureBackoff  # its clock also times the cache
    _cached: dict[str, tuple[float, KeySet]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def key_set(self, uri: str) -> KeySet:
        """The key set at ``uri``; KeysUnavailable when it cannot be fetched now."""
        with self._lock:
            cached = self._cached.get(uri)
        if cached is not None and cached[0] > self.backoff.clock():
            return cached[1]
        backoff_key = f"jwks_uri {uri}"
        if self.backoff.waiting(backoff_key):
            raise KeysUnavailable("The client's jwks_uri failed recently; try again later.")
        try:
            keys = import_key_set(self._fetch(uri))
        except KeysUnavailable:
            self.backoff.failed(backoff_key)
            raise
        self.backoff.succeeded(backoff_key)
        with self._lock:
            if len(self._cached) >= MAX_CACHED_URIS:
                self._cached.clear()
            self._cached[uri] = (self.backoff.clock() + JWKS_CACHE_SECONDS, keys)
        return keys

    def _fetch(self, uri: str) -> Any:
        try:
            response = self.http.get(uri)
        except OutboundError:
            raise KeysUnavailable("The client's jwks_uri cannot be read.") from None
        if response.status != 200:
            raise KeysUnavailable(
                "The client's jwks_uri did not answer 200 (redirects are not followed)."
            )
        try:
            return json_limits.loads(response.body)
        except ValueError:
            raise KeysUnavailable("The client's jwks_uri did not answer JSON.") from None


def remote_key_sets() -> RemoteKeySets:
    """The current app's cache of fetched client key sets."""
    return current_app.extensions["client_jwks"]


def init_app(app: Flask) -> None:
    """One cache per app, sharing the app's outbound policy and back-off."""
    app.extensions["client_jwks"] = RemoteKeySets(
        http=app.extensions["outbound_http"], backoff=app.extensions["outbound_backoff"]
    )
