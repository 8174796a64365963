"""Changing the phone number: the new number, then a code to each number (or, when the
old number is lost, a request to the operators confirmed by the new number's code)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from idp.account import phone_change
from idp.account.views import bp, signed_in
from idp.complaints.filing import normalize_description
from idp.errors import DomainError, Problem, ServiceUnavailable
from idp.flows.flow import FLOW_WRONG_STEP, Flow
from idp.flows.otp_step import OtpStep, masked
from idp.flows.steps import Page, register_guard
from idp.subscribers import SUBSCRIBER_UNAVAILABLE

STATE_OF = {"old": phone_change.OLD_OTP, "new": phone_change.NEW_OTP}
MAX_PHONE_LENGTH = 32
MAX_DESCRIPTION_LENGTH = 4100


def _form_page(template: str, values: dict, problem: Problem | None = None, status: int = 200):
    page = render_template(f"provider/account/{template}", values=values, problem=problem)
    return page, status


def _start(template: str, values: dict, start):
    """Run ``start`` (checks and the first code); the form again, saying why, if it fails."""
    try:
        flow = start()
    except DomainError as exc:
        status = 429 if exc.problem.code.startswith("otp_") else 400
        return _form_page(template, values, exc.problem, status)
    except ServiceUnavailable as exc:
        if exc.service != "subscriber":
            raise
        return _form_page(template, values, SUBSCRIBER_UNAVAILABLE, 503)
    return redirect(
        url_for("account.phone_otp", which=phone_change.which_number(flow), flow=flow.id)
    )


@bp.route("/phone", methods=["GET", "POST"])
def phone():
    """ "Đổi số điện thoại": the new number ("chính chủ"), then the two codes."""
    if request.method == "GET":
        return _form_page("phone.html", {})
    citizen = signed_in().citizen
    values = {"phone": (request.form.get("phone") or "")[:MAX_PHONE_LENGTH]}
    return _start(
        "phone.html",
        values,
        lambda: phone_change.start_change(
            citizen, phone_change.check_new_phone(citizen, values["phone"])
        ),
    )


@bp.route("/phone/lost", methods=["GET", "POST"])
def phone_lost():
    """The old number is lost: the new number and a reason go to the operators."""
    if request.method == "GET":
        return _form_page("phone_lost.html", {})
    citizen = signed_in().citizen
    values = {
        "phone": (request.form.get("phone") or "")[:MAX_PHONE_LENGTH],
        "description": (request.form.get("description") or "")[:MAX_DESCRIPTION_LENGTH],
    }

    def start():
        reason = normalize_description(values["description"])
        new_phone = phone_change.check_new_phone(citizen, values["phone"])
        return phone_change.start_lost_phone_request(citizen, new_phone, reason)

    return _start("phone_lost.html", values, start)


def _guard(states: tuple[str, ...], view_args: dict) -> Flow | Page:
    """The signed-in citizen's change at the step of the number in the URL (``which``)."""
    try:
        flow = phone_change.load_change(request.args.get("flow"), signed_in().citizen.id)
    except DomainError as exc:
        return render_template("provider/message.html", problem=exc.problem, restart=True), 400
    if flow.state != STATE_OF[view_args["which"]]:
        return render_template("provider/message.html", problem=FLOW_WRONG_STEP), 409
    return flow


register_guard(phone_change.KIND, _guard)


def _confirmed(flow: Flow, accepted: object) -> ResponseReturnValue:
    """Old number: on to the new number's code; new number: the change (or request)."""
    try:
        if phone_change.which_number(flow) == "old":
            phone_change.old_number_confirmed(flow)
            return redirect(url_for("account.phone_otp", which="new", flow=flow.id))
        complaint = phone_change.new_number_confirmed(flow, signed_in().citizen)
    except DomainError as exc:
        return _otp_step.page(flow, exc.problem, 400)
    if complaint is not None:
        session["phone_request"] = complaint.reference
        return redirect(url_for("account.phone_request_filed"), 303)
    flash("phone_changed")
    return redirect(url_for("account.profile"))


_otp_step = OtpStep(
    purpose=phone_change.PURPOSE,
    endpoint="account.phone_otp",
    resend_endpoint="account.phone_resend",
    template="provider/account/phone_otp.html",
    masked_phone=masked(phone_change.phone_of_step),
    code_state=phone_change.code_state,
    confirm=phone_change.verify_code,
    confirmed=_confirmed,
    send=phone_change.send_code,
    resend_audited=lambda flow: False,  # send_code records every code it sends
    url_args=lambda flow: {"which": phone_change.which_number(flow)},
    page_args=lambda flow: {
        "which": phone_change.which_number(flow),
        "lost_old": flow.data.lost_old,
    },
    audit_args=lambda flow: {"to": phone_change.which_number(flow)},
)


# The code sent to the old number, then the one sent to the new number, and "Gửi lại OTP"
# for the current number, under the OTP rules.
_otp_step.mount(
    bp,
    "/phone/<any(old, new):which>-otp",
    phone_change.KIND,
    phone_change.OLD_OTP,
    phone_change.NEW_OTP,
)


@bp.get("/phone/request-filed")
def phone_request_filed() -> ResponseReturnValue:
    """The reference of the phone-change request this browser just filed."""
    reference = session.get("phone_request")
    if not reference:
        return redirect(url_for("account.phone"))
    return render_template("provider/account/phone_request_filed.html", reference=reference)
