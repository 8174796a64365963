"""HTTP surface of the login flow: read the form, advance the flow, render."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from idp import audit
from idp.abuse import TooManyRequests
from idp.account.totp import has_authenticator
from idp.assurance import PASSWORD_LEVEL, reaches
from idp.citizens.models import Citizen
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.federation import linking
from idp.federation.upstreams import active_upstreams, find_upstream
from idp.flows.flow import Flow, save_flow
from idp.flows.login import flow as states
from idp.flows.login import otp_channel
from idp.flows.login.completion import AMR_FEDERATED, AMR_PASSWORD_SMS, complete_login
from idp.flows.login.flow import start_login_flow
from idp.flows.login.password import check_password_login
from idp.flows.login.totp import check_recovery_code_login, check_totp_login
from idp.flows.otp_step import OtpStep
from idp.flows.steps import flow_step, register_guard, restart_guard
from idp.login_session import UpstreamSession, current_login

bp = Blueprint("login", __name__)

#: The states from which the citizen may still choose how to sign in.
BEFORE_DONE = (
    states.CHOOSE_METHOD,
    states.PASSWORD,
    states.SECOND_FACTOR,
    states.OTP,
    states.TOTP,
    states.UPSTREAM,
    states.UPSTREAM_PHONE,
    states.UPSTREAM_OTP,
)

LEVEL_NOT_OFFERED = Problem(
    "login.level_not_offered",
    "Cơ quan yêu cầu mức xác thực cao hơn mức của cách đăng nhập này. "
    "Vui lòng chọn một cách đăng nhập khác.",
)
LINK_PROOF = (
    "Để liên kết tài khoản {label} với tài khoản Cổng Dịch vụ công Quốc gia có cùng số "
    "định danh, vui lòng đăng nhập một lần bằng mật khẩu và mã OTP."
)


register_guard("login", restart_guard("login"))


@bp.get("/login")
def choose():
    """Step 4: the choice of account kind; the portal's account is a form button."""
    if not request.args.get("flow"):
        flow = start_login_flow(None)
        return redirect(url_for("login.choose", flow=flow.id))
    return _choose_page()


@flow_step("login", *BEFORE_DONE)
def _choose_page(flow: Flow):
    return choice_page(flow)


def choice_page(flow: Flow, problem: Problem | None = None, status: int = 200):
    """Step 4's page: the provider's own account and a button per active upstream, each
    only if it reaches the level the client asked for."""
    wanted = flow.data.min_acr
    return render_template(
        "provider/login/choose.html",
        flow=flow,
        password_offered=reaches(PASSWORD_LEVEL, wanted),
        upstreams=[u for u in active_upstreams() if reaches(u.acr, wanted)],
        problem=problem,
    ), status


@bp.post("/login/method")
@flow_step("login", *BEFORE_DONE)
def choose_method(flow: Flow):
    if not reaches(PASSWORD_LEVEL, flow.data.min_acr):
        return choice_page(flow, LEVEL_NOT_OFFERED, 400)
    flow.state = states.PASSWORD
    flow.data.forget_second_step()
    flow.data.upstream = flow.data.upstream_identity = flow.data.upstream_id_token = None
    save_flow(flow)
    return redirect(url_for("login.password", flow=flow.id))


def _linking_label(flow: Flow) -> str | None:
    """The upstream's label while the citizen proves the local account to link it."""
    if not flow.data.upstream_identity:
        return None
    upstream = find_upstream(flow.data.upstream_identity["upstream"])
    return upstream.label if upstream else None


@bp.route("/login/password", methods=["GET", "POST"])
@flow_step("login", states.PASSWORD)
def password(flow: Flow):
    """Step 5: user name (CMND/CCCD) and password."""
    username = request.form.get("username", flow.data.login_hint or "")
    linking_label = _linking_label(flow)
    if linking_label:  # only the account with the upstream's identity number can link
        username = flow.data.upstream_identity["id_number"]
    linking = LINK_PROOF.format(label=linking_label) if linking_label else None
    if request.method == "GET":
        return render_template(
            "provider/login/password.html", flow=flow, username=username, linking=linking
        )
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
            "provider/login/password.html",
            flow=flow,
            username=username,
            linking=linking,
            problem=exc.problem,
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


_otp_step = OtpStep(
    purpose=otp_channel.PURPOSE,
    endpoint="login.otp",
    masked_phone=otp_channel.shown_phone,
    code_state=otp_channel.code_state,
    confirm=otp_channel.confirm_code,
    confirmed=lambda flow, citizen: _complete(flow, citizen),
    send=otp_channel.send_code,
    # The look-alike step's resends are not recorded.
    resend_audited=lambda flow: flow.data.citizen_id is not None,
)


# Step 6: the SMS OTP, "Xác nhận"; and "Gửi lại OTP": a new code (the old one stops working)
# after the cooldown; either way back to the OTP page (POST/redirect/GET), which says what
# happened once.
_otp_step.mount(bp, "/login/otp", "login", states.OTP)


def _complete(flow: Flow, citizen: Citizen, amr: list[str] = AMR_PASSWORD_SMS):
    identity = flow.data.upstream_identity
    if not identity:
        return complete_login(flow, citizen, amr)
    # The citizen proved the local account: link the upstream identity to it.
    upstream = find_upstream(identity["upstream"])
    if upstream is None or citizen.id_number != identity["id_number"]:
        flow.data.upstream_identity = None
        save_flow(flow)
        return choice_page(flow, linking.LINK_NOT_FOUND, 400)
    try:
        linking.link(linking.UpstreamIdentity(**identity), citizen, "proof", upstream.label)
    except DomainError as exc:
        return choice_page(flow, exc.problem, 409)
    through = UpstreamSession(
        upstream.name, identity.get("sid") or "", flow.data.upstream_id_token or ""
    )
    return complete_login(flow, citizen, [AMR_FEDERATED, *amr], upstream.acr, through)


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
    return _app_step_code(flow, check_totp_login, "otp")


@bp.post("/login/recovery-code")
@flow_step("login", states.TOTP)
def recovery_code(flow: Flow):
    """A recovery code instead of the app's code (each works once)."""
    return _app_step_code(flow, check_recovery_code_login, "recovery_code")


def _app_step_code(flow: Flow, check, field: str):
    """The authenticator step's code in ``field``, checked by ``check``: signed in, or
    the page again with why not."""
    citizen = db.session.get(Citizen, flow.data.citizen_id)
    try:
        amr = check(citizen.id, request.form.get(field, ""))
    except DomainError as exc:
        return _render_totp(flow, exc.problem, 400)
    return _complete(flow, citizen, amr)


@bp.get("/login/done")
def signed_in():
    """Where a login that no client asked for ends."""
    login = current_login()
    citizen = db.session.get(Citizen, login.citizen_id) if login else None
    return render_template("provider/login/signed_in.html", citizen=citizen)
