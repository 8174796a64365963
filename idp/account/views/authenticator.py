"""The authenticator app: set-up with a QR code, confirmation, recovery codes, removal."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from idp.account import recovery_codes, totp
from idp.account.password import verify_current_password
from idp.account.views import bp, signed_in
from idp.citizens.models import Citizen
from idp.errors import DomainError, Problem
from idp.shown_once import keep, take

T = TypeVar("T")


def _page(problem: Problem | None = None, status: int = 200):
    citizen = signed_in().citizen
    app = totp.authenticator_of(citizen.id)
    page = render_template(
        "provider/account/authenticator.html",
        app=app if app is not None and app.is_confirmed else None,
        enrolment=totp.pending_enrolment(citizen),
        codes_left=recovery_codes.codes_left(citizen.id),
        problem=problem,
    )
    return page, status


def _show_codes(codes: list[str], first_time: bool):
    """Keep the new codes for the page that shows them once, and go there."""
    keep(signed_in().login.sid, "recovery-codes", {"codes": codes, "first_time": first_time})
    return redirect(url_for("account.authenticator_codes"), 303)


@bp.get("/authenticator/recovery-codes")
def authenticator_codes() -> ResponseReturnValue:
    """The recovery codes just made, shown once; afterwards back to the app's page."""
    made = take(signed_in().login.sid, "recovery-codes")
    if made is None:
        return redirect(url_for("account.authenticator"))
    return render_template(
        "provider/account/recovery_codes.html",
        codes=made["codes"],
        first_time=made["first_time"],
    )


@bp.get("/authenticator")
def authenticator():
    """ "Ứng dụng xác thực": its state and what can be done with it."""
    return _page()


@bp.post("/authenticator/setup")
def authenticator_setup():
    """A new secret and QR code (an unfinished set-up is replaced)."""
    try:
        totp.start_enrolment(signed_in().citizen)
    except DomainError as exc:
        return _page(exc.problem, 409)
    return redirect(url_for("account.authenticator"))


def _change(
    action: Callable[[Citizen], T],
    then: Callable[[T], ResponseReturnValue],
    *,
    password: bool = True,
) -> ResponseReturnValue:
    """``action`` on the signed-in citizen (once the form's current password is verified,
    unless ``password`` is False), answered by ``then`` with its result; a DomainError
    shows the page again with the reason (400)."""
    citizen = signed_in().citizen
    try:
        if password:
            verify_current_password(citizen, request.form.get("current_password", ""))
        result = action(citizen)
    except DomainError as exc:
        return _page(exc.problem, 400)
    return then(result)


@bp.post("/authenticator/confirm")
def authenticator_confirm():
    """The first code from the app confirms it; the recovery codes are shown once."""
    return _change(
        lambda citizen: totp.confirm_enrolment(citizen, request.form.get("otp", "")),
        partial(_show_codes, first_time=True),
        password=False,
    )


@bp.post("/authenticator/recovery-codes")
def authenticator_new_codes():
    """Ten new recovery codes (the current password is required); the old ones end."""
    return _change(totp.renew_recovery_codes, partial(_show_codes, first_time=False))


@bp.post("/authenticator/disable")
def authenticator_disable():
    """Remove the app (the current password is required); SMS remains."""

    def disabled(_: None) -> ResponseReturnValue:
        flash("authenticator_disabled")
        return redirect(url_for("account.authenticator"))

    return _change(totp.disable, disabled)
