"""The end-session endpoint (OpenID Connect RP-Initiated Logout 1.0), on Authlib's
``EndSessionEndpoint``.

- ``id_token_hint`` must carry this provider's signature and ``iss``; an expired hint is
  still accepted (§2: "even when the exp time has passed"); with ``client_id`` too, the
  hint's ``aud`` must name that client (Authlib).
- A ``post_logout_redirect_uri`` that is not registered for the client is never followed:
  the citizen sees an error page instead (§3).
- Without a valid hint, or when the hint names another session than this browser's, the
  citizen confirms on "Bạn có muốn đăng xuất?" first (§6: logout requests are a
  denial-of-service vector); after that confirmation a registered redirect is followed.
- ``state`` comes back on the redirect (§3). Ending the session revokes the access and
  refresh tokens issued in it (by ``sid``) and sends back-channel logout tokens to the
  session's clients (``idp.sign_out``, ``idp.oidc.backchannel``).
"""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oidc.rpinitiated import EndSessionEndpoint, EndSessionRequest
from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from idp.citizens.models import Citizen
from idp.error_pages import CSRF_PROBLEM
from idp.extensions import csrf, db
from idp.federation import upstream_sessions
from idp.login_session import LoginSession, current_login
from idp.oidc.claims import subject_for
from idp.oidc.server import authorization_server
from idp.services import services
from idp.sign_out import end_sessions

bp = Blueprint("logout", __name__)

# The parameters a confirmation page carries forward to its POST (§2).
FORWARDED = ("id_token_hint", "post_logout_redirect_uri", "state", "client_id", "ui_locales")


class EndSession(EndSessionEndpoint):
    """Authlib's endpoint bound to our keys, issuer, login sessions and back-channel."""

    def get_server_jwks(self) -> dict:
        return services().keys.jwks()

    def get_algorithms(self) -> list[str]:
        return ["RS256", "ES256"]

    def _validate_id_token_hint(self, id_token_hint: str) -> dict:
        if len(id_token_hint) > 8192:
            raise InvalidRequestError("'id_token_hint' is too long.")
        claims = super()._validate_id_token_hint(id_token_hint)
        if claims.get("iss") != current_app.config["IDP_ISSUER"]:
            raise InvalidRequestError("'id_token_hint' was not issued by this provider.")
        return claims

    def is_post_logout_redirect_uri_legitimate(self, request, uri, client, logout_hint) -> bool:
        # Without a hint, the citizen's own confirmation makes a registered URI legitimate
        # (the view has checked the form's CSRF token already; a bad one never gets here).
        try:
            return _confirmed()
        except ValidationError:
            return False

    def end_session(self, end_session_request: EndSessionRequest) -> None:
        login = current_login()
        if login is None:
            return
        client = end_session_request.client
        # Ends it, revokes the tokens issued in it and tells its agencies (idp.sign_out).
        end_sessions([login], reason="rp_initiated", client_id=client.client_id if client else None)


def _hint_matches(req: EndSessionRequest, login: LoginSession) -> bool:
    """Whether the hint names this browser's session: its ``sid`` and its ``sub``."""
    claims = req.id_token_claims
    if not claims or req.client is None:
        return False
    if claims.get("sid") and claims["sid"] != login.sid:
        return False
    citizen = db.session.get(Citizen, login.citizen_id)
    return citizen is not None and claims.get("sub") == subject_for(citizen, req.client)


def _unregistered_redirect(req: EndSessionRequest) -> bool:
    uri = request.values.get("post_logout_redirect_uri")
    if not uri:
        return False
    if req.client is None:
        return True
    return uri not in req.client.client_metadata.get("post_logout_redirect_uris", [])


def _confirmed() -> bool:
    """A POST of the confirmation form, with this browser's CSRF token."""
    if request.method != "POST" or request.form.get("confirm") != "yes":
        return False
    validate_csrf(request.form.get("csrf_token"))
    return True


def _done_page():
    """ "Bạn đã đăng xuất"; after a POST by way of a redirect, so a reload repeats nothing."""
    if request.method == "POST":
        return redirect(url_for("logout.done"), 303)
    return render_template("provider/logout/done.html")


@bp.get("/oauth2/logout/done")
def done() -> ResponseReturnValue:
    """The page a confirmed sign-out without a registered return address ends on."""
    return render_template("provider/logout/done.html")


@bp.route("/oauth2/logout", methods=["GET", "POST"])
@csrf.exempt  # RPs may POST the logout request; the confirmation form checks CSRF itself
def end_session():
    """RP-Initiated Logout 1.0 §2: validate, confirm if needed, end the session, redirect."""
    try:
        confirmed = _confirmed()
    except ValidationError:
        return render_template("provider/message.html", problem=CSRF_PROBLEM, restart=True), 400
    try:
        req = authorization_server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        return render_template("provider/logout/error.html", error=error), 400
    if _unregistered_redirect(req):
        error = InvalidRequestError("'post_logout_redirect_uri' is not registered.")
        return render_template("provider/logout/error.html", error=error), 400
    login = current_login()
    if login is None:
        return redirect(req.redirect_uri) if req.redirect_uri else _done_page()
    if not confirmed and not _hint_matches(req, login):
        forwarded = {name: request.values[name] for name in FORWARDED if request.values.get(name)}
        client_name = req.client.client_name if req.client else None
        return render_template(
            "provider/logout/confirm.html", forwarded=forwarded, client_name=client_name
        )
    response = authorization_server.create_endpoint_response("end_session", req)
    if login.upstream:  # signed in through an upstream: its own logout first, if set up
        destination = response.location if response is not None else url_for("logout.done")
        return redirect(upstream_sessions.onward(login, destination), 303)
    return response or _done_page()


def init_app(app: Flask) -> None:
    """Register the endpoint with the app's authorization server (after ``init_oauth``)."""
    app.extensions["authorization_server"].register_endpoint(EndSession)
    app.register_blueprint(bp)
