"""HTTP surface of the login flow: read the form, advance the flow, render."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from idp import audit
from idp.accounts.models import Citizen
from idp.accounts.phone import mask_phone
from idp.errors import DomainError
from idp.extensions import db
from idp.flows.flow import Flow, finish_flow, load_flow, save_flow
from idp.flows.login import flow as states
from idp.flows.login.flow import start_login_flow
from idp.flows.login.password import check_password_login
from idp.login_session import current_login, start_login
from idp.services import services

bp = Blueprint("login", __name__)

AMR_PASSWORD_SMS = ["pwd", "sms", "mfa"]


def _flow_or_page(*allowed: str) -> Flow | tuple[str, int]:
    flow_id = request.values.get("flow")
    try:
        return load_flow("login", flow_id, *allowed)
    except DomainError as exc:
        return render_template("provider/message.html", problem=exc.problem, restart=True), 400


@bp.get("/login")
def choose():
    """Step 4: the choice of account kind; the portal's account is a form button."""
    if not request.args.get("flow"):
        flow = start_login_flow(None)
        return redirect(url_for("login.choose", flow=flow.id))
    flow = _flow_or_page(states.CHOOSE_METHOD, states.PASSWORD, states.OTP)
    if not isinstance(flow, Flow):
        return flow
    return render_template("provider/login/choose.html", flow=flow)


@bp.post("/login/method")
def choose_method():
    flow = _flow_or_page(states.CHOOSE_METHOD, states.PASSWORD, states.OTP)
    if not isinstance(flow, Flow):
        return flow
    flow.state = states.PASSWORD
    flow.data.pop("citizen_id", None)
    save_flow(flow)
    return redirect(url_for("login.password", flow=flow.id))


@bp.route("/login/password", methods=["GET", "POST"])
def password():
    """Step 5: user name (CMND/CCCD) and password."""
    flow = _flow_or_page(states.PASSWORD)
    if not isinstance(flow, Flow):
        return flow
    username = request.form.get("username", flow.data.get("login_hint", ""))
    if request.method == "GET":
        return render_template("provider/login/password.html", flow=flow, username=username)
    try:
        citizen = check_password_login(username, request.form.get("password", ""))
        services().otp.send(flow.id, citizen.phone, "login")
    except DomainError as exc:
        return render_template(
            "provider/login/password.html", flow=flow, username=username, problem=exc.problem
        ), 400
    audit.record("otp.sent", citizen_id=citizen.id, purpose="login")
    flow.state = states.OTP
    flow.data["citizen_id"] = citizen.id
    save_flow(flow)
    return redirect(url_for("login.otp", flow=flow.id))


def _render_otp(flow: Flow, citizen: Citizen, problem=None, status: int = 200, notice=None):
    return render_template(
        "provider/otp.html",
        flow=flow,
        masked_phone=mask_phone(citizen.phone),
        otp_state=services().otp.state(flow.id),
        action=url_for("login.otp", flow=flow.id),
        resend_action=url_for("login.resend_otp", flow=flow.id),
        problem=problem,
        notice=notice,
    ), status


@bp.route("/login/otp", methods=["GET", "POST"])
def otp():
    """Step 6: the SMS OTP, "Xác nhận"."""
    flow = _flow_or_page(states.OTP)
    if not isinstance(flow, Flow):
        return flow
    citizen = db.session.get(Citizen, flow.data["citizen_id"])
    if request.method == "GET":
        return _render_otp(flow, citizen)
    try:
        services().otp.verify(flow.id, request.form.get("otp", ""))
    except DomainError as exc:
        audit.record("otp.failed", citizen_id=citizen.id, purpose="login", reason=exc.problem.code)
        return _render_otp(flow, citizen, exc.problem, 400)
    return _complete(flow, citizen)


@bp.post("/login/otp/resend")
def resend_otp():
    """ "Gửi lại OTP": a new code (the old one stops working) after the cooldown."""
    flow = _flow_or_page(states.OTP)
    if not isinstance(flow, Flow):
        return flow
    citizen = db.session.get(Citizen, flow.data["citizen_id"])
    try:
        services().otp.send(flow.id, citizen.phone, "login")
    except DomainError as exc:
        return _render_otp(flow, citizen, exc.problem, 429)
    audit.record("otp.sent", citizen_id=citizen.id, purpose="login", resend=True)
    return _render_otp(flow, citizen, notice="Mã OTP mới đã được gửi.")


def _complete(flow: Flow, citizen: Citizen):
    session = start_login(citizen.id, AMR_PASSWORD_SMS, "LoA1")
    audit.record("login.success", citizen_id=citizen.id, sid=session.sid, amr=session.amr)
    if flow.data.get("authorize"):
        flow.state = states.DONE
        save_flow(flow)
        return redirect(url_for("authorize.resume", flow=flow.id))
    finish_flow(flow)
    return redirect(url_for("login.signed_in"))


@bp.get("/login/done")
def signed_in():
    """Where a login that no client asked for ends."""
    login = current_login()
    citizen = db.session.get(Citizen, login.citizen_id) if login else None
    return render_template("provider/login/signed_in.html", citizen=citizen)
