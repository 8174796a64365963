"""After step 6: create the account, sign the citizen in, and choose where they go next.

The account is created once even if the last step is submitted twice at the same moment:
the flow is popped from the store first (only one request gets it), and the unique
constraint on the identity number decides between different flows with the same number.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import url_for

from idp import audit
from idp.citizens.creation import ACCOUNT_EXISTS, account_exists, create_citizen
from idp.citizens.models import Citizen
from idp.citizens.password_policy import check_password
from idp.client_directory import client_directory
from idp.errors import DomainError, Problem
from idp.flows.flow import Flow, create_flow, finish_flow, load_flow
from idp.flows.login import flow as login_states
from idp.sign_in import start_login

AMR_PASSWORD_SMS = ["pwd", "sms", "mfa"]
ACR = "LoA1"

REGISTRATION_ALREADY_FINISHED = Problem(
    "registration.already_finished",
    "Yêu cầu đăng ký này đã được xử lý. Nếu bạn đã đăng ký thành công, hãy đăng nhập.",
)


def create_account(flow: Flow, password: str, password_confirm: str) -> Citizen:
    """Check the password, end the flow, create the account; DomainError says what failed.

    A password problem leaves the flow as it was (the citizen corrects it); once the
    flow is popped, an existing account gives ACCOUNT_EXISTS and nothing is written.
    """
    details: dict[str, Any] = flow.data.details
    check_password(
        password,
        password_confirm,
        identity_number=details["id_number"],
        phone_e164=details["phone"],
    )
    if not finish_flow(flow):
        raise DomainError(REGISTRATION_ALREADY_FINISHED)
    if account_exists(details["id_number"]):
        raise DomainError(ACCOUNT_EXISTS)
    return create_citizen(
        **details, password=password, password_confirm=password_confirm, actor="registration"
    )


def sign_in(citizen: Citizen) -> None:
    """Start the new citizen's login session: password + SMS OTP, LoA1."""
    session = start_login(citizen.id, AMR_PASSWORD_SMS, ACR)
    audit.record("login.success", citizen_id=citizen.id, sid=session.sid, via="registration")


def _authorize_params(return_to: str) -> dict[str, str] | None:
    """The parameters of a return address on the authorization endpoint, else None."""
    parts = urlsplit(return_to)
    if parts.path != "/oauth2/authorize":
        return None
    query = parse_qs(parts.query, keep_blank_values=True)
    if not query or any(len(values) != 1 for values in query.values()):
        return None
    return {key: values[0] for key, values in query.items()}


def _resume_authorization(params: dict[str, str], login_flow_id: str | None) -> str:
    """Hand the parked request to the authorization endpoint as a finished login."""
    if login_flow_id:
        try:
            finish_flow(load_flow("login", login_flow_id))
        except DomainError:
            pass  # the login flow already expired; the request itself is in ``params``
    done = create_flow("login", login_states.DONE, login_states.LoginData(authorize=params))
    return url_for("authorize.resume", flow=done.id)


def agency_name(flow: Flow) -> str | None:
    """The name of the agency the new citizen goes back to, when the provider knows it."""
    if flow.data.client_name:
        return str(flow.data.client_name)
    params = flow.data.authorize or _authorize_params(flow.data.return_to or "")
    return client_directory().name_of(params.get("client_id", "")) if params else None


def next_address(flow: Flow) -> str:
    """Where the newly registered, signed-in citizen goes: the client, or the done page."""
    if flow.data.authorize:
        return _resume_authorization(flow.data.authorize, flow.data.login_flow)
    return_to = flow.data.return_to
    if return_to:
        params = _authorize_params(return_to)
        return _resume_authorization(params, None) if params else return_to
    return url_for("registration.done")
