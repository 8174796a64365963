"""The recovery flow's states and data.

States: ``identify`` (user name + phone) → ``otp`` → ``password``; the flow is popped
when the new password is saved. ``RecoveryData`` holds the ``phone`` entered (E.164) and the
``citizen_id`` it belongs to, or None when user name and phone do not match an active
account: the flow then looks the same to the citizen but no code is ever sent or accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from idp.flows.flow import Flow, FlowData, create_flow, flow_data, load_flow

KIND = "recovery"
IDENTIFY = "identify"
OTP = "otp"
PASSWORD = "password"


@flow_data(KIND)
@dataclass
class RecoveryData(FlowData):
    phone: str | None = None  # as entered, E.164
    id_number: str | None = None  # as entered
    citizen_id: int | None = None  # None: no active account matches (look-alike step)


STEP_ENDPOINTS = {
    IDENTIFY: "recovery.identify",
    OTP: "recovery.otp",
    PASSWORD: "recovery.password",
}


def start_recovery_flow() -> Flow:
    """Start a forgot-password flow bound to this browser."""
    return create_flow(KIND, IDENTIFY)


def load_recovery(flow_id: str | None) -> Flow:
    """This browser's recovery flow (any state)."""
    return load_flow(KIND, flow_id)
