"""HTTP surface of registration: read the form, advance the flow, render.

A GET of any step shows the step the flow is at (back and refresh are safe); a POST to
a step the flow is not at changes nothing and says so.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from idp import audit
from idp.citizens.creation import ACCOUNT_EXISTS, account_exists
from idp.citizens.models import Citizen
from idp.errors import DomainError, ServiceUnavailable
from idp.extensions import db
from idp.flows.flow import FLOW_WRONG_STEP, Flow, save_flow
from idp.flows.otp_step import OtpStep, move_to
from idp.flows.registration import flow as states
from idp.flows.registration.completion import (
    agency_name,
    create_account,
    next_address,
    sign_in,
)
from idp.flows.registration.details import Details, check_details, typed_values
from idp.flows.steps import FlowSteps, Page, flow_step
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


@bp.route("/register/details", methods=["GET", "POST"])
@flow_step(states.KIND, states.DETAILS)
@_steps.checked_form("provider/registration/details.html", typed_values, check_details)
def details(flow: Flow, checked: Details, form: Callable[..., Page]) -> Page:
    """Step 4: the citizen's details; then the "chính chủ" check and the OTP."""
    if account_exists(checked.id_number):
        audit.record("registration.account_exists")
        flow.data.complaint_prefill = checked.as_dict()  # for the "khiếu nại" link
        save_flow(flow)
        return redirect(url_for("registration.exists", flow=flow.id), 303)
    try:
        registered = check_subscriber(checked.phone, checked.id_number)
    except ServiceUnavailable:
        return form(problem=SUBSCRIBER_UNAVAILABLE, status=503)
    if not registered:
        audit.record("registration.subscriber_mismatch")
        return form({"phone": SUBSCRIBER_MISMATCH}, status=400)
    flow.data.details = checked.as_dict()  # saved once the code is sent
    return _otp_step.send_first(flow, states.OTP, form, "otp.sent", purpose="registration")


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


_otp_step = OtpStep.new_account_phone(
    purpose="registration",
    endpoint="registration.otp",
    phone=lambda flow: flow.data.details["phone"],
    id_number=lambda flow: flow.data.details["id_number"],
    confirmed=move_to(_steps, states.PASSWORD),
)


# Step 5: the OTP sent to the phone being registered, "Xác nhận", and "Gửi lại OTP".
_otp_step.mount(bp, "/register/otp", states.KIND, states.OTP)


def _create(flow: Flow, password: str, confirmation: str) -> Citizen | None:
    """The new account; None when its identity number has one already."""
    try:
        return create_account(flow, password, confirmation)
    except DomainError as exc:
        if exc.problem != ACCOUNT_EXISTS:
            raise
        return None


@bp.route("/register/password", methods=["GET", "POST"])
@flow_step(states.KIND, states.PASSWORD)
@_steps.password_form("provider/registration/password.html", _create)
def password(flow: Flow, citizen: Citizen | None) -> Page:
    """Step 6: the password and its confirmation, "Đăng ký"; the account is created."""
    if citizen is None:
        page = render_template(
            "provider/registration/exists.html", flow=None, problem=ACCOUNT_EXISTS
        )
        return page, 409
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
