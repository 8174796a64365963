"""The look-alike OTP channel of a flow without an account.

Login under the lock with a wrong password or an unknown user name, and recovery for
details that match no account, must look exactly like the real step to whoever is asking.
For a flow with an account (``citizen_id``) the real OTP service sends; for one without, a
twin service with the same store, counters and rules runs, but its gateway drops the
message, so cooldowns, hourly limits, tries and expiry look the same.
"""

from __future__ import annotations

from flask import current_app

from idp.abuse.sms_pumping import send_otp
from idp.flows.flow import Flow
from idp.otp import OtpService, OtpState
from idp.services import services


class DroppingGateway:
    """An SMS gateway that sends nothing (the look-alike step's)."""

    def send(self, to_e164: str, text: str) -> None:
        """Drop the message."""


def is_real(flow: Flow) -> bool:
    """Whether the flow has an account, so that its codes are really sent."""
    return flow.data.citizen_id is not None


def otp_service(flow: Flow) -> OtpService:
    """The real OTP service for a flow with an account (``citizen_id``); for one without,
    its look-alike twin (same store, counters and rules; the message is dropped)."""
    real = services().otp
    if is_real(flow):
        return real
    return OtpService(real.store, DroppingGateway(), real.policy, current_app.config["SECRET_KEY"])


def send_real_or_look_alike(
    flow: Flow, phone_e164: str, purpose: str, id_number: str | None
) -> OtpState:
    """Send (without an account, pretend to send) the flow's code through ``otp_service``;
    the OTP rules apply either way."""
    return send_otp(flow.id, phone_e164, purpose, id_number=id_number, service=otp_service(flow))
