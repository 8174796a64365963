"""``private_key_jwt`` client authentication (OIDC Core §9, RFC 7523 §2.2).

The client signs an assertion with a key from its registered ``jwks`` (or ``jwks_uri``,
fetched under the outbound policy and cached briefly: ``idp.oidc.client_jwks``); the
assertion's ``aud`` must name this provider's issuer or the endpoint it is sent to (token,
introspection, revocation, pushed authorization requests), and each ``jti``
is accepted once (remembered in the store until the assertion would have expired).
"""

from __future__ import annotations

import base64

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc6749.authenticate_client import authenticate_client_secret_basic
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from flask import current_app
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from idp.oidc.client_jwks import KeysUnavailable, import_key_set, remote_key_sets
from idp.services import clock, store
from webapp import json_limits


def _basic_header_parses(header: str | None) -> bool:
    """False for an ``Authorization: Basic`` header that Authlib's parser would crash on:
    no credentials after the scheme, or credentials that are not base64 of UTF-8 text."""
    if not header or " " not in header:
        return True  # Authlib reads it as "no Basic credentials"
    parts = header.split(None, 1)
    if len(parts) != 2:
        return False
    if parts[0].lower() != "basic":
        return True
    try:
        base64.b64decode(parts[1]).decode("utf-8")
    except ValueError:  # binascii.Error, UnicodeDecodeError, non-ASCII text
        return False
    return True


def client_secret_basic(query_client, request):
    """``client_secret_basic`` as Authlib does it, except that a malformed header is a
    failed authentication (401 ``invalid_client``) instead of an exception (a 500)."""
    if not _basic_header_parses(request.headers.get("Authorization")):
        return None
    return authenticate_client_secret_basic(query_client, request)


def client_key_set(client) -> KeySet:
    """The client's public keys, from ``jwks`` or (cached) ``jwks_uri``; a client whose
    keys cannot be had fails authentication (``invalid_client``), never the server."""
    metadata = client.client_metadata
    try:
        if metadata.get("jwks"):
            return import_key_set(metadata["jwks"])
        uri = metadata.get("jwks_uri")
        if not uri:
            raise KeysUnavailable("The client has no registered keys.")
        return remote_key_sets().key_set(uri)
    except KeysUnavailable as exc:
        raise InvalidClientError(description=str(exc)) from None


class PrivateKeyJwt(JWTBearerClientAssertion):
    CLIENT_AUTH_METHOD = "private_key_jwt"

    def get_audiences(self) -> list[str]:
        issuer = current_app.config["IDP_ISSUER"]
        return [
            f"{issuer}/oauth2/token",
            issuer,
            f"{issuer}/oauth2/introspect",
            f"{issuer}/oauth2/revoke",
            f"{issuer}/oauth2/par",  # RFC 9126 §2
        ]

    def extract_assertion(self, assertion: str):
        """The assertion's header and (still unverified) claims, the claims parsed within
        ``webapp.json_limits``: Authlib's parser raised RecursionError on deep nesting, and
        joserfc parses the same payload again after the signature check."""
        try:
            payload = jws.extract_compact(assertion.encode()).payload
            json_limits.loads(payload)
        except (JoseError, ValueError):
            raise InvalidClientError(description="Invalid JWT assertion.") from None
        return super().extract_assertion(assertion)

    def validate_jti(self, claims, jti) -> bool:
        ttl = max(60, int(claims.get("exp", 0)) - int(clock().now()) + self.leeway)
        return store().add(f"jti:{claims['sub']}:{str(jti)[:128]}", {"at": 1}, min(ttl, 3600))

    def resolve_client_public_key(self, client) -> KeySet:
        return client_key_set(client)
