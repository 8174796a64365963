"""The browser's steps through an upstream provider, and the upstream's logout calls.

- ``POST /login/upstream``: the citizen pressed an upstream's button on the login choice;
  the browser goes to the upstream (code flow, PKCE S256, ``state``, ``nonce``).
- ``GET /upstream/{name}/callback``: the upstream's answer, checked (``upstream_client``),
  then what ``linking.decide`` says: signed in, prove the local account, a new account
  (after a phone number and its SMS OTP when the upstream gave none), or "register first".
- ``POST /upstream/{name}/backchannel-logout``: the upstream's logout tokens.
- ``GET /upstream/{name}/signed-out``: back from the upstream's own logout.

Every failure is a Vietnamese page with a way back to the login choice.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from idp import audit
from idp.assurance import reaches
from idp.citizens.creation import phone_used_by_another
from idp.citizens.phone import normalize_phone
from idp.errors import DomainError, Problem, ServiceUnavailable
from idp.extensions import csrf
from idp.federation import linking, upstream_client, upstream_sessions
from idp.federation.linking import Outcome, UpstreamIdentity
from idp.federation.models import Upstream
from idp.federation.upstreams import find_upstream, redirect_uri
from idp.flows.flow import Flow, load_flow, save_flow
from idp.flows.login import flow as states
from idp.flows.login.completion import AMR_FEDERATED, complete_login
from idp.flows.login.views import BEFORE_DONE, LEVEL_NOT_OFFERED, choice_page
from idp.flows.otp_step import OtpStep
from idp.flows.steps import flow_step
from idp.login_session import UpstreamSession
from idp.services import services, store
from idp.subscribers import SUBSCRIBER_MISMATCH, SUBSCRIBER_UNAVAILABLE, check_subscriber
from relying_party.signed_jwt import TokenRejected

bp = Blueprint("federation", __name__)

STATE_INVALID = Problem(
    "upstream.state_invalid",
    "Yêu cầu đăng nhập không hợp lệ hoặc đã hết hạn. Vui lòng đăng nhập lại.",
)
UPSTREAM_UNKNOWN = Problem(
    "upstream.unknown",
    "Cách đăng nhập này hiện không sử dụng được. Vui lòng chọn cách đăng nhập khác.",
)
REGISTER_FIRST = Problem(
    "upstream.register_first",
    "Số định danh {id_number} chưa có tài khoản trên Cổng Dịch vụ công Quốc gia, và "
    "{label} không được phép tạo tài khoản mới. Vui lòng đăng ký tài khoản trước.",
)
PHONE_TAKEN = Problem(
    "upstream.phone_taken",
    "Số điện thoại này đã được dùng cho một tài khoản khác. Vui lòng nhập số khác.",
    "phone",
)
STATE_SECONDS = 600
MAX_SUBJECT = 255  # OIDC Core §2: at most 255 ASCII characters; the link's column


def _state_key(state: str) -> str:
    return "upstream-state:" + hashlib.sha256(state.encode()).hexdigest()


def _problem_page(flow: Flow | None, problem: Problem, status: int) -> tuple[str, int]:
    """A failure through an upstream: what went wrong and the way back to the choice."""
    back = url_for("login.choose", flow=flow.id) if flow is not None else url_for("login.choose")
    page = render_template("provider/federation/problem.html", problem=problem, back=back)
    return page, status


@bp.post("/login/upstream")
@flow_step("login", *BEFORE_DONE)
def start(flow: Flow):
    """The citizen chose an upstream: off to its authorization endpoint."""
    upstream = find_upstream(request.form.get("upstream", ""))
    if upstream is None:
        return choice_page(flow, UPSTREAM_UNKNOWN, 400)
    if not reaches(upstream.acr, flow.data.min_acr):
        return choice_page(flow, LEVEL_NOT_OFFERED, 400)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    asked = flow.data.authorize or {}
    try:
        url = upstream_client.authorization_url(
            upstream,
            redirect_uri(upstream.name),
            state=state,
            nonce=nonce,
            code_verifier=verifier,
            prompt="login" if "login" in (asked.get("prompt") or "").split() else None,
            max_age=asked.get("max_age") if (asked.get("max_age") or "").isdigit() else None,
        )
    except DomainError as exc:
        return choice_page(flow, exc.problem, 503)
    flow.state = states.UPSTREAM
    flow.data.forget_second_step()
    flow.data.upstream, flow.data.upstream_nonce = upstream.name, nonce
    flow.data.upstream_verifier = verifier
    flow.data.upstream_identity = flow.data.upstream_id_token = None
    save_flow(flow)
    store().set(_state_key(state), {"flow": flow.id}, STATE_SECONDS)
    audit.record("upstream.started", upstream=upstream.name)
    return redirect(url, 303)


def _returning_flow(name: str) -> Flow:
    """The login flow this callback's ``state`` names (each state works once)."""
    state = request.args.get("state", "")
    saved = store().pop(_state_key(state)) if 0 < len(state) <= 128 else None
    if not saved:
        raise DomainError(STATE_INVALID)
    flow = load_flow("login", saved["flow"], states.UPSTREAM)
    if flow.data.upstream != name:
        raise DomainError(STATE_INVALID)
    return flow


