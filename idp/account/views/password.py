"""Changing the password: current password, new password and its confirmation; or, for an
account made from an upstream identity that has none yet, setting a first one."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from idp.account.password import change_password, set_first_password
from idp.account.views import SignedIn, bp, signed_in
from idp.citizens.creation import has_password
from idp.errors import DomainError


@bp.route("/password", methods=["GET", "POST"])
def password():
    """ "Đổi mật khẩu"; other browsers are signed out afterwards. "Đặt mật khẩu" when the
    account has no password yet."""
    if not has_password(signed_in().citizen):
        return _first_password(signed_in())
    if request.method == "GET":
        return render_template("provider/account/password.html")
    account = signed_in()
    try:
        change_password(
            account.citizen,
            account.login,
            request.form.get("current_password", ""),
            request.form.get("password", ""),
            request.form.get("password_confirm", ""),
        )
    except DomainError as exc:
        return render_template("provider/account/password.html", problem=exc.problem), 400
    flash("password_changed")
    return redirect(url_for("account.profile"))


def _first_password(account: SignedIn):
    """No current password to give: the new one and its confirmation."""
    if request.method == "GET":
        return render_template("provider/account/password_first.html")
    try:
        set_first_password(
            account.citizen,
            request.form.get("password", ""),
            request.form.get("password_confirm", ""),
        )
    except DomainError as exc:
        # A concurrent request set one meanwhile: the usual change form says why.
        template = "password.html" if has_password(account.citizen) else "password_first.html"
        return render_template(f"provider/account/{template}", problem=exc.problem), 400
    flash("password_set")
    return redirect(url_for("account.profile"))
