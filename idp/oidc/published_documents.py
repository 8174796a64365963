"""The two public documents every relying party polls, answered before Flask runs.

Discovery and the JWKS are the same bytes for every caller, so ``PublishedDocuments`` (a
WSGI layer in front of the Flask app) serves them from precomputed bodies with a strong
ETag and caching headers: no routing, no request object, no session. Every other request
passes through untouched. The JWKS body is rebuilt by the key store when ``keys.json``
changes (checked at most every few seconds), so rotations still appear promptly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from idp.metrics import REQUESTS

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/oauth2/jwks"

_COMMON = [
    ("Content-Type", "application/json"),
    ("Access-Control-Allow-Origin", "*"),
    ("X-Content-Type-Options", "nosniff"),
]


class _Document:
    """One body with its ETag and ready-made response headers."""

    def __init__(self, body: bytes, max_age: int):
        self.body = body
        self.etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        cache = ("Cache-Control", f"public, max-age={max_age}")
        self.headers_200 = [
            *_COMMON,
            cache,
            ("ETag", self.etag),
            ("Content-Length", str(len(body))),
        ]
        self.headers_304 = [cache, ("ETag", self.etag)]


class PublishedDocuments:
    """WSGI middleware answering GET/HEAD for discovery and the JWKS."""

    def __init__(self, app: Callable, discovery_body: bytes, jwks_body: Callable[[], bytes]):
        self.app = app
        self.discovery = _Document(discovery_body, 3600)
        self._jwks_body = jwks_body
        self._jwks: _Document | None = None
        self._count = {
            DISCOVERY_PATH: REQUESTS.labels(endpoint="oidc.discovery", method="GET", status="200"),
            JWKS_PATH: REQUESTS.labels(endpoint="oidc.jwks", method="GET", status="200"),
        }

    def _jwks_document(self) -> _Document:
        body = self._jwks_body()
        if self._jwks is None or self._jwks.body is not body:
            self._jwks = _Document(body, 300)
        return self._jwks

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path not in self._count or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        doc = self.discovery if path == DISCOVERY_PATH else self._jwks_document()
        self._count[path].inc()
        if doc.etag in environ.get("HTTP_IF_NONE_MATCH", ""):
            start_response("304 Not Modified", doc.headers_304)
            return [b""]
        start_response("200 OK", doc.headers_200)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [doc.body]
