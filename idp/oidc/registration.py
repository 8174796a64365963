"""Dynamic client registration (RFC 7591, OIDC Registration 1.0) and management (RFC 7592).

``POST /oauth2/register`` with an operator-issued initial access token (Bearer) and the
client's metadata as JSON registers a client and answers 201 with its id, its secret
(confidential clients; shown this once, stored only as a keyed hash), the
``registration_access_token`` and ``registration_client_uri``. With that token the
client reads (GET), replaces (PUT) or deletes (DELETE) its registration at
``/oauth2/register/<client_id>``. With ``CLIENT_APPROVAL_REQUIRED`` a new client stays
``pending`` (invisible to the protocol) until an operator approves it in the console.

Authlib's ``ClientRegistrationEndpoint`` and ``ClientConfigurationEndpoint`` run the
requests; this module supplies storage, authentication and the provider's policy
(``registration_metadata``, ``sector_identifier``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc7591 import (
    ClientRegistrationEndpoint,
    InvalidClientMetadataError,
    InvalidRedirectURIError,
)
from authlib.oauth2.rfc7592 import ClientConfigurationEndpoint
from flask import Blueprint, Flask, current_app
from flask import request as flask_request
from joserfc.errors import JoseError

from idp import audit
from idp.errors import DomainError, Problem
from idp.extensions import csrf, db
from idp.oidc import registration_metadata as rules
from idp.oidc.clients import (
    DELETED,
    SUSPENDED,
    create_client_from_metadata,
    delete_client,
    new_client_id,
    new_client_secret,
)
from idp.oidc.discovery import provider_metadata
from idp.oidc.models import Client
from idp.oidc.registration_tokens import (
    InitialAccessToken,
    add_registration_access,
    client_id_for_access,
    find_usable_token,
    revoke_registration_access,
    spend_token,
)
from idp.oidc.sector_identifier import sector_of
from idp.oidc.server import authorization_server
from idp.services import clock

bp = Blueprint("client_registration", __name__)

NOT_A_JSON_OBJECT = "The request body must be a JSON object of client metadata."
INITIAL_TOKEN_REFUSED = "The initial access token is missing, unknown, expired or already used."
REGISTRATION_TOKEN_REFUSED = "The registration access token is missing or not valid."
SECRET_NOT_A_STRING = "client_secret, when sent, must be the current secret as a string."
PUBLIC_FIELDS = {
    name for claims_class in rules.CLAIMS_CLASSES for name in claims_class.REGISTERED_CLAIMS
} | {"client_name"}
_PROTOCOL_ERRORS = {
    rules.REDIRECT: InvalidRedirectURIError,
    rules.METADATA: InvalidClientMetadataError,
}


def _protocol_error(problem: Problem):
    return _PROTOCOL_ERRORS[problem.code](description=problem.message)


def _bearer_value() -> str:
    scheme, _, value = flask_request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _refused(description: str) -> InvalidTokenError:
    return InvalidTokenError(description=description, realm=current_app.config["IDP_ISSUER"])


def registration_server_metadata() -> dict[str, Any]:
    """The provider metadata Authlib checks registrations against, with this module's
    policy for the values a client may register."""
    metadata = dict(provider_metadata(current_app))
    metadata.update(
        grant_types_supported=rules.GRANT_TYPES,
        response_types_supported=["code"],
        token_endpoint_auth_methods_supported=rules.AUTH_METHODS,
        subject_types_supported=rules.SUBJECT_TYPES,
        id_token_signing_alg_values_supported=rules.ID_TOKEN_ALGS,
    )
    return metadata


def check_client_metadata(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` checked by the claims classes and server metadata registration uses, for
    clients made outside the endpoint (``idp clients create``); DomainError says why."""
    server_metadata = registration_server_metadata()
    checked: dict[str, Any] = {}
    for claims_class in rules.CLAIMS_CLASSES:
        options = getattr(claims_class, "get_claims_options", lambda _: {})(server_metadata)
        claims = claims_class(dict(data), {}, options, server_metadata)
        try:
            claims.validate()
        except JoseError as exc:  # Authlib's own checks against the server metadata
            raise DomainError(Problem(rules.METADATA, str(exc.description))) from None
        checked.update(claims.get_registered_claims())
    return checked


