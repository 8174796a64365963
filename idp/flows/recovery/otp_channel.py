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


def _service(flow: Flow) -> OtpService:
    real = services().otp
    if _is_real(flow):
        return real
    return OtpService(real.store, DroppingGateway(), real.policy, current_app.config["SECRET_KEY"])


def send_code(flow: Flow) -> OtpState:
    """Send (or pretend to send) a code to the phone entered; OTP rules apply either way."""
    return send_otp(
        flow.id,
        flow.data.phone,
        PURPOSE,
        id_number=flow.data.id_number,
        service=_service(flow),
    )


def confirm_code(flow: Flow, entered: str) -> None:
    """Accept the code, or DomainError; a non-match never accepts any code."""
    _service(flow).verify(flow.id, entered)
    if not _is_real(flow):
        raise DomainError(OTP_EXPIRED)


def code_state(flow: Flow) -> OtpState | None:
    """The clocks the OTP page shows."""
    return _service(flow).state(flow.id)
