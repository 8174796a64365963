"""The authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2) and its resumption.

A request is validated by Authlib's grant (client, exact redirect_uri, response_type,
scope, PKCE, nonce, prompt). Errors that cannot be sent back safely (unknown client,
unregistered redirect_uri) become an error page, never a redirect. When the citizen must
sign in, the request is parked in a login flow and resumed by ``resume`` afterwards, so
``prompt=login`` and ``max_age`` are satisfied by the fresh login rather than looping.
"""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import AccessDeniedError, InvalidRequestError, OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oidc.core.errors import (
    ConsentRequiredError,
    InvalidRequestURIError,
    LoginRequiredError,
)
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from idp import audit
from idp.assurance import reaches, wanted_level
from idp.citizens.models import Citizen
from idp.errors import DomainError
from idp.extensions import csrf, db
from idp.flows.flow import finish_flow, load_flow
from idp.flows.login.flow import start_login_flow
from idp.login_session import LoginSession, add_client, current_login
from idp.oidc import pushed_requests, request_objects
from idp.oidc.claims import subject_for
from idp.oidc.consent import ask_consent, needs_consent
from idp.oidc.grants import Issuer
from idp.oidc.request_params import (
    id_token_hint_subject,
    preferred_locale,
    refuse_request_objects,
    requested_claims,
)
from idp.oidc.server import authorization_server
from idp.services import clock
from webapp.i18n import remember_locale

bp = Blueprint("authorize", __name__)

MAX_PARAM_LENGTH = 2048


class StoredAuthorizationRequest(OAuth2Request):
    """An authorization request rebuilt from its parameters (after login).

    It also carries what the code saved for it records (``CodeGrant.save_authorization_code``):
    the ``claims`` parameter as checked, the login's ``auth_context``; and the grant marks
    it ``code_issued`` once a code was saved.
    """

    def __init__(self, params: dict[str, str]):
        super().__init__("GET", current_app.config["IDP_ISSUER"] + "/oauth2/authorize")
        self.payload = BasicOAuth2Payload(params)
        self.requested_claims: dict = {}
        self.auth_context: dict | None = None
        self.code_issued = False

    @property
    def args(self):
        return self.payload.data

    @property
    def form(self):
        return {}


def _parameter(key: str) -> str:
    """How an error description names a parameter (``idp.oidc.error_descriptions``
    replaces the characters RFC 6749 forbids there)."""
    return f"Parameter '{key[:64]}'"


def request_parameters() -> dict[str, str]:
    """The request's parameters (the query, or a POST's form), each at most once (RFC 6749
    §3.1) and at most ``MAX_PARAM_LENGTH`` long; InvalidRequestError otherwise."""
    source = request.form if request.method == "POST" else request.args
    params = {}
    for key in source:
        values = source.getlist(key)
        if len(values) > 1:
            # RFC 6749 §3.1: parameters MUST NOT be included more than once.
            raise InvalidRequestError(f"{_parameter(key)} is repeated.")
        if len(values[0]) > MAX_PARAM_LENGTH:
            raise InvalidRequestError(f"{_parameter(key)} is too long.")
        params[key] = values[0]
    return params


def _error_page(error: OAuth2Error, status: int = 400) -> tuple[str, int]:
    return render_template("provider/oauth_error.html", error=error), status


def _send_error(req: OAuth2Request, error: OAuth2Error) -> Response | tuple[str, int]:
    """Redirect the error to a verified redirect_uri (with iss and state), else show a page."""
    if not error.redirect_uri:
        return _error_page(error)
    error.state = req.payload.state
    response = authorization_server.handle_error_response(req, error)
    Issuer().add_issuer_parameter(authorization_server, response)
    return response


def _max_age(params: dict[str, str], redirect_uri: str) -> int | None:
    raw = params.get("max_age")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 10:
        raise InvalidRequestError(
            "'max_age' must be a non-negative integer.", redirect_uri=redirect_uri
        )
    return int(raw)


def _signed_in_citizen(login: LoginSession | None) -> Citizen | None:
    if login is None:
        return None
    citizen = db.session.get(Citizen, login.citizen_id)
    return citizen if citizen is not None and citizen.is_active else None


def check_pushed_request(params: dict[str, str]) -> None:
    """Validate a pushed authorization request as this endpoint will (RFC 9126 §2.1), with
    no citizen yet: OAuth2Error, for a JSON answer (never a redirect), when it could not
    succeed. The endpoint checks it again, in full, when the browser brings it."""
    req = StoredAuthorizationRequest(params)
    try:
        authorization_server.get_consent_grant(req, end_user=None)
    except (LoginRequiredError, ConsentRequiredError):
        pass  # prompt=none: decided when the browser comes, with its session
    except OAuth2Error as error:
        error.redirect_uri = None
        raise
    refuse_request_objects(params, None)
    requested_claims(params, None)
    _max_age(params, None)


