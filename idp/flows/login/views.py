"""HTTP surface of the login flow: read the form, advance the flow, render."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from idp import audit
from idp.abuse import TooManyRequests
from idp.account.totp import has_authenticator
from idp.citizens import lockout
from idp.citizens.models import Citizen
from idp.errors import DomainError
from idp.extensions import db
from idp.flows.flow import Flow, finish_flow, rebind_flow, save_flow
from idp.flows.login import flow as states
from idp.flows.login import otp_channel
from idp.flows.login.flow import safe_return_path, start_login_flow
from idp.flows.login.password import check_password_login
from idp.flows.login.totp import check_recovery_code_login, check_totp_login
from idp.flows.otp_step import OtpStep
from idp.flows.steps import flow_step, register_guard, restart_guard
from idp.login_session import current_login
from idp.sign_in import start_login

bp = Blueprint("login", __name__)

AMR_PASSWORD_SMS = ["pwd", "sms", "mfa"]
_BEFORE_DONE = (
    states.CHOOSE_METHOD,
    states.PASSWORD,
    states.SECOND_FACTOR,
    states.OTP,
    states.TOTP,
)


register_guard("login", restart_guard("login"))


@bp.get("/login")
def choose():
    """Step 4: the choice of account kind; the portal's account is a form button."""
    if not request.args.get("flow"):
        flow = start_login_flow(None)
        return redirect(url_for("login.choose", flow=flow.id))
    return _choose_page()


@flow_step("login", *_BEFORE_DONE)
def _choose_page(flow: Flow):
    return render_template("provider/login/choose.html", flow=flow)


@bp.post("/login/method")
@flow_step("login", *_BEFORE_DONE)
def choose_method(flow: Flow):
    flow.state = states.PASSWORD
    flow.data.forget_second_step()
    save_flow(flow)
    return redirect(url_for("login.password", flow=flow.id))


@bp.route("/login/password", methods=["GET", "POST"])
@flow_step("login", states.PASSWORD)
def password(flow: Flow):
    """Step 5: user name (CMND/CCCD) and password."""
    username = request.form.get("username", flow.data.login_hint or "")
    if request.method == "GET":
        return render_template("provider/login/password.html", flow=flow, username=username)
    try:
        check = check_password_login(username, request.form.get("password", ""))
        if check.under_lock:
            return _otp_under_lock(flow, check.citizen, check.username)
        citizen = check.citizen
        with_app = has_authenticator(citizen.id)
        flow.data.citizen_id, flow.data.under_lock = citizen.id, False  # saved once sent
        if not with_app:
            otp_channel.send_code(flow)
    except DomainError as exc:
        status = 429 if isinstance(exc, TooManyRequests) else 400
        return render_template(
            "provider/login/password.html", flow=flow, username=username, problem=exc.problem
        ), status
    flow.data.decoy_phone = None
    if with_app:  # the citizen chooses SMS or the authenticator app first
        flow.state = states.SECOND_FACTOR
        save_flow(flow)
        return redirect(url_for("login.second_factor", flow=flow.id))
    audit.record("otp.sent", citizen_id=citizen.id, purpose="login")
    flow.state = states.OTP
    save_flow(flow)
    return redirect(url_for("login.otp", flow=flow.id))


def _otp_under_lock(flow: Flow, citizen: Citizen | None, username: str):
    """The SMS OTP step every attempt gets under the user-wide lock (see otp_channel)."""
    otp_channel.start_under_lock(flow, citizen, username)
    otp_channel.send_code(flow)  # TooManyRequests is answered by the password view
    # Recorded for the look-alike too (without a citizen): the same writes either way.
    citizen_id = citizen.id if citizen is not None else None
    audit.record("otp.sent", citizen_id=citizen_id, purpose="login", under_lock=True)
    flow.state = states.OTP
    save_flow(flow)
    return redirect(url_for("login.otp", flow=flow.id))


def _resend_code(flow: Flow) -> None:
    otp_channel.send_code(flow)
    if flow.data.citizen_id is not None:
        audit.record("otp.sent", citizen_id=flow.data.citizen_id, purpose="login", resend=True)


