"""The OTP step of recovery, identical whether or not the account was found.

For a match the real OTP service sends to the registered phone. For a non-match a twin
service with the same store, counters and rules runs, but its gateway drops the message
and no entered code is ever accepted: cooldowns, hourly limits, tries and expiry then
look exactly the same to whoever is asking.
"""

from __future__ import annotations

from flask import current_app

from idp.abuse.sms_pumping import send_otp
from idp.errors import DomainError
from idp.flows.flow import Flow
from idp.otp import OTP_EXPIRED, OtpService, OtpState
from idp.services import services

PURPOSE = "recovery"


class DroppingGateway:
    """An SMS gateway that sends nothing (for the look-alike step of a non-match)."""

    def send(self, to_e164: str, text: str) -> None:
        """Drop the message."""


def _is_real(flow: Flow) -> bool:
    return flow.data.citizen_id is not None


def otp_service(flow: Flow) -> OtpService:
    """The real OTP service for a flow with an account (``citizen_id``); for one without,
    its look-alike twin (same store, counters and rules; the message is dropped)."""
    real = services().otp
    if _is_real(flow):
        return real
    return OtpService(real.store, DroppingGateway(), real.policy, current_app.config["SECRET_KEY"])


def send_real_or_look_alike(
    flow: Flow, phone_e164: str, purpose: str, id_number: str | None
) -> OtpState:
    """Send (without an account, pretend to send) the flow's code through ``otp_service``;
    the OTP rules apply either way."""
    return send_otp(flow.id, phone_e164, purpose, id_number=id_number, service=otp_service(flow))


def send_code(flow: Flow) -> OtpState:
    """Send (or pretend to send) a code to the phone entered; OTP rules apply either way."""
    return send_real_or_look_alike(flow, flow.data.phone, PURPOSE, flow.data.id_number)


def confirm_code(flow: Flow, entered: str) -> None:
    """Accept the code, or DomainError; a non-match never accepts any code."""
    otp_service(flow).verify(flow.id, entered)
    if not _is_real(flow):
        raise DomainError(OTP_EXPIRED)


def code_state(flow: Flow) -> OtpState | None:
    """The clocks the OTP page shows."""
    return otp_service(flow).state(flow.id)
