"""Citizen accounts: find by CMND/CCCD number, lock (ending sessions) and unlock."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from idp import audit
from idp.citizens.models import Citizen
from idp.citizens.phone import mask_phone
from idp.console import account_locks
from idp.console.session import require_console
from idp.console.views import bp
from idp.errors import DomainError
from idp.extensions import db
from webapp.i18n import N_


def _page(query: str, status: int = 200, **page):
    return render_template("console/citizens.html", q=query, mask_phone=mask_phone, **page), status


@bp.get("/citizens")
@require_console()
def citizens():
    """Look up one account by its CMND/CCCD number (the lookup is audited)."""
    query = request.args.get("q", "").strip()
    if not query:
        return _page(query)
    try:
        found = account_locks.find_by_identity_number(query)
    except DomainError as exc:
        return _page(query, 400, problem=exc.problem)
    if found is None:
        return _page(query, 404, problem=account_locks.CITIZEN_NOT_FOUND)
    audit.record("citizen.viewed", citizen_id=found.id, actor=g.console.actor)
    return _page(query, citizen=found)


def _after_change(citizen_id: int, change, notice: str):
    try:
        citizen = change()
    except DomainError as exc:
        citizen = db.session.get(Citizen, citizen_id)
        query = citizen.id_number if citizen else ""
        return _page(query, 400 if citizen else 404, citizen=citizen, problem=exc.problem)
    flash(notice)
    return redirect(url_for("console.citizens", q=citizen.id_number))


@bp.post("/citizens/<int(min=1, max=2147483647):citizen_id>/lock")
@require_console(change=True)
def lock_citizen(citizen_id: int):
    """Lock the account; its sessions and tokens end now."""
    reason = request.form.get("reason", "").strip()
    return _after_change(
        citizen_id,
        lambda: account_locks.lock_citizen(citizen_id, g.console.actor, reason),
        N_("Đã khóa tài khoản và kết thúc mọi phiên đăng nhập của công dân."),
    )


@bp.post("/citizens/<int(min=1, max=2147483647):citizen_id>/unlock")
@require_console(change=True)
def unlock_citizen(citizen_id: int):
    """Let a locked account sign in again."""
    return _after_change(
        citizen_id,
        lambda: account_locks.unlock_citizen(citizen_id, g.console.actor),
        N_("Đã mở khóa tài khoản."),
    )