@bp.get("/upstream/<name>/callback")
def callback(name: str):
    """The upstream's authorization response (see the module docstring)."""
    try:
        flow = _returning_flow(name)
    except DomainError as exc:
        return _problem_page(None, exc.problem, 400)
    upstream = find_upstream(name)
    if upstream is None:
        return _problem_page(flow, UPSTREAM_UNKNOWN, 400)
    try:
        identity, id_token = _identity(upstream, flow)
        decision = linking.decide(upstream, identity)
    except DomainError as exc:
        audit.record("upstream.failed", upstream=name, reason=exc.problem.code)
        status = 502 if exc.problem.code in ("upstream.unreachable",) else 400
        return _problem_page(flow, exc.problem, status)
    flow.data.upstream_identity = identity.to_dict()
    flow.data.upstream_id_token = id_token
    return _follow(flow, upstream, identity, decision)


def _identity(upstream: Upstream, flow: Flow) -> tuple[UpstreamIdentity, str]:
    """The checked identity in the upstream's answer, and its ID token."""
    upstream_client.check_response_issuer(upstream, request.args.get("iss"))
    if request.args.get("error"):
        raise DomainError(upstream_client.DENIED.format(label=upstream.label))
    code = request.args.get("code", "")
    if not code or len(code) > 2048:
        raise DomainError(upstream_client.ANSWER_INVALID.format(label=upstream.label))
    token = upstream_client.redeem(
        upstream, redirect_uri(upstream.name), code, flow.data.upstream_verifier or ""
    )
    claims = upstream_client.validated_id_token(upstream, token, flow.data.upstream_nonce or "")
    if not isinstance(claims["sub"], str) or not 0 < len(claims["sub"]) <= MAX_SUBJECT:
        raise DomainError(upstream_client.ANSWER_INVALID.format(label=upstream.label))
    userinfo = upstream_client.userinfo(upstream, token, claims["sub"])
    sid = claims.get("sid") if isinstance(claims.get("sid"), str) else None
    identity = linking.identity_from_claims(upstream, {**userinfo, **claims}, sid)
    return identity, token["id_token"]


def _signed_in(flow: Flow, upstream: Upstream, identity: UpstreamIdentity, citizen) -> Response:
    session = UpstreamSession(upstream.name, identity.sid or "", flow.data.upstream_id_token or "")
    flow.data.upstream_identity = None
    return complete_login(flow, citizen, [AMR_FEDERATED], upstream.acr, session)


def _follow(flow: Flow, upstream: Upstream, identity: UpstreamIdentity, decision) -> Response:
    if decision.outcome is Outcome.SIGNED_IN:
        linking.touch(decision.link)
        return _signed_in(flow, upstream, identity, decision.citizen)
    if decision.outcome is Outcome.LINK:
        try:
            linking.link(identity, decision.citizen, "identity_number", upstream.label)
        except DomainError as exc:
            return _problem_page(flow, exc.problem, 409)
        return _signed_in(flow, upstream, identity, decision.citizen)
    if decision.outcome is Outcome.PROVE:
        flow.state = states.PASSWORD
        flow.data.login_hint = identity.id_number
        save_flow(flow)
        return redirect(url_for("login.password", flow=flow.id))
    if decision.outcome is Outcome.CREATE:
        return _create(flow, upstream, identity, identity.phone or "")
    if decision.outcome is Outcome.ASK_PHONE:
        flow.state = states.UPSTREAM_PHONE
        save_flow(flow)
        return redirect(url_for("federation.phone", flow=flow.id))
    problem = REGISTER_FIRST.format(id_number=identity.id_number, label=upstream.label)
    save_flow(flow)
    page = render_template(
        "provider/federation/register_first.html",
        problem=problem,
        back=url_for("login.choose", flow=flow.id),
    )
    return page, 403


def _create(flow: Flow, upstream: Upstream, identity: UpstreamIdentity, phone: str) -> Response:
    try:
        citizen = linking.create_account(identity, phone)
    except DomainError as exc:
        return _problem_page(flow, exc.problem, 409)
    return _signed_in(flow, upstream, identity, citizen)


