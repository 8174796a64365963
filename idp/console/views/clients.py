"""Clients (agencies): list, details, approve / suspend / reactivate, rotate the secret,
exempt a legacy agency from PKCE or require it again."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import case

from idp.console.session import require_console
from idp.console.views import bp
from idp.errors import DomainError
from idp.extensions import db
from idp.oidc import clients as registered
from idp.oidc.models import Client
from idp.oidc.registration_tokens import has_registration_access
from idp.shown_once import keep, take
from webapp.i18n import N_

NOTICES = {
    "approve": N_("Đã duyệt ứng dụng; ứng dụng có thể đăng nhập công dân."),
    "suspend": N_("Đã tạm ngưng ứng dụng; mọi token của ứng dụng đã bị thu hồi."),
    "reactivate": N_("Đã kích hoạt lại ứng dụng."),
}
PKCE_NOTICES = {
    "exempt": N_("Đã miễn PKCE cho ứng dụng này (cơ quan cũ chưa gửi được PKCE)."),
    "required": N_("Ứng dụng này từ nay phải dùng PKCE (S256)."),
}
PAR_NOTICES = {
    "required": N_("Ứng dụng này từ nay phải gửi trước yêu cầu đăng nhập qua kênh sau (PAR)."),
    "optional": N_("Ứng dụng này lại được gửi yêu cầu đăng nhập qua trình duyệt."),
}


@bp.get("/clients")
@require_console()
def clients():
    """Every client but deleted ones, those waiting for approval first."""
    status = request.args.get("status", "")
    query = db.select(Client).where(Client.status != registered.DELETED)
    if status in ("active", "pending", "suspended"):
        query = query.filter_by(status=status)
    pending_first = case((Client.status == registered.PENDING, 0), else_=1)
    rows = db.session.scalars(query.order_by(pending_first, Client.id.desc())).all()
    return render_template("console/clients.html", clients=rows, status=status)


def _client_page(client_id: str, status: int = 200, **page):
    try:
        client = registered.find_client(client_id)
    except DomainError as exc:
        return render_template("console/message.html", problem=exc.problem), 404
    self_registered = has_registration_access(client.client_id)
    return render_template(
        "console/client.html", client=client, self_registered=self_registered, **page
    ), status


@bp.get("/clients/<client_id>")
@require_console()
def client(client_id: str):
    """One client's registration and the actions its state allows (and, once, the secret
    just issued)."""
    issued = take(g.console.key, f"client-secret:{client_id}")
    return _client_page(client_id, new_secret=issued["secret"] if issued else None)


@bp.post("/clients/<client_id>/status")
@require_console(change=True)
def client_status(client_id: str):
    """Approve, suspend or reactivate (field ``action``)."""
    change = registered.STATUS_CHANGES.get(request.form.get("action", ""))
    try:
        if change is None:
            raise DomainError(registered.CLIENT_WRONG_STATUS)
        registered.change_status(client_id, change, g.console.actor)
    except DomainError as exc:
        return _client_page(client_id, 400, problem=exc.problem)
    flash(NOTICES[change.name])
    return redirect(url_for("console.client", client_id=client_id))


@bp.post("/clients/<client_id>/secret")
@require_console(change=True)
def client_secret(client_id: str):
    """Issue a new client secret and show it this once."""
    try:
        secret = registered.rotate_secret(client_id, g.console.actor)
    except DomainError as exc:
        return _client_page(client_id, 400, problem=exc.problem)
    keep(g.console.key, f"client-secret:{client_id}", {"secret": secret})
    return redirect(url_for("console.client", client_id=client_id), 303)


def _switch(client_id: str, field: str, notices: dict[str, str], apply) -> ResponseReturnValue:
    """One of the client's switches: the form's ``field`` is a key of ``notices``;
    ``apply(client_id, choice, actor)`` makes the change (DomainError: the page says why)."""
    choice = request.form.get(field, "")
    try:
        if choice not in notices:
            raise DomainError(registered.CLIENT_WRONG_STATUS)
        apply(client_id, choice, g.console.actor)
    except DomainError as exc:
        return _client_page(client_id, 400, problem=exc.problem)
    flash(notices[choice])
    return redirect(url_for("console.client", client_id=client_id))


@bp.post("/clients/<client_id>/pkce")
@require_console(change=True)
def client_pkce(client_id: str):
    """Exempt a legacy agency from PKCE or require it again (field ``pkce``)."""
    return _switch(
        client_id,
        "pkce",
        PKCE_NOTICES,
        lambda cid, choice, actor: registered.set_pkce_exemption(cid, choice == "exempt", actor),
    )


@bp.post("/clients/<client_id>/par")
@require_console(change=True)
def client_par(client_id: str):
    """Require pushed authorization requests (RFC 9126) of this client, or not (``par``)."""
    return _switch(
        client_id,
        "par",
        PAR_NOTICES,
        lambda cid, choice, actor: registered.set_par_requirement(cid, choice == "required", actor),
    )


PROFILE_NOTICES = {
    "fapi2": N_("Ứng dụng này từ nay theo hồ sơ bảo mật FAPI 2.0."),
    "standard": N_("Ứng dụng này trở lại hồ sơ bảo mật tiêu chuẩn."),
}


@bp.post("/clients/<client_id>/profile")
@require_console(change=True)
def client_profile(client_id: str):
    """Hold the client to the FAPI 2.0 Security Profile, or not (field ``profile``)."""
    return _switch(client_id, "profile", PROFILE_NOTICES, registered.set_security_profile)
