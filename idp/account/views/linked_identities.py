"""Linked identities ("Tài khoản liên kết"): the upstream identities (VNeID...) the citizen
signs in with, and "Hủy liên kết" per identity.

Unlinking is refused when it would leave the account with no way in (no password and no
other active link: ``idp.federation.linking.unlink``); the page then says so with a 409.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from idp.account.views import bp, signed_in
from idp.citizens.creation import has_password
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.federation import linking
from idp.federation.models import Upstream

MAX_LINK_ID_DIGITS = 18  # below 2**63: any longer number is no row's id


def upstreams_configured() -> bool:
    """Whether the provider federates logins at all (the tab is shown only then)."""
    return db.session.scalar(db.select(Upstream.name).limit(1)) is not None


@bp.context_processor
def linked_identities_context() -> dict:
    # A function, so the query runs only when the account's tabs are drawn.
    return {"upstreams_configured": upstreams_configured}


def _page(problem: Problem | None = None, status: int = 200) -> ResponseReturnValue:
    citizen = signed_in().citizen
    page = render_template(
        "provider/account/linked_identities.html",
        links=linking.links_of(citizen.id),
        has_password=has_password(citizen),
        problem=problem,
    )
    return page, status


def _link_id(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > MAX_LINK_ID_DIGITS:
        raise DomainError(linking.LINK_NOT_FOUND)
    return int(raw)


@bp.get("/linked-identities")
def linked_identities() -> ResponseReturnValue:
    """ "Tài khoản liên kết": each upstream identity, when it was linked and last used."""
    return _page()


@bp.post("/linked-identities/unlink")
def unlink() -> ResponseReturnValue:
    """ "Hủy liên kết" (field ``link_id``): 404 for a link that is not the citizen's, 409
    when it is the account's only way in."""
    try:
        linking.unlink(signed_in().citizen, _link_id(request.form.get("link_id", "")))
    except DomainError as exc:
        status = 404 if exc.problem.code == linking.LINK_NOT_FOUND.code else 409
        return _page(exc.problem, status)
    flash("upstream_unlinked")
    return redirect(url_for("account.linked_identities"))
