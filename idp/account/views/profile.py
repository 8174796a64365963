"""The account page: the profile, and the change of e-mail."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from idp.account.profile import change_email, profile_of
from idp.account.totp import has_authenticator
from idp.account.views import bp, signed_in
from idp.errors import DomainError, Problem


def _page(problem: Problem | None = None, email: str | None = None, status: int = 200):
    citizen = signed_in().citizen
    page = render_template(
        "provider/account/profile.html",
        profile=profile_of(citizen),
        email_value=citizen.email or "" if email is None else email,
        with_app=has_authenticator(citizen.id),
        problem=problem,
    )
    return page, status


@bp.get("")
def profile():
    """ "Tài khoản của tôi": name, date of birth, gender, masked numbers, e-mail."""
    return _page()


@bp.post("/email")
def email():
    """Set, change or (left empty) remove the e-mail address."""
    typed = (request.form.get("email") or "")[:254]
    try:
        changed = change_email(signed_in().citizen, typed)
    except DomainError as exc:
        return _page(exc.problem, typed, 400)
    flash("email_changed" if changed else "email_unchanged")
    return redirect(url_for("account.profile"))
