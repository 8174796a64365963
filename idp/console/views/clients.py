"""Clients (agencies): list, details, rotate the secret, and the switches of one table:
approve / suspend / reactivate, PKCE exemption of a legacy agency, PAR, FAPI 2.0."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

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

# What the console says once a client's setting has changed, keyed by (setting, choice):
# the choices a setting takes are its keys here.
NOTICES = {
    ("status", "approve"): N_("Đã duyệt ứng dụng; ứng dụng có thể đăng nhập công dân."),
    ("status", "suspend"): N_("Đã tạm ngưng ứng dụng; mọi token của ứng dụng đã bị thu hồi."),
    ("status", "reactivate"): N_("Đã kích hoạt lại ứng dụng."),
    ("pkce", "exempt"): N_("Đã miễn PKCE cho ứng dụng này (cơ quan cũ chưa gửi được PKCE)."),
    ("pkce", "required"): N_("Ứng dụng này từ nay phải dùng PKCE (S256)."),
    ("par", "required"): N_(
        "Ứng dụng này từ nay phải gửi trước yêu cầu đăng nhập qua kênh sau (PAR)."
    ),
    ("par", "optional"): N_("Ứng dụng này lại được gửi yêu cầu đăng nhập qua trình duyệt."),
    ("profile", "fapi2"): N_("Ứng dụng này từ nay theo hồ sơ bảo mật FAPI 2.0."),
    ("profile", "standard"): N_("Ứng dụng này trở lại hồ sơ bảo mật tiêu chuẩn."),
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


# The client's settings the console changes, each by a one-field form posted to
# /clients/<client_id>/<setting> (endpoint ``console.client_<setting>``): the form field,
# and how its choice is applied as ``apply(client_id, choice, actor)``.
SWITCHES: dict[str, tuple[str, Callable[[str, str, str], object]]] = {
    # approve, suspend or reactivate
    "status": (
        "action",
        lambda client_id, choice, actor: registered.change_status(
            client_id, registered.STATUS_CHANGES[choice], actor
        ),
    ),
    # exempt a legacy agency from PKCE or require it again
    "pkce": (
        "pkce",
        lambda client_id, choice, actor: registered.set_pkce_exemption(
            client_id, choice == "exempt", actor
        ),
    ),
    # require pushed authorization requests (RFC 9126) of this client, or not
    "par": (
        "par",
        lambda client_id, choice, actor: registered.set_par_requirement(
            client_id, choice == "required", actor
        ),
    ),
    # hold the client to the FAPI 2.0 Security Profile, or not
    "profile": ("profile", registered.set_security_profile),
}


def client_switch(client_id: str, setting: str) -> ResponseReturnValue:
    """Apply the choice posted for one of the client's ``SWITCHES`` (one it does not take,
    or a DomainError: the page says why), then say what changed."""
    field, apply = SWITCHES[setting]
    choice = request.form.get(field, "")
    try:
        if (setting, choice) not in NOTICES:
            raise DomainError(registered.CLIENT_WRONG_STATUS)
        apply(client_id, choice, g.console.actor)
    except DomainError as exc:
        return _client_page(client_id, 400, problem=exc.problem)
    flash(NOTICES[setting, choice])
    return redirect(url_for("console.client", client_id=client_id))


for _setting in SWITCHES:
    bp.add_url_rule(
        f"/clients/<client_id>/{_setting}",
        f"client_{_setting}",
        require_console(change=True)(partial(client_switch, setting=_setting)),
        methods=["POST"],
    )
