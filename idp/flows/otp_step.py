"""The one SMS-OTP step of every flow (login, registration, recovery, phone change).

Like ORY Kratos's ``code`` strategy: the flow says how its code is sent, checked and
timed, whose it is and what a confirmed code leads to (the callables); this does the rest
the same way for all of them: the first code from the form before the step
(``OtpStep.send_first``, after ``FlowSteps.checked_form``), the page with its countdown, "Xác nhận"
with the audit events of a confirmation (``otp.failed``, ``otp.verified``), "Gửi lại OTP"
under the OTP rules (cooldown, hourly limits; ``idp.otp``, ``idp.abuse.sms_pumping``)
with its answer told once on the page it redirects to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from idp import audit
from idp.abuse.sms_pumping import send_otp
from idp.citizens.phone import mask_phone
from idp.error_pages import UNAVAILABLE
from idp.errors import DomainError, Problem, ServiceUnavailable
from idp.flows.flow import Flow, save_flow
from idp.flows.steps import FlowSteps, Page, flow_step
from idp.one_time_notices import leave_notice, leave_problem, take_notices
from idp.otp import OtpState
from idp.services import services

RESENT = "Mã OTP mới đã được gửi."
NEW_PHONE_HEADING = "Xác thực số điện thoại"


def _nothing(flow: Flow) -> dict[str, Any]:
    return {}


def _always(flow: Flow) -> bool:
    return True


def _flow_citizen_id(flow: Flow) -> int | None:
    return flow.data.citizen_id


def _no_citizen(flow: Flow) -> None:
    return None


def _flow_code_state(flow: Flow) -> OtpState | None:
    return services().otp.state(flow.id)


def _flow_code_confirm(flow: Flow, entered: str) -> Any:
    return services().otp.verify(flow.id, entered)


@dataclass(frozen=True)
class OtpStep:
    purpose: str  # the audit events' purpose
    endpoint: str  # the page and "Xác nhận"
    confirmed: Callable[[Flow, Any], Page]  # what an accepted code (confirm's value) leads to
    # A code, the first and each "Gửi lại OTP"; DomainError when the OTP rules refuse.
    send: Callable[[Flow], object]
    # The masked number the page names (None: it names none), given the code's clocks.
    masked_phone: Callable[[Flow, OtpState | None], str | None]
    # "Gửi lại OTP"; by default the page's endpoint with ``resend_`` before its name.
    resend_endpoint: str = ""
    # Whether a resend is recorded (``otp.sent`` with ``resend=True``) by the step itself.
    resend_audited: Callable[[Flow], bool] = field(default=_always)
    # For the audit events; by default the flow's own ``citizen_id``.
    citizen_id: Callable[[Flow], int | None] = field(default=_flow_citizen_id)
    # The clocks the page shows, and the check of a code (DomainError when not accepted);
    # by default those of the one code sent for the flow itself (its id is the subject).
    code_state: Callable[[Flow], OtpState | None] = field(default=_flow_code_state)
    confirm: Callable[[Flow, str], Any] = field(default=_flow_code_confirm)
    heading: str | None = None  # the page's <h1>, a msgid (webapp.i18n.RUNTIME_MESSAGES)
    template: str = "provider/otp.html"
    url_args: Callable[[Flow], dict[str, Any]] = _nothing  # the endpoints' other arguments
    page_args: Callable[[Flow], dict[str, Any]] = _nothing  # the template's other values
    audit_args: Callable[[Flow], dict[str, Any]] = field(default=_nothing)

    def __post_init__(self) -> None:
        if not self.resend_endpoint:
            blueprint, _, name = self.endpoint.partition(".")
            object.__setattr__(self, "resend_endpoint", f"{blueprint}.resend_{name}")

    @classmethod
    def new_account_phone(
        cls,
        purpose: str,
        endpoint: str,
        phone: Callable[[Flow], str],
        id_number: Callable[[Flow], str | None],
        confirmed: Callable[[Flow, Any], Page],
    ) -> OtpStep:
        """The step confirming the number of an account not made yet: the code goes to
        ``phone`` under the OTP rules of the identity number ``id_number`` gives, and the
        page ("Xác thực số điện thoại") names that number."""

        def send(flow: Flow) -> OtpState:
            return send_otp(flow.id, phone(flow), purpose, id_number=id_number(flow))

        return cls(
            purpose=purpose,
            endpoint=endpoint,
            confirmed=confirmed,
            send=send,
            masked_phone=masked(phone),
            citizen_id=_no_citizen,
            heading=NEW_PHONE_HEADING,
        )

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
            self.send(flow)
        except DomainError as exc:
            leave_problem(exc.problem, 429)
        else:
            if self.resend_audited(flow):
                audit.record(
                    "otp.sent",
                    citizen_id=self.citizen_id(flow),
                    purpose=self.purpose,
                    **self.audit_args(flow),
                    resend=True,
                )
            leave_notice(RESENT)
        return redirect(self.url(flow), 303)

    def send_first(
        self, flow: Flow, state: str, form: Callable[..., Page], event: str, **fields: Any
    ) -> Page:
        """The first code from the form page before the step: audited as ``event`` with
        ``fields``, the flow saved at ``state`` (the step's) and on to the step's page.

        When the OTP rules refuse (429) or the SMS service is down (503), the form page
        again instead, as ``form(problem=..., status=...)``, and the flow is not saved."""
        try:
            self.send(flow)
        except DomainError as exc:
            return form(problem=exc.problem, status=429)
        except ServiceUnavailable:
            return form(problem=UNAVAILABLE, status=503)
        audit.record(event, **fields)
        flow.state = state
        save_flow(flow)
        return redirect(self.url(flow))


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