def _pending(flow: Flow) -> tuple[Upstream, UpstreamIdentity] | None:
    identity = flow.data.upstream_identity
    upstream = find_upstream(identity["upstream"]) if identity else None
    if upstream is None:
        return None
    return upstream, UpstreamIdentity(**identity)


def _phone_page(flow: Flow, upstream: Upstream, phone: str = "", problem=None, status=200):
    page = render_template(
        "provider/federation/phone.html",
        flow=flow,
        label=upstream.label,
        phone=phone,
        problem=problem,
    )
    return page, status


@bp.route("/login/upstream/phone", methods=["GET", "POST"])
@flow_step("login", states.UPSTREAM_PHONE, states.UPSTREAM_OTP)
def phone(flow: Flow):
    """A new account whose upstream gave no phone number: the citizen's own number, which
    must pass the "chính chủ" check and be confirmed with an SMS OTP."""
    pending = _pending(flow)
    if pending is None:
        return _problem_page(flow, UPSTREAM_UNKNOWN, 400)
    upstream, identity = pending
    if request.method == "GET":
        return _phone_page(flow, upstream, flow.data.new_phone or "")
    typed = request.form.get("phone", "")[:32]
    try:
        number = normalize_phone(typed)
    except DomainError as exc:
        return _phone_page(flow, upstream, typed, exc.problem.on("phone"), 400)
    if phone_used_by_another(number, 0):
        return _phone_page(flow, upstream, typed, PHONE_TAKEN, 400)
    try:
        if not check_subscriber(number, identity.id_number):
            audit.record("upstream.subscriber_mismatch", upstream=upstream.name)
            return _phone_page(flow, upstream, typed, SUBSCRIBER_MISMATCH.on("phone"), 400)
        flow.data.new_phone = number  # saved below, once the code is sent
        _otp_step.send(flow)
    except ServiceUnavailable:
        return _phone_page(flow, upstream, typed, SUBSCRIBER_UNAVAILABLE, 503)
    except DomainError as exc:
        return _phone_page(flow, upstream, typed, exc.problem, 429)
    audit.record("otp.sent", purpose="upstream_account")
    flow.state = states.UPSTREAM_OTP
    save_flow(flow)
    return redirect(url_for("federation.otp", flow=flow.id))


def _confirmed(flow: Flow, accepted) -> Response:
    pending = _pending(flow)
    if pending is None or not flow.data.new_phone:
        return _problem_page(flow, UPSTREAM_UNKNOWN, 400)
    services().otp.discard(flow.id)
    upstream, identity = pending
    return _create(flow, upstream, identity, flow.data.new_phone)


_otp_step = OtpStep.new_account_phone(
    purpose="upstream_account",
    endpoint="federation.otp",
    phone=lambda flow: flow.data.new_phone,
    id_number=lambda flow: (flow.data.upstream_identity or {}).get("id_number"),
    confirmed=_confirmed,
)


# The SMS OTP sent to the new account's phone number, and its "Gửi lại OTP".
_otp_step.mount(bp, "/login/upstream/otp", "login", states.UPSTREAM_OTP)


def _logout_error(description: str) -> tuple[Response, int]:
    response = jsonify(error="invalid_request", error_description=description)
    response.headers["Cache-Control"] = "no-store"
    return response, 400


@bp.post("/upstream/<name>/backchannel-logout")
@csrf.exempt  # the upstream posts it server to server
def backchannel_logout(name: str):
    """Back-Channel Logout 1.0 §2.5 at the provider as a relying party of the upstream."""
    upstream = find_upstream(name, active_only=False)
    if upstream is None:
        return _logout_error("Unknown upstream provider.")
    token = request.form.get("logout_token", "")
    try:
        claims = upstream_client.validated_logout_token(upstream, token)
    except TokenRejected as exc:
        audit.record("upstream.logout_refused", upstream=name, reason=exc.reason)
        return _logout_error(f"The logout token is not valid ({exc.reason}).")
    except DomainError:
        return _logout_error("The upstream's keys cannot be read now.")
    if not upstream_sessions.first_use_of(upstream, claims["jti"]):
        return _logout_error("The logout token was used already.")
    upstream_sessions.end_from_upstream(upstream, claims)
    response = Response(status=200)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/upstream/<name>/signed-out")
def signed_out(name: str):
    """Back from the upstream's own logout: on to where the provider's logout was going."""
    return redirect(upstream_sessions.destination_after(name, request.args.get("state", "")))
