"""Sign-in history, newest first, one page at a time."""

from __future__ import annotations

from flask import render_template, request

from idp.account.history import history_of, parse_page
from idp.account.views import bp, signed_in
from idp.errors import DomainError


@bp.get("/history")
def history():
    """ "Lịch sử đăng nhập" from the audit trail (``?page=``)."""
    try:
        page = parse_page(request.args.get("page"))
    except DomainError as exc:
        return render_template(
            "provider/account/history.html", history=None, problem=exc.problem
        ), 400
    found = history_of(signed_in().citizen.id, page)
    return render_template("provider/account/history.html", history=found)
