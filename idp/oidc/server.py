"""The Authlib authorization server, assembled from the grants and endpoints in this package."""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidClientError, InvalidRequestError, OAuth2Request
from authlib.oauth2.rfc6750 import InvalidTokenError
from flask import Flask, current_app
from flask import request as flask_request
from joserfc import jws
from joserfc.errors import JoseError
from werkzeug.local import LocalProxy

from idp.extensions import db
from idp.oidc import client_cache, client_limits, dpop, error_descriptions
from idp.oidc.claims import SUPPORTED_SCOPES
from idp.oidc.client_auth import PrivateKeyJwt, client_secret_basic
from idp.oidc.client_cache import cached_client
from idp.oidc.grants import CodeGrant, IdToken, Issuer, S256Challenge
from idp.oidc.lifecycle import (
    AgencyClientCredentials,
    Introspection,
    Revocation,
    RotatingRefreshGrant,
)
from idp.oidc.models import Client
from idp.oidc.security_profiles import FAPI2_ALGORITHMS, is_fapi2
from idp.oidc.tokens import OpaqueBearerValidator, save_token
from idp.oidc.userinfo import UserInfo


class IdpAuthorizationServer(AuthorizationServer):
    def create_oauth2_request(self, request) -> OAuth2Request:
        # A stored authorization request (resumed after login) is passed in ready-made.
        if isinstance(request, OAuth2Request):
            return request
        return super().create_oauth2_request(request)

    def authenticate_client(self, request, methods, endpoint="token"):
        """Every client authentication (token, introspection, revocation): a failure counts
        against the address, a success against the client's own limit."""
        try:
            client = super().authenticate_client(request, methods, endpoint)
        except InvalidClientError:
            client_limits.count_failure()
            raise
        client_limits.charge(client, getattr(request, "auth_method", None))
        if is_fapi2(client):
            check_fapi2_authentication(request)
        if flask_request.endpoint == "oidc.token":
            # Before the grant spends the code or the refresh token (RFC 9449 §5.2).
            dpop.check_required(client, request)
        return client

    def handle_response(self, status_code, payload, headers):
        response = super().handle_response(status_code, payload, headers)
        response.headers.setdefault("Cache-Control", "no-store")
        return response


def check_fapi2_authentication(request) -> None:
    """FAPI 2.0 §5.3.2.1: ``private_key_jwt`` with an ES256 or PS256 assertion, whatever
    the client's metadata allows besides."""
    if getattr(request, "auth_method", None) != PrivateKeyJwt.CLIENT_AUTH_METHOD:
        raise InvalidClientError(
            description="A FAPI 2.0 client authenticates with private_key_jwt."
        )
    assertion = str(request.form.get("client_assertion") or "")
    try:
        alg = jws.extract_compact(assertion.encode()).headers().get("alg")
    except (JoseError, ValueError):
        alg = None
    if alg not in FAPI2_ALGORITHMS:
        raise InvalidClientError(
            description="A FAPI 2.0 client signs its assertion ES256 or PS256."
        )


class NoAccessTokenProvided(InvalidTokenError):
    """RFC 6750 §3.1: a request with no access token at all.

    401 with ``invalid_token`` in the body, as node-oidc-provider answers (Authlib's own
    ``missing_authorization`` is no RFC code); the challenge names no error, as §3.1 asks
    (``idp.oidc.endpoints.bearer_challenge`` adds the realm).
    """

    description = "no access token provided"

    def get_headers(self):
        return [*OAuth2Error.get_headers(self), ("WWW-Authenticate", "Bearer")]


class BearerProtector(ResourceProtector):
    """RFC 6750 §2.1 header or §2.2 form body (not both: §2 allows only one method)."""

    def parse_request_authorization(self, request):
        body_token = (
            flask_request.form.get("access_token") if flask_request.method == "POST" else None
        )
        header = request.headers.get("Authorization")
        if body_token and not header:
            return self.get_token_validator("bearer"), body_token
        if body_token:
            raise InvalidRequestError("Use one way to send the access token, not two.")
        if not header:
            raise NoAccessTokenProvided()
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() == "dpop" and value.strip():
            # RFC 9449 §7: the proof names this request and the token (``ath``); the
            # validator then holds the token to the proof's key.
            request.dpop_jkt = dpop.resource_proof_key(value.strip())
            return self.get_token_validator("bearer"), value.strip()
        if scheme.lower() != "bearer" or not value.strip():
            # RFC 6750 §3.1: a malformed request is invalid_request (400), as
            # node-oidc-provider answers; Authlib would say unsupported_token_type.
            raise InvalidRequestError("Send the access token as 'Authorization: Bearer <token>'.")
        return super().parse_request_authorization(request)


def query_client(client_id: str) -> Client | None:
    """Only active clients exist for the protocol; pending and suspended ones do not."""
    client = cached_client(client_id)
    return client if client is not None and client.is_usable else None


class ActiveClients:
    """``idp.client_directory.ClientDirectory`` over the active registered clients: what
    the self-service flows may know of agencies, without importing the protocol side."""

    def name_of(self, client_id: str) -> str | None:
        client = query_client(client_id)
        return client.client_name if client is not None else None

    def registered_address(self, address: str) -> bool:
        for client in db.session.scalars(db.select(Client).filter_by(status="active")):
            metadata = client.client_metadata
            if address in metadata.get("redirect_uris", []):
                return True
            if address in metadata.get("post_logout_redirect_uris", []):
                return True
        return False


# One server per app (tests build many apps in one process); reached through proxies.
authorization_server: IdpAuthorizationServer = LocalProxy(  # type: ignore[assignment]
    lambda: current_app.extensions["authorization_server"]
)


def init_oauth(app: Flask) -> None:
    """Bind the authorization server to the app and register grants and endpoints."""
    error_descriptions.install()  # before any error is built: no description is a 500
    # Every grant makes its tokens from its request (``tokens.TokensFromTheRequest``).
    app.config.setdefault("OAUTH2_SCOPES_SUPPORTED", SUPPORTED_SCOPES)
    client_cache.init_app(app)
    app.extensions["client_directory"] = ActiveClients()
    server = IdpAuthorizationServer()
    server.init_app(app, query_client=query_client, save_token=save_token)
    protector = BearerProtector()
    protector.register_token_validator(OpaqueBearerValidator())
    binding = dpop.TokenBinding()
    server.register_grant(CodeGrant, [S256Challenge(required=True), IdToken(), binding])
    server.register_grant(RotatingRefreshGrant, [binding])
    server.register_grant(AgencyClientCredentials, [binding])
    server.register_client_auth_method("client_secret_basic", client_secret_basic)
    server.register_client_auth_method(PrivateKeyJwt.CLIENT_AUTH_METHOD, PrivateKeyJwt())
    server.register_extension(Issuer())
    server.register_endpoint(UserInfo(resource_protector=protector))
    server.register_endpoint(Introspection())
    server.register_endpoint(Revocation())
    app.extensions["authorization_server"] = server
