"""HTTP surface of "Quên mật khẩu": read the form, advance the flow, render.

As in registration, a GET of any step shows the step the flow is at, and a POST to a
step the flow is not at changes nothing and says so.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, redirect, render_template, url_for

from idp.flows.flow import Flow
from idp.flows.otp_step import OtpStep, masked, move_to
from idp.flows.recovery import flow as states
from idp.flows.recovery.identify import find_account, read_identity, typed_values
from idp.flows.recovery.otp_channel import code_state, confirm_code, send_code
from idp.flows.recovery.reset import reset_password
from idp.flows.steps import FlowSteps, Page, flow_step

bp = Blueprint("recovery", __name__)

_steps = FlowSteps(
    states.KIND, states.load_recovery, states.STEP_ENDPOINTS, "provider/recovery/notice.html"
)


@bp.get("/recovery")
def start():
    """ "Quên mật khẩu": a new flow bound to this browser."""
    flow = states.start_recovery_flow()
    return redirect(url_for("recovery.identify", flow=flow.id))


@bp.route("/recovery/identify", methods=["GET", "POST"])
@flow_step(states.KIND, states.IDENTIFY)
@_steps.checked_form("provider/recovery/identify.html", typed_values, read_identity)
def identify(flow: Flow, identity: tuple[str, str], form: Callable[..., Page]) -> Page:
    """User name (CMND/CCCD) and phone; the same answer whether or not they match."""
    citizen = find_account(*identity)
    flow.data.id_number, flow.data.phone = identity
    flow.data.citizen_id = citizen.id if citizen else None
    return _otp_step.send_first(
        flow,
        states.OTP,
        form,
        "recovery.requested",
        citizen_id=flow.data.citizen_id,
        matched=citizen is not None,
    )


_otp_step = OtpStep(
    purpose="recovery",
    endpoint="recovery.otp",
    heading="Quên mật khẩu",
    masked_phone=masked(lambda flow: flow.data.phone),
    code_state=code_state,
    confirm=confirm_code,
    confirmed=move_to(_steps, states.PASSWORD),
    send=send_code,
    resend_audited=lambda flow: False,  # only the request is recorded, never a resend
)


# The OTP sent to the registered phone, "Xác nhận", and "Gửi lại OTP" under the OTP rules
# (the same for a match and a non-match).
_otp_step.mount(bp, "/recovery/otp", states.KIND, states.OTP)


@bp.route("/recovery/password", methods=["GET", "POST"])
@flow_step(states.KIND, states.PASSWORD)
@_steps.password_form("provider/recovery/password.html", reset_password)
def password(flow: Flow, reset: None) -> Page:
    """The new password and its confirmation; then every old session and token ends."""
    return redirect(url_for("recovery.done"))


@bp.get("/recovery/done")
def done():
    """The password was changed: sign in with it."""
    return render_template("provider/recovery/done.html")