_otp_step = OtpStep(
    purpose=otp_channel.PURPOSE,
    endpoint="login.otp",
    resend_endpoint="login.resend_otp",
    masked_phone=otp_channel.shown_phone,
    code_state=otp_channel.code_state,
    confirm=otp_channel.confirm_code,
    confirmed=lambda flow, citizen: _complete(flow, citizen),
    resend=_resend_code,
    citizen_id=lambda flow: flow.data.citizen_id,
)


@bp.route("/login/otp", methods=["GET", "POST"])
@flow_step("login", states.OTP)
def otp(flow: Flow):
    """Step 6: the SMS OTP, "Xác nhận"."""
    return _otp_step.show_or_confirm(flow)


@bp.post("/login/otp/resend")
@flow_step("login", states.OTP)
def resend_otp(flow: Flow):
    """ "Gửi lại OTP": a new code (the old one stops working) after the cooldown; either
    way back to the OTP page (POST/redirect/GET), which says what happened once."""
    return _otp_step.send_again(flow)


def _complete(flow: Flow, citizen: Citizen, amr: list[str] = AMR_PASSWORD_SMS):
    session = start_login(citizen.id, amr, "LoA1")
    lockout.register_success(citizen.id_number)
    audit.record("login.success", citizen_id=citizen.id, sid=session.sid, amr=session.amr)
    if flow.data.authorize:
        flow.state = states.DONE
        rebind_flow(flow)  # to the browser id of the flow cookie renewed at login
        return redirect(url_for("authorize.resume", flow=flow.id))
    finish_flow(flow)
    return_to = safe_return_path(flow.data.return_to)
    return redirect(return_to or url_for("login.signed_in"))


def _render_second_factor(flow: Flow, problem=None, status: int = 200):
    return render_template("provider/login/second_factor.html", flow=flow, problem=problem), status


@bp.route("/login/second-factor", methods=["GET", "POST"])
@flow_step("login", states.SECOND_FACTOR, states.TOTP)
def second_factor(flow: Flow):
    """For a citizen with an authenticator app: SMS OTP (the default) or the app."""
    if request.method == "GET":
        return _render_second_factor(flow)
    if request.form.get("method") == "totp":
        flow.state = states.TOTP
        save_flow(flow)
        return redirect(url_for("login.totp", flow=flow.id))
    try:
        otp_channel.send_code(flow)
    except DomainError as exc:
        return _render_second_factor(flow, exc.problem, 429)
    audit.record("otp.sent", citizen_id=flow.data.citizen_id, purpose="login")
    flow.state = states.OTP
    save_flow(flow)
    return redirect(url_for("login.otp", flow=flow.id))


def _render_totp(flow: Flow, problem=None, status: int = 200):
    return render_template("provider/login/totp.html", flow=flow, problem=problem), status


@bp.route("/login/totp", methods=["GET", "POST"])
@flow_step("login", states.TOTP)
def totp(flow: Flow):
    """ "Ứng dụng xác thực": the app's 6-digit code."""
    if request.method == "GET":
        return _render_totp(flow)
    citizen = db.session.get(Citizen, flow.data.citizen_id)
    try:
        amr = check_totp_login(citizen.id, request.form.get("otp", ""))
    except DomainError as exc:
        return _render_totp(flow, exc.problem, 400)
    return _complete(flow, citizen, amr)


@bp.post("/login/recovery-code")
@flow_step("login", states.TOTP)
def recovery_code(flow: Flow):
    """A recovery code instead of the app's code (each works once)."""
    citizen = db.session.get(Citizen, flow.data.citizen_id)
    try:
        amr = check_recovery_code_login(citizen.id, request.form.get("recovery_code", ""))
    except DomainError as exc:
        return _render_totp(flow, exc.problem, 400)
    return _complete(flow, citizen, amr)


@bp.get("/login/done")
def signed_in():
    """Where a login that no client asked for ends."""
    login = current_login()
    citizen = db.session.get(Citizen, login.citizen_id) if login else None
    return render_template("provider/login/signed_in.html", citizen=citizen)
