"""Upstream identity providers (VNeID...): the list, and suspending or resuming one.

Adding and removing stay with ``idp upstreams`` (the CLI reads the issuer's discovery
document and takes the client secret); a suspended upstream loses its button on the login
choice and its callbacks are refused until it is resumed.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from idp.console.session import require_console
from idp.console.views import bp
from idp.errors import DomainError, Problem
from idp.federation.upstreams import NOT_FOUND, all_upstreams, describe, set_active
from webapp.i18n import N_

NOTICES = {
    "suspend": N_("Đã tạm dừng nhà cung cấp định danh; công dân không thể đăng nhập qua đó."),
    "resume": N_("Đã kích hoạt lại nhà cung cấp định danh."),
}
ACTION_INVALID = Problem(
    "console.upstream_action_invalid", "Thao tác với nhà cung cấp định danh không hợp lệ."
)


def _page(status: int = 200, **page) -> ResponseReturnValue:
    upstreams = [describe(upstream) for upstream in all_upstreams()]
    return render_template("console/upstreams.html", upstreams=upstreams, **page), status


@bp.get("/upstreams")
@require_console()
def upstreams() -> ResponseReturnValue:
    """Every upstream provider with its settings (never its client secret)."""
    return _page()


@bp.post("/upstreams/<name>/status")
@require_console(change=True)
def upstream_status(name: str) -> ResponseReturnValue:
    """Suspend or resume one upstream (field ``action``: ``suspend`` or ``resume``)."""
    action = request.form.get("action", "")
    if action not in NOTICES:
        return _page(400, problem=ACTION_INVALID)
    try:
        set_active(name, action == "resume", actor=g.console.actor)
    except DomainError as exc:
        status = 404 if exc.problem.code == NOT_FOUND.code else 400
        return _page(status, problem=exc.problem)
    flash(NOTICES[action])
    return redirect(url_for("console.upstreams"))