def _validated_metadata(extract, request) -> dict[str, Any]:
    """Run Authlib's claims classes (with ours) and find the pairwise sector."""
    data = request.payload.data
    if not isinstance(data, dict):
        raise InvalidRequestError(NOT_A_JSON_OBJECT)
    # A member sent as null is treated as omitted (its default applies).
    for name in [name for name, value in data.items() if value is None]:
        del data[name]
    try:
        metadata = extract(request)
        request.sector = sector_of(metadata)
    except DomainError as exc:
        raise _protocol_error(exc.problem) from None
    return metadata


def _stored_metadata(metadata: dict[str, Any], sector: str | None) -> dict[str, Any]:
    stored = dict(metadata)
    if sector:
        stored["sector_identifier"] = sector
    return stored


def _client_uri(client_id: str) -> str:
    return f"{current_app.config['IDP_ISSUER']}/oauth2/register/{client_id}"


def public_view(client: Client) -> dict[str, Any]:
    """What RFC 7592 shows of a registration: never the stored secret hash."""
    metadata = {k: v for k, v in client.client_metadata.items() if k in PUBLIC_FIELDS}
    return {
        "client_id": client.client_id,
        "client_id_issued_at": client.client_id_issued_at,
        "client_secret_expires_at": 0,
        **metadata,
    }


class ClientRegistration(ClientRegistrationEndpoint):
    """RFC 7591 §3: POST /oauth2/register, authorized by a single-use initial token."""

    def authenticate_token(self, request) -> InitialAccessToken:
        token = find_usable_token(_bearer_value())
        if token is None:
            raise _refused(INITIAL_TOKEN_REFUSED)
        return token

    def extract_client_metadata(self, request) -> dict[str, Any]:
        return _validated_metadata(super().extract_client_metadata, request)

    def get_server_metadata(self) -> dict[str, Any]:
        return registration_server_metadata()

    def generate_client_info(self, request) -> dict[str, Any]:
        # The secret is made by create_client and added by generate_client_registration_info,
        # so public and private_key_jwt clients get no client_secret member at all.
        return {
            "client_id": new_client_id(),
            "client_id_issued_at": int(clock().now()),
            "client_secret_expires_at": 0,
        }

    def save_client(self, client_info, client_metadata, request) -> Client:
        token: InitialAccessToken = request.credential
        client_id = client_info["client_id"]
        pending = current_app.config["CLIENT_APPROVAL_REQUIRED"]
        try:
            if not spend_token(token, client_id):
                raise _refused(INITIAL_TOKEN_REFUSED)
            # Added to the transaction that create_client commits: all or nothing.
            access_token = add_registration_access(client_id)
            _, secret = create_client_from_metadata(
                client_metadata,
                client_id=client_id,
                actor=f"registration-token:{token.id}",
                extra_metadata=_stored_metadata(client_metadata, request.sector),
                status="pending" if pending else "active",
            )
        except Exception:
            db.session.rollback()
            raise
        request.issued = {"registration_access_token": access_token, "client_secret": secret}
        audit.record(
            "registration_token.used",
            client_id=client_id,
            actor=f"registration-token:{token.id}",
            token_id=token.id,
            pending=pending,
        )
        return db.session.scalar(db.select(Client).filter_by(client_id=client_id))

    def generate_client_registration_info(self, client, request) -> dict[str, Any]:
        info = {
            "registration_client_uri": _client_uri(client.client_id),
            "registration_access_token": request.issued["registration_access_token"],
        }
        if request.issued["client_secret"]:
            info["client_secret"] = request.issued["client_secret"]
        return info


@dataclass(frozen=True)
class RegistrationAccess:
    """A valid registration access token: it manages exactly one client."""

    client_id: str

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id


