"""The pushed authorization request endpoint (RFC 9126 §2): a client sends its
authorization request over the back channel, authenticated as at the token endpoint,
and gets a single-use ``request_uri`` to send the browser with instead.

The request is checked as the authorization endpoint would check it (client,
``redirect_uri``, ``response_type``, scope, PKCE, ``claims``, ``max_age``); what cannot
succeed is refused here with a JSON error (RFC 9126 §2.3), never a redirect. A pushed
``request_uri`` is refused (§2.1). A signed ``request`` object (RFC 9101) is verified
here (``idp.oidc.request_objects``) and its members are what is kept, so its ``jti`` is
spent once, at the push. The client's own credentials are not kept with the request.
Limits: per client after authentication, failures per address
(``RATE_LIMIT_PAR_PER_CLIENT``, ``RATE_LIMIT_CLIENT_AUTH_FAILURES``), and the request
parameters' own limits (``idp.abuse.input_limits``, ``authorize.request_parameters``).
"""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from flask import Blueprint, Response, jsonify, request

from idp.extensions import csrf
from idp.oidc import pushed_requests, request_objects
from idp.oidc.authorize import check_pushed_request, request_parameters
from idp.oidc.security_profiles import is_fapi2
from idp.oidc.server import authorization_server

bp = Blueprint("par", __name__)

# As at the token endpoint: the client's registered method decides (``check_endpoint_auth_method``).
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
# Client authentication, not part of the authorization request (RFC 9126 §2.1).
CREDENTIALS = ("client_secret", "client_assertion", "client_assertion_type")


@bp.post("/oauth2/par")
@csrf.exempt  # a back-channel call, authenticated by the client's credentials
def push() -> Response:
    """RFC 9126 §2: 201 with ``request_uri`` and ``expires_in``, or a JSON error."""
    oauth_request = authorization_server.create_oauth2_request(request)
    try:
        client = authorization_server.authenticate_client(
            oauth_request, AUTH_METHODS, endpoint="token"
        )
        params = {k: v for k, v in request_parameters().items() if k not in CREDENTIALS}
        if params.setdefault("client_id", client.client_id) != client.client_id:
            raise InvalidRequestError("'client_id' is not the authenticated client.")
        if "request_uri" in params:
            raise InvalidRequestError("'request_uri' cannot be pushed (RFC 9126 2.1).")
        params = request_objects.resolve(params)  # a signed request object inside the push
        if is_fapi2(client) and not params.get("redirect_uri"):
            raise InvalidRequestError("A FAPI 2.0 client names its redirect_uri.")
        check_pushed_request(params)
    except OAuth2Error as error:
        return authorization_server.handle_error_response(oauth_request, error)
    pushed = pushed_requests.save(client.client_id, params)
    response = jsonify(request_uri=pushed.request_uri, expires_in=pushed.expires_in)
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response
