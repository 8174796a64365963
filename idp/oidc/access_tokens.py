"""Access token values: opaque random strings, or RFC 9068 JWTs for clients that ask.

A client registered with ``access_token_format: "jwt"`` receives self-contained tokens
(``typ: at+jwt``) that its resource servers can verify against the JWKS; every other
client gets a 256-bit opaque string that only introspection or userinfo can read. Both
kinds are stored by keyed hash, so revocation and introspection treat them alike.
"""

from __future__ import annotations

import secrets
import time

from authlib.oauth2.rfc6749 import scope_to_list
from flask import current_app, g

from idp.oidc.claims import subject_for


def generate_access_token(client, grant_type: str, user, scope: str) -> str:
    """Authlib's access token generator hook."""
    if client.client_metadata.get("access_token_format") != "jwt":
        return secrets.token_urlsafe(32)
    return _jwt_access_token(client, grant_type, user, scope)


def _jwt_access_token(client, grant_type: str, user, scope: str) -> str:
    from idp.oidc.grants import sign_jwt

    now = int(time.time())
    issuer = current_app.config["IDP_ISSUER"]
    claims = {
        "iss": issuer,
        "aud": client.client_metadata.get("access_token_audience") or issuer,
        "exp": now + int(current_app.config["ACCESS_TOKEN_SECONDS"]),
        "iat": now,
        "jti": secrets.token_urlsafe(16),
        "client_id": client.client_id,
        "scope": " ".join(scope_to_list(scope) or []),
        # RFC 9068 §2.2: for client_credentials, sub is the client itself.
        "sub": subject_for(user, client) if user is not None else client.client_id,
    }
    auth = g.get("auth_context") or {}
    for name in ("auth_time", "acr", "amr"):
        if auth.get(name) is not None:
            claims[name] = auth[name]
    alg = client.client_metadata.get("id_token_signed_response_alg", "RS256")
    return sign_jwt({"typ": "at+jwt"}, claims, alg)


def generate_refresh_token(client, grant_type: str, user, scope: str) -> str:
    return secrets.token_urlsafe(48)