class ClientConfiguration(ClientConfigurationEndpoint):
    """RFC 7592 §2: read, replace or delete a registration with its access token."""

    def authenticate_token(self, request) -> RegistrationAccess:
        client_id = client_id_for_access(_bearer_value())
        # RFC 7592 §2: a token for another client is "not valid" here, hence 401, not 403.
        if client_id is None or client_id != (flask_request.view_args or {}).get("client_id"):
            raise _refused(REGISTRATION_TOKEN_REFUSED)
        return RegistrationAccess(client_id)

    def authenticate_client(self, request) -> Client | None:
        client_id = (flask_request.view_args or {}).get("client_id", "")
        client = db.session.scalar(db.select(Client).filter_by(client_id=client_id[:64]))
        return client if client is not None and client.status != DELETED else None

    def revoke_access_token(self, request, token: RegistrationAccess) -> None:
        # §2: a token whose client no longer exists SHOULD be revoked (only reachable when
        # the client is deleted between authenticate_token and authenticate_client).
        revoke_registration_access(token.client_id)
        db.session.commit()
        audit.record("client.registration_token_revoked", client_id=token.client_id)

    def check_permission(self, client: Client, request) -> bool:
        # An operator's suspension cannot be undone by the client editing itself.
        return request.method == "GET" or client.status != SUSPENDED

    def introspect_client(self, client: Client) -> dict[str, Any]:
        return public_view(client)

    def generate_client_registration_info(self, client, request) -> dict[str, Any]:
        info = {
            "registration_client_uri": _client_uri(client.client_id),
            "registration_access_token": _bearer_value(),
        }
        if getattr(request, "new_client_secret", None):
            info["client_secret"] = request.new_client_secret
        return info

    def create_update_client_response(self, client, request):
        data = request.payload.data
        if not isinstance(data, dict):
            raise InvalidRequestError(NOT_A_JSON_OBJECT)
        if not isinstance(data.get("client_secret", ""), str):
            raise InvalidRequestError(SECRET_NOT_A_STRING)
        return super().create_update_client_response(client, request)

    def extract_client_metadata(self, request) -> dict[str, Any]:
        return _validated_metadata(super().extract_client_metadata, request)

    def get_server_metadata(self) -> dict[str, Any]:
        return registration_server_metadata()

    def update_client(self, client: Client, client_metadata: dict, request) -> Client:
        """§2.2: the request's metadata replaces the registration (omitted means default)."""
        method = client_metadata["token_endpoint_auth_method"]
        if method in rules.SECRET_AUTH_METHODS and not client.client_secret:
            request.new_client_secret = new_client_secret()
            client.set_secret(request.new_client_secret)
        elif method not in rules.SECRET_AUTH_METHODS:
            client.client_secret = None
        kept = {"vn_claims": client.client_metadata.get("vn_claims", False)}
        client.set_client_metadata({**kept, **_stored_metadata(client_metadata, request.sector)})
        db.session.commit()
        audit.record("client.updated", client_id=client.client_id, actor="registration-access")
        return client

    def delete_client(self, client: Client, request) -> None:
        delete_client(client, actor="registration-access")


@bp.post("/oauth2/register")
@csrf.exempt
def register():
    """RFC 7591 §3.1: the client registration endpoint."""
    return authorization_server.create_endpoint_response(ClientRegistration.ENDPOINT_NAME)


@bp.route("/oauth2/register/<client_id>", methods=["GET", "PUT", "DELETE"])
@csrf.exempt
def configure(client_id: str):
    """RFC 7592 §2: the client configuration endpoint."""
    return authorization_server.create_endpoint_response(ClientConfiguration.ENDPOINT_NAME)


def init_registration(app: Flask) -> None:
    """Register both Authlib endpoints on the app's authorization server, and the routes."""
    server = app.extensions["authorization_server"]
    server.register_endpoint(ClientRegistration(claims_classes=rules.CLAIMS_CLASSES))
    server.register_endpoint(ClientConfiguration(claims_classes=rules.CLAIMS_CLASSES))
    app.register_blueprint(bp)
