"""The registration flow's states and data.

States: ``choose`` (account kind and method) → ``details`` → ``otp`` → ``password``; the
flow is popped from the store when the account is created. ``RegistrationData`` holds where to go
afterwards (``return_to``, or the ``authorize`` request parked by a login flow and that
flow's id ``login_flow``) and, from step 4 on, the checked ``details`` (or, when the
number already has an account, ``complaint_prefill`` for the complaint form). The state
``password`` is reached only through a confirmed OTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from idp.errors import DomainError
from idp.flows.flow import Flow, FlowData, create_flow, flow_data, load_flow
from idp.flows.return_address import safe_return_address

KIND = "registration"
CHOOSE = "choose"
DETAILS = "details"
OTP = "otp"
PASSWORD = "password"

# The page (endpoint) that shows each state, for GETs that land on another step.
STEP_ENDPOINTS = {
    CHOOSE: "registration.choose",
    DETAILS: "registration.details",
    OTP: "registration.otp",
    PASSWORD: "registration.password",
}

# The account kinds and methods offered: only the ones that work.
ACCOUNT_KINDS = {"citizen": "Công dân"}
METHODS = {"mobile": "Thuê bao di động"}


@flow_data(KIND)
@dataclass
class RegistrationData(FlowData):
    authorize: dict[str, str] | None = None  # parked by the login flow ``login_flow``
    client_name: str | None = None
    login_flow: str | None = None
    return_to: str | None = None  # an allowed return address (when no login flow)
    details: dict[str, Any] | None = None  # the checked details of step 4
    complaint_prefill: dict[str, Any] | None = None  # the number already has an account


def _parked_login(login_flow_id: str | None) -> RegistrationData | None:
    """The authorization request a login flow of this browser is holding, if any."""
    if not login_flow_id:
        return None
    try:
        login = load_flow("login", login_flow_id)
    except DomainError:
        return None
    if not login.data.authorize:
        return None
    return RegistrationData(
        authorize=login.data.authorize,
        client_name=login.data.client_name,
        login_flow=login.id,
    )


def start_registration_flow(return_to: str | None, login_flow_id: str | None) -> Flow:
    """Start a registration; remember where to go afterwards if that is allowed."""
    data = _parked_login(login_flow_id) or RegistrationData()
    if data.login_flow is None:
        data.return_to = safe_return_address(return_to) or None
    return create_flow(KIND, CHOOSE, data)


def load_registration(flow_id: str | None, *states: str) -> Flow:
    """This browser's registration flow, in one of ``states`` if given."""
    return load_flow(KIND, flow_id, *states)
