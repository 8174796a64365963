"""Signed-in browsers: "Đăng xuất" per session and "Đăng xuất khỏi tất cả thiết bị"."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from idp.account.agency_link import AgencyLink, agency_to_return_to
from idp.account.sessions import end_every_session, end_session, sessions_for
from idp.account.views import bp, signed_in
from idp.federation import upstream_sessions
from idp.login_session import current_login

SIGNED_OUT = "account_signed_out"  # Flask session key: what the last sign-out ended


@bp.get("/sessions")
def sessions():
    """Every signed-in browser: device, approximate place, time."""
    account = signed_in()
    views = sessions_for(account.citizen.id, account.login)
    return render_template("provider/account/sessions.html", sessions=views)


@bp.post("/sessions/end")
def end():
    """Sign one browser out (this one too, if it is the one chosen)."""
    account = signed_in()
    ended = end_session(account.citizen.id, request.form.get("sid", ""))
    if ended is None:
        flash("session_already_ended")
    elif ended.sid == account.login.sid:
        return _signed_out(everywhere=False)
    else:
        flash("session_ended")
    return redirect(url_for("account.sessions"))


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    """ "Đăng xuất" on every account page: this browser's session ends the one way
    (its tokens revoked, its agencies told by back-channel logout)."""
    account = signed_in()
    agency = agency_to_return_to(account.login)
    end_session(account.citizen.id, account.login.sid)
    response = _signed_out(everywhere=False, agency=agency)
    if account.login.upstream:  # signed in through an upstream: its own logout first
        response.location = upstream_sessions.onward(account.login, response.location)
    return response


@bp.post("/sessions/end-all")
def end_all():
    """Sign out everywhere, this browser included."""
    count = end_every_session(signed_in().citizen.id)
    return _signed_out(everywhere=True, count=count)


def _signed_out(everywhere: bool, count: int = 1, agency: AgencyLink | None = None):
    """Remember what was ended (and the agency to go back to) for the page that says so
    (POST/redirect/GET)."""
    back = {"name": agency.name, "url": agency.url} if agency else None
    session[SIGNED_OUT] = {"everywhere": everywhere, "count": count, "agency": back}
    return redirect(url_for("account.signed_out"), 303)


@bp.get("/signed-out")
def signed_out() -> ResponseReturnValue:
    """ "Đã đăng xuất" (reachable without a session: it has just ended)."""
    ended = session.get(SIGNED_OUT)
    if not ended or current_login() is not None:
        return redirect(url_for("account.profile"))
    return render_template("provider/account/signed_out.html", **ended)
