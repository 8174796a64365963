"""Signed request objects (RFC 9101, JAR): an authorization request as a JWT the client
signed with a key it registered (``jwks`` or ``jwks_uri``, the latter fetched under the
outbound policy: ``idp.oidc.client_auth.client_key_set``).

Authlib's ``rfc9101.JWTAuthenticationRequest`` decodes it: the signature with one of
``ALGORITHMS`` (never ``none``), ``client_id`` in the object equal to the request's,
``request`` and ``request_uri`` mutually exclusive and absent from the object, and the
client's ``require_signed_request_object`` (RFC 9101 §10.5) enforced. This module adds
what RFC 9101 §10.8 and FAPI 2.0 ask of the claims and Authlib leaves to the server:
``iss`` is the client, ``aud`` this provider's issuer, ``exp`` present and at most
``MAX_LIFETIME`` away, ``nbf`` not in the future, and each ``jti`` accepted once per client
(remembered in the store until the object expires), so a captured object cannot be
replayed on any replica.

The object's members then replace the request's parameters entirely (RFC 9101 §6.3):
``resolve`` returns them as the string parameters the rest of the endpoint reads
(``claims`` as JSON text, numbers as decimal text). A ``request_uri`` that is not a pushed
request's (``idp.oidc.pushed_requests``) stays ``request_uri_not_supported``: this provider
fetches no request object from another host.
"""

from __future__ import annotations

import json

from authlib.oauth2.rfc6749 import InvalidClientError, OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc9101 import JWTAuthenticationRequest
from authlib.oauth2.rfc9101.errors import InvalidRequestObjectError
from flask import current_app
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry

from idp.oidc.client_auth import client_key_set
from idp.oidc.models import keyed_hash
from idp.oidc.security_profiles import FAPI2_ALGORITHMS, is_fapi2
from idp.oidc.server import authorization_server
from idp.services import clock, store

ALGORITHMS = ["ES256", "PS256", "RS256"]
MAX_LIFETIME = 3600  # seconds from now to exp; bounds the jti memory
LEEWAY = 30
# JWT members that describe the object itself, not the authorization request.
_ENVELOPE = ("iss", "aud", "exp", "nbf", "iat", "jti")


class ClientSignedRequests(JWTAuthenticationRequest):
    """Authlib's RFC 9101 support on this provider's clients and keys."""

    def __init__(self) -> None:
        super().__init__(support_request=True, support_request_uri=False)

    def resolve_client_public_key(self, client):
        try:
            return client_key_set(client)
        except InvalidClientError:
            raise _refused("The client has no keys to verify request objects with.") from None

    def get_server_metadata(self) -> dict:
        return {
            "issuer": current_app.config["IDP_ISSUER"],
            "request_object_signing_alg_values_supported": ALGORITHMS,
        }

    def get_request_object_signing_algorithms(self, client) -> list[str]:
        return list(FAPI2_ALGORITHMS) if is_fapi2(client) else ALGORITHMS

    def get_client_require_signed_request_object(self, client) -> bool:
        return bool(client.client_metadata.get("require_signed_request_object"))


_extension = ClientSignedRequests()


def _refused(description: str) -> InvalidRequestObjectError:
    return InvalidRequestObjectError(description=description)


def _check_claims(claims: dict, client_id: str) -> None:
    now = int(clock().now())
    registry = JWTClaimsRegistry(
        now=now,
        leeway=LEEWAY,
        iss={"essential": True, "value": client_id},
        aud={"essential": True, "value": current_app.config["IDP_ISSUER"]},
        exp={"essential": True},
        jti={"essential": True},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise _refused(f"The request object's claims are not accepted ({exc.error}).") from None
    if not isinstance(claims["exp"], int) or claims["exp"] - now > MAX_LIFETIME:
        raise _refused(f"The request object must expire within {MAX_LIFETIME} seconds.")
    jti = str(claims["jti"])[:256]
    key = "jar-jti:" + keyed_hash(f"{client_id}:{jti}")[:48]
    if not store().add(key, {"at": now}, max(claims["exp"] - now + LEEWAY, 1)):
        raise _refused("This request object was used before.")


def _as_parameter(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def resolve(params: dict[str, str]) -> dict[str, str]:
    """The request's parameters: the signed request object's members when it has one
    (checked as the module docstring says), else ``params`` as they are, once Authlib has
    checked that the client need not sign. OAuth2Error (never redirected) otherwise."""
    if not params.get("client_id"):
        return params  # the grant's own validation names what is missing
    if "request_uri" in params and "request" not in params:
        # Another host's: refused on the verified redirect URI, never fetched
        # (``request_params.refuse_request_objects``).
        return params
    request = OAuth2Request("GET", current_app.config["IDP_ISSUER"] + "/oauth2/authorize")
    request.payload = BasicOAuth2Payload(params)
    _extension.parse_authorization_request(authorization_server, request)
    if "request" not in params:
        return params  # Authlib only checked that this client need not sign
    claims = dict(request.payload.data)
    _check_claims(claims, params["client_id"])
    return {
        name: _as_parameter(value)
        for name, value in claims.items()
        if name not in _ENVELOPE and value is not None
    }
