"""HTTP surface of the operators' console: one blueprint at /console, one module per area."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, g, render_template, request

from idp.console import labels
from idp.console.audit_search import local_time
from idp.console.session import apply_cookie
from idp.errors import Problem

bp = Blueprint("console", __name__, url_prefix="/console")
bp.after_request(apply_cookie)

CONTROL_CHARACTERS = Problem(
    "console.control_characters", "Dữ liệu gửi lên chứa ký tự điều khiển không hợp lệ."
)
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


@bp.before_request
def refuse_control_characters():
    """No path, query or form value may carry NUL or other control characters (400)."""
    path_values = [v for v in (request.view_args or {}).values() if isinstance(v, str)]
    for value in [*path_values, *request.args.values(), *request.form.values()]:
        if any(ch < " " and ch not in _ALLOWED_CONTROLS for ch in value):
            return render_template("console/message.html", problem=CONTROL_CHARACTERS), 400
    return None


@bp.app_template_filter("console_time")
def console_time(value: datetime | int | None) -> str:
    """A stored moment (datetime or Unix seconds) in Vietnam's local time."""
    if value is None:
        return ""
    if isinstance(value, int):
        value = datetime.fromtimestamp(value, UTC)
    return local_time(value)


@bp.context_processor
def console_context() -> dict:
    return {"console": g.get("console"), "labels": labels}


# Each module adds its routes to ``bp``.
from idp.console.views import (  # noqa: E402, F401
    audit_trail,
    citizens,
    clients,
    complaints,
    home,
    keys,
    registration_tokens,
    sign_in,
    upstreams,
)
