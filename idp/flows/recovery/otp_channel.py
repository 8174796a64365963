"""The OTP step of recovery, identical whether or not the account was found.

For a match the real OTP service sends to the registered phone. For a non-match a twin
service with the same store, counters and rules runs, but its gateway drops the message
and no entered code is ever accepted: cooldowns, hourly limits, tries and expiry then
look exactly the same to whoever is asking.
"""

from __future__ import annotations

from idp.errors import DomainError
from idp.flows.flow import Flow
from idp.flows.look_alike import is_real, otp_service, send_real_or_look_alike
from idp.otp import OTP_EXPIRED, OtpState

PURPOSE = "recovery"


def send_code(flow: Flow) -> OtpState:
    """Send (or pretend to send) a code to the phone entered; OTP rules apply either way."""
    return send_real_or_look_alike(flow, flow.data.phone, PURPOSE, flow.data.id_number)


def confirm_code(flow: Flow, entered: str) -> None:
    """Accept the code, or DomainError; a non-match never accepts any code."""
    otp_service(flow).verify(flow.id, entered)
    if not is_real(flow):
        raise DomainError(OTP_EXPIRED)


def code_state(flow: Flow) -> OtpState | None:
    """The clocks the OTP page shows."""
    return otp_service(flow).state(flow.id)
