"""A flow's OTP step (shared by registration and recovery): the page, "Xác nhận", "Gửi lại OTP".

The flow says how its code is sent, checked and timed and whose it is (the callables);
this does the rest the same way for both: the step check, the page, the audit events of a
confirmation, the move to the next state, and the answer to a refused resend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import redirect, render_template, request, url_for

from idp import audit
from idp.citizens.phone import mask_phone
from idp.errors import DomainError, Problem
from idp.flows.flow import Flow, save_flow
from idp.flows.steps import FlowSteps, Page
from idp.one_time_notices import leave_notice, leave_problem, take_notices
from idp.otp import OtpState

RESENT = "Mã OTP mới đã được gửi."


@dataclass(frozen=True)
class OtpStep:
    steps: FlowSteps
    at: str  # the OTP state
    then: str  # the state a confirmed code moves the flow to
    purpose: str  # the audit events' purpose
    heading: str  # the page's <h1>, a msgid (idp.i18n.RUNTIME_MESSAGES)
    resend_endpoint: str
    phone: Callable[[Flow], str]  # the E.164 number the code went to
    code_state: Callable[[Flow], OtpState | None]
    confirm: Callable[[Flow, str], None]  # raises DomainError for a code not accepted
    resend: Callable[[Flow], object]  # raises DomainError when the OTP rules refuse
    citizen_id: Callable[[Flow], int | None]  # for the audit events

    def page(
        self, flow: Flow, problem: Problem | None = None, status: int = 200, notice=None
    ) -> tuple[str, int]:
        page = render_template(
            "provider/otp.html",
            heading=self.heading,
            flow=flow,
            masked_phone=mask_phone(self.phone(flow)),
            otp_state=self.code_state(flow),
            action=url_for(self.steps.endpoints[self.at], flow=flow.id),
            resend_action=url_for(self.resend_endpoint, flow=flow.id),
            problem=problem,
            notice=notice,
        )
        return page, status

    def show_or_confirm(self, flow: Flow) -> Page:
        """GET: the page; POST: check the code and go on to the next step."""
        if request.method == "GET":
            left = take_notices()
            return self.page(flow, left.problem, left.status, left.notice)
        try:
            self.confirm(flow, request.form.get("otp", ""))
        except DomainError as exc:
            citizen_id = self.citizen_id(flow)
            audit.record(
                "otp.failed", citizen_id=citizen_id, purpose=self.purpose, reason=exc.problem.code
            )
            return self.page(flow, exc.problem, 400)
        audit.record("otp.verified", citizen_id=self.citizen_id(flow), purpose=self.purpose)
        flow.state = self.then
        save_flow(flow)
        return redirect(self.steps.url(flow))

    def send_again(self, flow: Flow) -> Page:
        """ "Gửi lại OTP": a new code under the OTP rules, or why not, told once on the
        OTP page it redirects to (a reload there never sends again)."""
        try:
            self.resend(flow)
        except DomainError as exc:
            leave_problem(exc.problem, 429)
        else:
            leave_notice(RESENT)
        return redirect(self.steps.url(flow), 303)
