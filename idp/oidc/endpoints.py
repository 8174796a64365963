"""Discovery, JWKS, token and userinfo endpoints (the non-interactive protocol surface)."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, current_app, request

from idp.extensions import csrf
from idp.oidc.discovery import PrecomputedJson, provider_metadata
from idp.oidc.server import authorization_server
from idp.services import services

bp = Blueprint("oidc", __name__)


def _cached_json(body: bytes, etag: str, max_age: int) -> Response:
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/.well-known/openid-configuration")
def discovery() -> Response:
    """OIDC Discovery 1.0 §4: the precomputed metadata document."""
    doc = current_app.extensions.get("idp_discovery")
    if doc is None:
        doc = PrecomputedJson(provider_metadata(current_app))
        current_app.extensions["idp_discovery"] = doc
    return _cached_json(doc.body, doc.etag, 3600)


@bp.get("/oauth2/jwks")
def jwks() -> Response:
    """RFC 7517 §5: public signing keys only; short cache so rotations propagate."""
    body = services().keys.jwks_body()
    cached = current_app.extensions.get("idp_jwks")
    if cached is None or cached[0] is not body:
        cached = (body, hashlib.sha256(body).hexdigest()[:32])
        current_app.extensions["idp_jwks"] = cached
    return _cached_json(body, cached[1], 300)


@bp.post("/oauth2/token")
@csrf.exempt
def token() -> Response:
    """RFC 6749 §3.2: the token endpoint."""
    return authorization_server.create_token_response()


@bp.route("/oauth2/userinfo", methods=["GET", "POST"])
@csrf.exempt
def userinfo() -> Response:
    """OIDC Core §5.3: GET or POST, bearer token in the header or the form body."""
    return bearer_challenge(authorization_server.create_endpoint_response("userinfo"))


def bearer_challenge(response: Response) -> Response:
    """RFC 6750 §3: ``Bearer`` challenge; no error code when no token was sent at all."""
    challenge = response.headers.get("WWW-Authenticate", "")
    if response.status_code == 401 and challenge.lower().startswith("bearer"):
        realm = f'realm="{current_app.config["IDP_ISSUER"]}"'
        if 'error="missing_authorization"' in challenge:
            response.headers["WWW-Authenticate"] = f"Bearer {realm}"
        else:
            response.headers["WWW-Authenticate"] = f"Bearer {realm}, " + challenge[7:]
    return response
