"""Connected agencies: what each received and when, and revoking its access."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from idp.account.agencies import agencies_of, revoke_agency
from idp.account.views import bp, signed_in
from idp.errors import DomainError


def _page(problem=None, status: int = 200):
    agencies = agencies_of(signed_in().citizen.id)
    page = render_template("provider/account/agencies.html", agencies=agencies, problem=problem)
    return page, status


@bp.get("/agencies")
def agencies():
    """ "Cơ quan đã kết nối"."""
    return _page()


@bp.post("/agencies/revoke")
def revoke():
    """ "Thu hồi quyền truy cập": the agency's tokens end and its consent is deleted."""
    try:
        revoked = revoke_agency(signed_in().citizen.id, request.form.get("client_id", ""))
    except DomainError as exc:
        return _page(exc.problem, 404)
    flash("agency_revoked" if revoked else "agency_already_revoked")
    return redirect(url_for("account.agencies"))
