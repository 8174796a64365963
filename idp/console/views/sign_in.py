"""Console sign-in: name + password, then an authenticator-app code (or, the first time,
enrolment by QR code confirmed with a first code); sign-out. The rules (throttles, the
user-wide lock and its look-alike code step) are ``idp.console.sign_in_rules``."""

from __future__ import annotations

from functools import wraps

from flask import redirect, render_template, request, url_for

from idp import audit
from idp.abuse import TooManyRequests
from idp.console import sign_in_rules, totp
from idp.console.models import Operator
from idp.console.session import (
    ConsoleSession,
    begin_second_factor,
    complete_sign_in,
    end_session,
    pending_operator,
)
from idp.console.views import bp
from idp.errors import DomainError
from idp.extensions import db


def _next_path() -> str:
    """Where to go after signing in: only a path inside the console."""
    target = request.values.get("next", "")
    if target.startswith("/console/") and "//" not in target and "\\" not in target:
        return target
    return url_for("console.home")


def _status(exc: DomainError) -> int:
    return 429 if isinstance(exc, TooManyRequests) else 400


@bp.route("/login", methods=["GET", "POST"])
def login():
    """First factor: the operator's name and password."""
    name = request.form.get("name", "")
    if request.method == "GET":
        return render_template("console/login.html", next=_next_path(), name=name)
    try:
        check = sign_in_rules.check_password(name, request.form.get("password", ""))
    except DomainError as exc:
        return render_template(
            "console/login.html", next=_next_path(), name=name, problem=exc.problem
        ), _status(exc)
    begin_second_factor(
        check.operator_id, check.name, check.role, check.codes_counted_as, check.under_lock
    )
    # Under the lock every password gets the code page (never the enrolment page, which
    # would tell a right password and show the secret).
    to_code = check.under_lock or check.enrolled
    return redirect(url_for("console.code" if to_code else "console.enrol", next=_next_path()))


def _pending() -> tuple[ConsoleSession, Operator | None] | None:
    """The pending sign-in and its operator (None on the lock's look-alike step, which
    still reads the operator table once, as the real step does)."""
    pending = pending_operator()
    if pending is None:
        return None
    if pending.operator_id is None:
        db.session.scalar(db.select(Operator.id).filter_by(name=pending.name))
        return pending, None
    operator = db.session.get(Operator, pending.operator_id)
    return (pending, operator) if operator is not None else None


def _second_factor(template: str, pending: ConsoleSession, operator: Operator | None, **page):
    try:
        sign_in_rules.check_code(
            pending.name, operator, request.form.get("otp", ""), pending.codes_counted_as
        )
    except DomainError as exc:
        return render_template(template, next=_next_path(), problem=exc.problem, **page), _status(
            exc
        )
    session = complete_sign_in(pending)
    audit.record(
        "console.login", actor=session.actor, role=session.role, under_lock=pending.under_lock
    )
    return redirect(_next_path())


def _second_factor_step(view):
    """View decorator for the code and enrolment pages: ``view(pending, operator)`` when
    the pending sign-in is at this page's step; else the login page, or the page of its step
    (under the lock always the code page, as after the password)."""

    @wraps(view)
    def at_step():
        found = _pending()
        if found is None:
            return redirect(url_for("console.login"))
        pending, operator = found
        to_code = pending.under_lock or operator.totp_confirmed
        step = "console.code" if to_code else "console.enrol"
        if step != request.endpoint:
            return redirect(url_for(step, next=_next_path()))
        return view(pending, operator)

    return at_step


@bp.route("/login/code", methods=["GET", "POST"])
@_second_factor_step
def code(pending: ConsoleSession, operator: Operator | None):
    """Second factor: the current code from the authenticator app."""
    if request.method == "GET":
        return render_template("console/code.html", next=_next_path())
    return _second_factor("console/code.html", pending, operator)


@bp.route("/login/enrol", methods=["GET", "POST"])
@_second_factor_step
def enrol(pending: ConsoleSession, operator: Operator):
    """First sign-in: scan the QR code, then confirm with a first code."""
    try:
        uri = totp.provisioning_uri(operator)
    except DomainError as exc:
        return render_template("console/message.html", problem=exc.problem), 409
    page = {"qr": totp.qr_data_uri(uri), "secret": totp.secret_of(operator)}
    if request.method == "GET":
        return render_template("console/enrol.html", next=_next_path(), **page)
    return _second_factor("console/enrol.html", pending, operator, **page)


@bp.post("/logout")
def logout():
    """Sign out of the console."""
    session = end_session()
    if session is not None and session.stage == "signed_in":
        audit.record("console.logout", actor=session.actor)
    return redirect(url_for("console.login"))
