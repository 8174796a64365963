"""HTTP surface of "Quên mật khẩu": read the form, advance the flow, render.

As in registration, a GET of any step shows the step the flow is at, and a POST to a
step the flow is not at changes nothing and says so.
"""

from __future__ import annotations

import functools

from flask import Blueprint, redirect, render_template, request, url_for

from idp import audit
from idp.error_pages import UNAVAILABLE
from idp.errors import DomainError, ServiceUnavailable
from idp.flows.flow import Flow, save_flow
from idp.flows.otp_step import OtpStep, masked, move_to
from idp.flows.recovery import flow as states
from idp.flows.recovery.identify import find_account, read_identity, typed_values
from idp.flows.recovery.otp_channel import code_state, confirm_code, send_code
from idp.flows.recovery.reset import reset_password
from idp.flows.steps import FlowSteps, flow_step

bp = Blueprint("recovery", __name__)

_steps = FlowSteps(
    states.KIND, states.load_recovery, states.STEP_ENDPOINTS, "provider/recovery/notice.html"
)
_notice = _steps.notice


@bp.get("/recovery")
def start():
    """ "Quên mật khẩu": a new flow bound to this browser."""
    flow = states.start_recovery_flow()
    return redirect(url_for("recovery.identify", flow=flow.id))


_identify_page = functools.partial(_steps.form, "provider/recovery/identify.html")


@bp.route("/recovery/identify", methods=["GET", "POST"])
@flow_step(states.KIND, states.IDENTIFY)
def identify(flow: Flow):
    """User name (CMND/CCCD) and phone; the same answer whether or not they match."""
    if request.method == "GET":
        return _identify_page(flow, {})
    typed = typed_values(request.form)
    identity, problems = read_identity(typed)
    if identity is None:
        return _identify_page(flow, typed, problems, status=400)
    citizen = find_account(*identity)
    flow.data.id_number, flow.data.phone = identity
    flow.data.citizen_id = citizen.id if citizen else None
    try:
        send_code(flow)
    except DomainError as exc:
        return _identify_page(flow, typed, problem=exc.problem, status=429)
    except ServiceUnavailable:
        return _identify_page(flow, typed, problem=UNAVAILABLE, status=503)
    citizen_id = citizen.id if citizen else None
    audit.record("recovery.requested", citizen_id=citizen_id, matched=citizen is not None)
    flow.state = states.OTP
    save_flow(flow)
    return redirect(url_for("recovery.otp", flow=flow.id))


_otp_step = OtpStep(
    purpose="recovery",
    endpoint="recovery.otp",
    resend_endpoint="recovery.resend_otp",
    heading="Quên mật khẩu",
    masked_phone=masked(lambda flow: flow.data.phone),
    code_state=code_state,
    confirm=confirm_code,
    confirmed=move_to(_steps, states.PASSWORD),
    resend=send_code,
    citizen_id=lambda flow: flow.data.citizen_id,
)


# The OTP sent to the registered phone, "Xác nhận", and "Gửi lại OTP" under the OTP rules
# (the same for a match and a non-match).
_otp_step.mount(bp, "/recovery/otp", states.KIND, states.OTP)


@bp.route("/recovery/password", methods=["GET", "POST"])
@flow_step(states.KIND, states.PASSWORD)
def password(flow: Flow):
    """The new password and its confirmation; then every old session and token ends."""
    if request.method == "GET":
        return render_template("provider/recovery/password.html", flow=flow)
    try:
        reset_password(
            flow, request.form.get("password", ""), request.form.get("password_confirm", "")
        )
    except DomainError as exc:
        if exc.problem.field in ("password", "password_confirm"):
            page = render_template(
                "provider/recovery/password.html", flow=flow, problem=exc.problem
            )
            return page, 400
        return _notice(exc.problem, 409)
    return redirect(url_for("recovery.done"))


@bp.get("/recovery/done")
def done():
    """The password was changed: sign in with it."""
    return render_template("provider/recovery/done.html")
