"""DPoP (RFC 9449) for the relying party's requests to the provider: a proof per request,
signed with the client's DPoP key, on token requests and with the access token
(``Authorization: DPoP``, ``ath``) at userinfo. A server nonce asked for with
``use_dpop_nonce`` is remembered and the request sent once more (§8).

Authlib's client signs bearer tokens only, so this is written here, on joserfc.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from authlib.integrations.requests_client import OAuth2Auth
from joserfc import jwt
from joserfc.jwk import import_key

KEY_TYPES = {"ES256": "EC", "PS256": "RSA", "RS256": "RSA"}


class Prover:
    """Makes DPoP proofs with one private key (a PEM, or a JWK as JSON text)."""

    def __init__(self, key_text: str, alg: str = "ES256"):
        text = key_text.strip()
        self.alg = alg
        if text.startswith("{"):
            self.key = import_key(json.loads(text))
        else:
            self.key = import_key(text, KEY_TYPES[alg])
        self.public_jwk = self.key.as_dict(private=False)
        self.nonce: str | None = None

    def proof(self, method: str, url: str, access_token: str | None = None) -> str:
        """A proof for ``method`` on ``url`` (query and fragment left out of ``htu``)."""
        parts = urlsplit(url)
        claims: dict[str, Any] = {
            "jti": uuid.uuid4().hex,
            "htm": method.upper(),
            "htu": urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
            "iat": int(time.time()),
        }
        if access_token:
            digest = hashlib.sha256(access_token.encode()).digest()
            claims["ath"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if self.nonce:
            claims["nonce"] = self.nonce
        header = {"typ": "dpop+jwt", "alg": self.alg, "jwk": self.public_jwk}
        return jwt.encode(header, claims, self.key, algorithms=[self.alg])


class DPoPTokenAuth(OAuth2Auth):
    """Authlib's token signer, with ``DPoP`` tokens sent as RFC 9449 §7.1 says."""

    prover: Prover | None = None

    def __call__(self, req):
        token_type = str(self.token.get("token_type", "bearer")).lower()
        if token_type != "dpop" or self.prover is None:
            return super().__call__(req)
        self.ensure_active_token()
        access_token = self.token["access_token"]
        req.headers["Authorization"] = f"DPoP {access_token}"
        req.headers["DPoP"] = self.prover.proof(req.method, req.url, access_token)
        return req


def wants_a_nonce(response) -> str | None:
    """The server's nonce when it refused the proof for the lack of one (§8, §9)."""
    nonce = response.headers.get("DPoP-Nonce")
    if not nonce or response.status_code not in (400, 401):
        return None
    challenge = response.headers.get("WWW-Authenticate", "")
    if 'error="use_dpop_nonce"' in challenge:
        return nonce
    try:
        error = response.json().get("error")
    except ValueError:
        return None
    return nonce if error == "use_dpop_nonce" else None
