"""HTTP surface of registration: read the form, advance the flow, render.

A GET of any step shows the step the flow is at (back and refresh are safe); a POST to
a step the flow is not at changes nothing and says so.
"""

from __future__ import annotations

import functools

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from idp import audit
from idp.abuse.sms_pumping import send_otp
from idp.citizens.creation import ACCOUNT_EXISTS, account_exists
from idp.citizens.models import Citizen
from idp.error_pages import UNAVAILABLE
from idp.errors import DomainError, ServiceUnavailable
from idp.extensions import db
from idp.flows.flow import FLOW_WRONG_STEP, Flow, save_flow
from idp.flows.otp_step import OtpStep, masked, move_to
from idp.flows.registration import flow as states
from idp.flows.registration.completion import (
    agency_name,
    create_account,
    next_address,
    sign_in,
)
from idp.flows.registration.details import check_details, typed_values
from idp.flows.steps import FlowSteps, flow_step
from idp.login_session import current_login
from idp.services import services
from idp.subscribers import SUBSCRIBER_MISMATCH, SUBSCRIBER_UNAVAILABLE, check_subscriber

bp = Blueprint("registration", __name__)

_steps = FlowSteps(
    states.KIND,
    states.load_registration,
    states.STEP_ENDPOINTS,
    "provider/registration/notice.html",
)
_notice = _steps.notice
REGISTERED = "registered"  # Flask session key: where "Tiếp tục" goes after registering


@bp.get("/register")
def start():
    """Step 3 begins: a new flow, remembering an allowed ``return_to`` or login flow."""
    if request.args.get("flow"):
        return choose()
    flow = states.start_registration_flow(
        request.args.get("return_to"), request.args.get("login_flow")
    )
    return redirect(url_for("registration.choose", flow=flow.id))


@bp.get("/register/method")
@flow_step(states.KIND, states.CHOOSE)
def choose(flow: Flow):
    """Step 3: the account kind "Công dân" and the method "Thuê bao di động"."""
    return render_template(
        "provider/registration/choose.html",
        flow=flow,
        kinds=states.ACCOUNT_KINDS,
        methods=states.METHODS,
    )


@bp.post("/register/method")
@flow_step(states.KIND, states.CHOOSE)
def choose_method(flow: Flow):
    kind, method = request.form.get("kind", "citizen"), request.form.get("method")
    if kind not in states.ACCOUNT_KINDS or method not in states.METHODS:
        return _notice(FLOW_WRONG_STEP, 400, flow)
    flow.state = states.DETAILS
    save_flow(flow)
    return redirect(url_for("registration.details", flow=flow.id))


_details_page = functools.partial(_steps.form, "provider/registration/details.html")


@bp.route("/register/details", methods=["GET", "POST"])
@flow_step(states.KIND, states.DETAILS)
def details(flow: Flow):
    """Step 4: the citizen's details; then the "chính chủ" check and the OTP."""
    if request.method == "GET":
        return _details_page(flow, {})
    typed = typed_values(request.form)
    checked, problems = check_details(typed)
    if checked is None:
        return _details_page(flow, typed, problems, status=400)
    if account_exists(checked.id_number):
        audit.record("registration.account_exists")
        flow.data.complaint_prefill = checked.as_dict()  # for the "khiếu nại" link
        save_flow(flow)
        return redirect(url_for("registration.exists", flow=flow.id), 303)
    try:
        registered = check_subscriber(checked.phone, checked.id_number)
    except ServiceUnavailable:
        return _details_page(flow, typed, problem=SUBSCRIBER_UNAVAILABLE, status=503)
    if not registered:
        audit.record("registration.subscriber_mismatch")
        return _details_page(flow, typed, {"phone": SUBSCRIBER_MISMATCH}, status=400)
    flow.data.details = checked.as_dict()  # saved below, once the code is sent
    try:
        _send_code(flow)
    except DomainError as exc:
        return _details_page(flow, typed, problem=exc.problem, status=429)
    except ServiceUnavailable:
        return _details_page(flow, typed, problem=UNAVAILABLE, status=503)
    audit.record("otp.sent", purpose="registration")
    flow.state = states.OTP
    save_flow(flow)
    return redirect(url_for("registration.otp", flow=flow.id))


@bp.get("/register/exists")
@flow_step(states.KIND, states.DETAILS)
def exists(flow: Flow) -> ResponseReturnValue:
    """The number typed at step 4 already has an account: "Quên mật khẩu" or "khiếu nại".

    A page of its own (POST/redirect/GET), so Back returns to the details form without
    resubmitting it.
    """
    if not flow.data.complaint_prefill:
        return redirect(url_for("registration.details", flow=flow.id))
    return render_template("provider/registration/exists.html", flow=flow, problem=ACCOUNT_EXISTS)


def _send_code(flow: Flow) -> None:
    """A code to the phone of the details (step 4), under the OTP rules: the first and
    every "Gửi lại OTP"."""
    details = flow.data.details
    send_otp(flow.id, details["phone"], "registration", id_number=details["id_number"])


def _resend_code(flow: Flow) -> None:
    _send_code(flow)
    audit.record("otp.sent", purpose="registration", resend=True)


_otp_step = OtpStep(
    purpose="registration",
    endpoint="registration.otp",
    resend_endpoint="registration.resend_otp",
    heading="Xác thực số điện thoại",
    masked_phone=masked(lambda flow: flow.data.details["phone"]),
    confirmed=move_to(_steps, states.PASSWORD),
    resend=_resend_code,
    citizen_id=lambda flow: None,  # no account yet
)


# Step 5: the OTP sent to the phone being registered, "Xác nhận", and "Gửi lại OTP".
_otp_step.mount(bp, "/register/otp", states.KIND, states.OTP)


@bp.route("/register/password", methods=["GET", "POST"])
@flow_step(states.KIND, states.PASSWORD)
def password(flow: Flow):
    """Step 6: the password and its confirmation, "Đăng ký"; the account is created."""
    if request.method == "GET":
        return render_template("provider/registration/password.html", flow=flow)
    try:
        citizen = create_account(
            flow, request.form.get("password", ""), request.form.get("password_confirm", "")
        )
    except DomainError as exc:
        if exc.problem == ACCOUNT_EXISTS:
            page = render_template(
                "provider/registration/exists.html", flow=None, problem=ACCOUNT_EXISTS
            )
            return page, 409
        if exc.problem.field in ("password", "password_confirm"):
            page = render_template(
                "provider/registration/password.html", flow=flow, problem=exc.problem
            )
            return page, 400
        return _notice(exc.problem, 409)
    sign_in(citizen)
    services().otp.discard(flow.id)
    # "Đăng ký thành công" is said here, before going back: every agency's citizen hears
    # it, and no agency has to understand a signal of ours.
    done_page = url_for("registration.done")
    onward = next_address(flow)
    session[REGISTERED] = {
        "continue": onward if onward != done_page else None,
        "agency": agency_name(flow),
    }
    return redirect(done_page)


@bp.get("/register/done")
def done():
    """ "Đăng ký thành công": signed in; then on to the agency that asked, if one did."""
    login = current_login()
    citizen = db.session.get(Citizen, login.citizen_id) if login else None
    if citizen is None:
        return redirect(url_for("pages.home"))
    onward = session.get(REGISTERED) or {}
    return render_template(
        "provider/registration/done.html",
        citizen=citizen,
        continue_url=onward.get("continue"),
        agency=onward.get("agency"),
    )