def process(
    params: dict[str, str],
    fresh_login: bool = False,
    consented: bool = False,
    front_channel: bool = False,
):
    """Validate an authorization request and answer it: code, error, login or consent first.

    ``front_channel``: the parameters came in the browser's request itself, not pushed
    (RFC 9126) nor parked by this provider; a client that must push is refused them.
    """
    req = StoredAuthorizationRequest(params)
    login = current_login()
    citizen = _signed_in_citizen(login)
    try:
        grant = authorization_server.get_consent_grant(req, end_user=citizen)
        redirect_uri = grant.redirect_uri
        if front_channel and pushed_requests.required_of(grant.request.client):
            raise InvalidRequestError(
                "This client must push its authorization requests (RFC 9126).",
                redirect_uri=redirect_uri,
            )
        refuse_request_objects(params, redirect_uri)
        req.requested_claims = requested_claims(params, redirect_uri)
        max_age = _max_age(params, redirect_uri)
    except OAuth2Error as error:
        return _send_error(req, error)
    client = grant.request.client
    prompts = (params.get("prompt") or "").split()
    if citizen is not None and params.get("id_token_hint"):
        hinted = id_token_hint_subject(params["id_token_hint"], client.client_id)
        if hinted != subject_for(citizen, client):
            citizen = None  # §3.1.2.2: the hinted user is not the one signed in
    wanted = wanted_level(params, req.requested_claims)
    needs_login = (
        citizen is None
        or not reaches(login.acr, wanted)  # a session below the level asked for: step up
        or (
            not fresh_login
            and (
                "login" in prompts
                or (max_age is not None and clock().now() - login.auth_time > max_age)
            )
        )
    )
    if needs_login:
        if "none" in prompts or (fresh_login and citizen is not None):
            # A fresh login that still does not reach the level: never loop back to it.
            return _send_error(req, LoginRequiredError(redirect_uri=redirect_uri))
        remember_locale(preferred_locale(params))  # OIDC Core §3.1.2.1 ui_locales
        flow = start_login_flow(params, client=client, min_acr=wanted)
        return redirect(url_for("login.choose", flow=flow.id))
    if not consented and needs_consent(citizen.id, client, grant.request.scope, prompts):
        if "none" in prompts:
            return _send_error(req, ConsentRequiredError(redirect_uri=redirect_uri))
        return ask_consent(params, client, grant.request.scope, fresh_login)
    req.auth_context = {
        "sid": login.sid,
        "auth_time": login.auth_time,
        "acr": login.acr,
        "amr": login.amr,
    }
    response = authorization_server.create_authorization_response(
        req, grant_user=citizen, grant=grant
    )
    if req.code_issued:
        add_client(login, client.client_id)
        audit.record(
            "authorization.code_issued",
            citizen_id=citizen.id,
            client_id=client.client_id,
            scope=grant.request.scope,  # the connected-agencies page shows what was shared
        )
    return response


def deny(params: dict[str, str]):
    """The citizen refused consent: ``access_denied`` back to the client (§3.1.2.6)."""
    req = StoredAuthorizationRequest(params)
    try:
        grant = authorization_server.get_consent_grant(req, end_user=None)
    except OAuth2Error as error:
        if error.redirect_uri:
            return _send_error(req, AccessDeniedError(redirect_uri=error.redirect_uri))
        return _send_error(req, error)
    return _send_error(req, AccessDeniedError(redirect_uri=grant.redirect_uri))


@bp.route("/oauth2/authorize", methods=["GET", "POST"])
@csrf.exempt  # a cross-site form POST from the client (OIDC Core §3.1.2.1)
def authorize():
    """OIDC Core §3.1.2.1: GET and POST with the same parameters; RFC 9126 §4: or
    ``client_id`` and the ``request_uri`` of a pushed request, whose parameters are then
    the only ones read; RFC 9101: or ``client_id`` and a signed ``request`` object, whose
    members are."""
    try:
        params = request_parameters()
    except OAuth2Error as error:
        return _error_page(error)
    request_uri = params.get("request_uri")
    if pushed_requests.is_pushed_reference(request_uri):
        pushed = pushed_requests.take(params.get("client_id"), request_uri)
        if pushed is None:
            return _error_page(
                InvalidRequestURIError("The request_uri is unknown, used or expired.")
            )
        return process(pushed)
    try:
        params = request_objects.resolve(params)  # RFC 9101: a signed request object
    except OAuth2Error as error:
        return _error_page(error)
    return process(params, front_channel=True)


@bp.get("/oauth2/authorize/resume")
def resume():
    """Continue a parked authorization request once its login flow is complete."""
    try:
        flow = load_flow("login", request.args.get("flow"), "done")
    except DomainError as exc:
        return render_template("provider/message.html", problem=exc.problem), 400
    if not finish_flow(flow):
        return redirect(url_for("login.signed_in"))
    return process(flow.data.authorize, fresh_login=True)
