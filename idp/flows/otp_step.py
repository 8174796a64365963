"""The one SMS-OTP step of every flow (login, registration, recovery, phone change).

Like ORY Kratos's ``code`` strategy: the flow says how its code is sent, checked and
timed, whose it is and what a confirmed code leads to (the callables); this does the rest
the same way for all of them: the page with its countdown, "Xác nhận" with the audit
events of a confirmation (``otp.failed``, ``otp.verified``), "Gửi lại OTP" under the OTP
rules (cooldown, hourly limits; ``idp.otp``, ``idp.abuse.sms_pumping``) with its answer
told once on the page it redirects to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from idp import audit
from idp.citizens.phone import mask_phone
from idp.errors import DomainError, Problem
from idp.flows.flow import Flow, save_flow
from idp.flows.steps import FlowSteps, Page, flow_step
from idp.one_time_notices import leave_notice, leave_problem, take_notices
from idp.otp import OtpState
from idp.services import services

RESENT = "Mã OTP mới đã được gửi."


def _nothing(flow: Flow) -> dict[str, Any]:
    return {}


def _flow_code_state(flow: Flow) -> OtpState | None:
    return services().otp.state(flow.id)


def _flow_code_confirm(flow: Flow, entered: str) -> Any:
    return services().otp.verify(flow.id, entered)


@dataclass(frozen=True)
class OtpStep:
    purpose: str  # the audit events' purpose
    endpoint: str  # the page and "Xác nhận"
    resend_endpoint: str  # "Gửi lại OTP"
    confirmed: Callable[[Flow, Any], Page]  # what an accepted code (confirm's value) leads to
    resend: Callable[[Flow], object]  # raises DomainError when the OTP rules refuse
    citizen_id: Callable[[Flow], int | None]  # for the audit events
    # The masked number the page names (None: it names none), given the code's clocks.
    masked_phone: Callable[[Flow, OtpState | None], str | None]
    # The clocks the page shows, and the check of a code (DomainError when not accepted);
    # by default those of the one code sent for the flow itself (its id is the subject).
    code_state: Callable[[Flow], OtpState | None] = field(default=_flow_code_state)
    confirm: Callable[[Flow, str], Any] = field(default=_flow_code_confirm)
    heading: str | None = None  # the page's <h1>, a msgid (webapp.i18n.RUNTIME_MESSAGES)
    template: str = "provider/otp.html"
    url_args: Callable[[Flow], dict[str, Any]] = _nothing  # the endpoints' other arguments
    page_args: Callable[[Flow], dict[str, Any]] = _nothing  # the template's other values
    audit_args: Callable[[Flow], dict[str, Any]] = field(default=_nothing)

    def url(self, flow: Flow) -> str:
        """The step's page."""
        return url_for(self.endpoint, flow=flow.id, **self.url_args(flow))

    def page(
        self, flow: Flow, problem: Problem | None = None, status: int = 200, notice=None
    ) -> tuple[str, int]:
        """The OTP page, saying ``problem`` or ``notice`` if given."""
        state = self.code_state(flow)
        values: dict[str, Any] = {"heading": self.heading} if self.heading else {}
        page = render_template(
            self.template,
            **values,
            **self.page_args(flow),
            flow=flow,
            masked_phone=self.masked_phone(flow, state),
            otp_state=state,
            action=self.url(flow),
            resend_action=url_for(self.resend_endpoint, flow=flow.id, **self.url_args(flow)),
            problem=problem,
            notice=notice,
        )
        return page, status

    def show_or_confirm(self, flow: Flow) -> Page:
        """GET: the page; POST: check the code and go on to what it leads to."""
        if request.method == "GET":
            left = take_notices()
            return self.page(flow, left.problem, left.status, left.notice)
        try:
            accepted = self.confirm(flow, request.form.get("otp", ""))
        except DomainError as exc:
            audit.record(
                "otp.failed",
                citizen_id=self.citizen_id(flow),
                purpose=self.purpose,
                **self.audit_args(flow),
                reason=exc.problem.code,
            )
            return self.page(flow, exc.problem, 400)
        audit.record(
            "otp.verified",
            citizen_id=self.citizen_id(flow),
            purpose=self.purpose,
            **self.audit_args(flow),
        )
        return self.confirmed(flow, accepted)

    def mount(self, bp: Blueprint, rule: str, kind: str, *states: str) -> None:
        """Add the step's two views to ``bp`` for a flow of ``kind`` at one of ``states``:
        ``rule`` (GET: the page; POST: "Xác nhận") and ``rule/resend`` ("Gửi lại OTP"),
        named as ``endpoint`` and ``resend_endpoint`` say."""

        def show_or_confirm(flow: Flow, **url_arguments: Any) -> Page:
            return self.show_or_confirm(flow)

        def send_again(flow: Flow, **url_arguments: Any) -> Page:
            return self.send_again(flow)

        guard = flow_step(kind, *states)
        bp.add_url_rule(
            rule,
            self.endpoint.partition(".")[2],
            guard(show_or_confirm),
            methods=["GET", "POST"],
        )
        bp.add_url_rule(
            f"{rule}/resend",
            self.resend_endpoint.partition(".")[2],
            guard(send_again),
            methods=["POST"],
        )

    def send_again(self, flow: Flow) -> Page:
        """ "Gửi lại OTP": a new code under the OTP rules, or why not, told once on the
        OTP page it redirects to (a reload there never sends again)."""
        try:
            self.resend(flow)
        except DomainError as exc:
            leave_problem(exc.problem, 429)
        else:
            leave_notice(RESENT)
        return redirect(self.url(flow), 303)


def move_to(steps: FlowSteps, state: str) -> Callable[[Flow, Any], Page]:
    """``OtpStep.confirmed`` of a step-by-step flow: on to ``state``'s page."""

    def confirmed(flow: Flow, accepted: Any) -> Page:
        flow.state = state
        save_flow(flow)
        return redirect(steps.url(flow))

    return confirmed


def masked(phone: Callable[[Flow], str]) -> Callable[[Flow, OtpState | None], str]:
    """``OtpStep.masked_phone`` for a step that always names the number ``phone`` gives."""
    return lambda flow, state: mask_phone(phone(flow))
