"""Moving a browser between a flow's named steps, and ``@flow_step`` for every flow view.

A view decorated ``@flow_step(kind, *states)`` receives the flow (first argument) only
when the request names a flow of ``kind`` that this browser may continue and that is at
one of ``states``; otherwise the kind's guard answers instead. Each kind registers its
guard (``register_guard``): what a missing, expired or foreign flow, or one at another
step, is answered with. ``FlowSteps`` is the guard of the step-by-step flows (registration,
recovery): each state has one page (``endpoints``: state → endpoint); a GET of a step the
flow is not at redirects to the step it is at (back/refresh work), a POST to another step
does nothing and says so, and an unknown or expired flow gets a notice page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from idp.errors import DomainError, Problem
from idp.flows.flow import FLOW_WRONG_STEP, Flow, load_flow

Page = Response | tuple[str, int]
# (the states the view accepts, the view's URL arguments) → the flow, or the answer
Guard = Callable[[tuple[str, ...], dict[str, Any]], "Flow | Page"]

_GUARDS: dict[str, Guard] = {}


def register_guard(kind: str, guard: Guard) -> None:
    """Make ``guard`` the one ``@flow_step(kind, ...)`` views are guarded by."""
    _GUARDS[kind] = guard


def flow_step(kind: str, *states: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a view that works on a flow of ``kind`` at one of ``states``.

    The view is called as ``view(flow, **url_arguments)``; when the kind's guard finds
    no such flow it answers instead and the view is not called.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            flow = _GUARDS[kind](states, kwargs)
            if not isinstance(flow, Flow):
                return flow
            return view(flow, *args, **kwargs)

        return guarded

    return decorate


def restart_guard(kind: str) -> Guard:
    """The guard of a flow with no step pages to send a browser back to (login, consent):
    a missing, expired or foreign flow, or one at another step, gets "start again"."""

    def guard(states: tuple[str, ...], view_args: dict[str, Any]) -> Flow | Page:
        try:
            return load_flow(kind, request.values.get("flow"), *states)
        except DomainError as exc:
            page = render_template("provider/message.html", problem=exc.problem, restart=True)
            return page, 400

    return guard


class FlowSteps:
    """The guard and step pages of a step-by-step flow (see the module docstring)."""

    def __init__(
        self,
        kind: str,
        load: Callable[[str | None], Flow],
        endpoints: dict[str, str],
        notice_template: str,
    ):
        self.load = load
        self.endpoints = endpoints
        self.notice_template = notice_template
        register_guard(kind, self.guard)

    def url(self, flow: Flow) -> str:
        """The page of the step the flow is at."""
        return url_for(self.endpoints[flow.state], flow=flow.id)

    def notice(self, problem: Problem, status: int, flow: Flow | None = None) -> tuple[str, int]:
        """A notice page, with a link back to the current step when there is a flow."""
        continue_url = self.url(flow) if flow is not None else None
        page = render_template(self.notice_template, problem=problem, continue_url=continue_url)
        return page, status

    def form(
        self,
        template: str,
        flow: Flow,
        values: dict,
        problems: dict[str, Problem] | None = None,
        problem: Problem | None = None,
        status: int = 200,
    ) -> tuple[str, int]:
        """A step's form page: the values typed, a problem per field, one for the page."""
        page = render_template(
            template, flow=flow, values=values, problems=problems or {}, problem=problem
        )
        return page, status

    def checked_form(
        self,
        template: str,
        typed_values: Callable[[MultiDict], dict[str, str]],
        check: Callable[[dict[str, str]], tuple[Any, dict[str, Problem]]],
    ) -> Callable[[Callable[..., Page]], Callable[..., Page]]:
        """Decorate the view of a step's form (``form`` of ``template``).

        A GET shows the form empty; a POST shows what was typed again with each field's
        problem (400) unless ``check`` accepts it all. Only then is the view called, as
        ``view(flow, checked, form)``: ``checked`` is what ``check`` made of the fields and
        ``form(problems, problem=..., status=...)`` the form again with what was typed (for
        the view's own refusals, and ``OtpStep.send_first``'s).
        """

        def decorate(view: Callable[..., Page]) -> Callable[..., Page]:
            @functools.wraps(view)
            def form_step(flow: Flow, **url_arguments: Any) -> Page:
                if request.method == "GET":
                    return self.form(template, flow, {})
                typed = typed_values(request.form)
                checked, problems = check(typed)
                if checked is None:
                    return self.form(template, flow, typed, problems, status=400)
                form = functools.partial(self.form, template, flow, typed)
                return view(flow, checked, form, **url_arguments)

            return form_step

        return decorate

    def password_form(
        self, template: str, change: Callable[[Flow, str, str], Any]
    ) -> Callable[[Callable[..., Page]], Callable[..., Page]]:
        """Decorate the view of a step's new password and its confirmation (``template``).

        A GET shows the form; a POST is ``change(flow, password, confirmation)``, then the
        view, called as ``view(flow, changed)`` with what ``change`` returned. When it
        refuses (DomainError), the form again for a problem of either field (400), else
        the notice page (409)."""

        def decorate(view: Callable[..., Page]) -> Callable[..., Page]:
            @functools.wraps(view)
            def password_step(flow: Flow, **url_arguments: Any) -> Page:
                if request.method == "GET":
                    return render_template(template, flow=flow)
                typed = request.form
                try:
                    changed = change(
                        flow, typed.get("password", ""), typed.get("password_confirm", "")
                    )
                except DomainError as exc:
                    if exc.problem.field not in ("password", "password_confirm"):
                        return self.notice(exc.problem, 409)
                    return render_template(template, flow=flow, problem=exc.problem), 400
                return view(flow, changed, **url_arguments)

            return password_step

        return decorate

    def guard(self, states: tuple[str, ...], view_args: dict[str, Any]) -> Flow | Page:
        """The flow if it is at one of ``states``; else the page to answer with instead."""
        try:
            flow = self.load(request.args.get("flow"))
        except DomainError as exc:
            return self.notice(exc.problem, 400)
        if flow.state in states:
            return flow
        if request.method == "GET":
            return redirect(self.url(flow))
        return self.notice(FLOW_WRONG_STEP, 409, flow)
