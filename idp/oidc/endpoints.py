"""Token, introspection, revocation and userinfo endpoints (discovery and the JWKS are
served by ``idp.oidc.published_documents`` in front of Flask)."""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Response, current_app, request

from idp.extensions import csrf
from idp.oidc import dpop
from idp.oidc.server import authorization_server

bp = Blueprint("oidc", __name__)


@bp.post("/oauth2/token")
@csrf.exempt
def token() -> Response:
    """RFC 6749 §3.2: the token endpoint; RFC 9449 §5: with a DPoP proof, the tokens are
    bound to its key (``dpop.TokenBinding`` and ``access_tokens`` do the binding)."""
    oauth_request = authorization_server.create_oauth2_request(request)
    try:
        dpop.read_token_request_proof(oauth_request)
    except OAuth2Error as error:
        response = authorization_server.handle_error_response(oauth_request, error)
    else:
        response = authorization_server.create_token_response(oauth_request)
    if dpop.nonce_required():
        response.headers["DPoP-Nonce"] = dpop.current_nonce()
    return response


@bp.post("/oauth2/introspect")
@csrf.exempt
def introspect() -> Response:
    """RFC 7662: token introspection for authenticated clients."""
    return authorization_server.create_endpoint_response("introspection")


@bp.post("/oauth2/revoke")
@csrf.exempt
def revoke() -> Response:
    """RFC 7009: token revocation."""
    return authorization_server.create_endpoint_response("revocation")


@bp.route("/oauth2/userinfo", methods=["GET", "POST"])
@csrf.exempt
def userinfo() -> Response:
    """OIDC Core §5.3: GET or POST, bearer token in the header or the form body, or a
    DPoP-bound token with its proof (RFC 9449 §7)."""
    response = bearer_challenge(authorization_server.create_endpoint_response("userinfo"))
    if dpop.nonce_required():
        response.headers["DPoP-Nonce"] = dpop.current_nonce()
    return response


def bearer_challenge(response: Response) -> Response:
    """RFC 6750 §3: ``Bearer`` challenge; no error code when no token was sent at all."""
    challenge = response.headers.get("WWW-Authenticate", "")
    if response.status_code == 401 and challenge.lower().startswith("bearer"):
        realm = f'realm="{current_app.config["IDP_ISSUER"]}"'
        if "error=" not in challenge:  # no token at all (server.NoAccessTokenProvided)
            response.headers["WWW-Authenticate"] = f"Bearer {realm}"
        else:
            response.headers["WWW-Authenticate"] = f"Bearer {realm}, " + challenge[7:]
    return response
