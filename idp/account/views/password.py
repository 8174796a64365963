"""Changing the password: current password, new password and its confirmation."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from idp.account.password import change_password
from idp.account.views import bp, signed_in
from idp.errors import DomainError


@bp.route("/password", methods=["GET", "POST"])
def password():
    """ "Đổi mật khẩu"; other browsers are signed out afterwards."""
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
