"""Moving a browser between a flow's named steps (shared by registration and recovery).

Each state has one page (``endpoints``: state → endpoint). A GET of a step the flow is
not at redirects to the step it is at (back/refresh work); a POST to another step does
nothing and says so; an unknown or expired flow gets a notice page.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from idp.errors import DomainError, Problem
from idp.flows.flow import FLOW_WRONG_STEP, Flow

Page = Response | tuple[str, int]


class FlowSteps:
    def __init__(
        self,
        load: Callable[[str | None], Flow],
        endpoints: dict[str, str],
        notice_template: str,
    ):
        self.load = load
        self.endpoints = endpoints
        self.notice_template = notice_template

    def url(self, flow: Flow) -> str:
        """The page of the step the flow is at."""
        return url_for(self.endpoints[flow.state], flow=flow.id)

    def notice(self, problem: Problem, status: int, flow: Flow | None = None) -> tuple[str, int]:
        """A notice page, with a link back to the current step when there is a flow."""
        continue_url = self.url(flow) if flow is not None else None
        page = render_template(self.notice_template, problem=problem, continue_url=continue_url)
        return page, status

    def at(self, step: str) -> Flow | Page:
        """The flow if it is at ``step``; else the page to answer with instead."""
        try:
            flow = self.load(request.args.get("flow"))
        except DomainError as exc:
            return self.notice(exc.problem, 400)
        if flow.state == step:
            return flow
        if request.method == "GET":
            return redirect(self.url(flow))
        return self.notice(FLOW_WRONG_STEP, 409, flow)
