"""Initial access tokens for dynamic client registration: issue one, see recent ones."""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for

from idp.console.session import require_console
from idp.console.views import bp
from idp.errors import DomainError
from idp.extensions import db
from idp.oidc.registration_tokens import (
    LIFETIME_INVALID,
    InitialAccessToken,
    issue_token,
    recent_tokens,
)
from idp.shown_once import keep, take
from webapp.i18n import N_

LIFETIMES = [
    (3600, N_("1 giờ")),
    (86400, N_("1 ngày")),
    (7 * 86400, N_("7 ngày")),
    (30 * 86400, N_("30 ngày")),
]


def _page(status: int = 200, **page):
    return render_template(
        "console/registration_tokens.html", tokens=recent_tokens(), lifetimes=LIFETIMES, **page
    ), status


@bp.get("/registration-tokens")
@require_console()
def registration_tokens():
    """The form and the most recent tokens (never their values, but for the one just
    issued, once)."""
    issued = take(g.console.key, "registration-token")
    if issued is None:
        return _page()
    row = db.session.get(InitialAccessToken, issued["row_id"])
    return _page(new_token=issued["value"], new_row=row)


@bp.post("/registration-tokens")
@require_console(change=True)
def issue_registration_token():
    """Issue a single-use token and show its value this once."""
    try:
        expires_in = int(request.form.get("expires_in", ""))
        value, row = issue_token(g.console.actor, expires_in)
    except ValueError:
        return _page(400, problem=LIFETIME_INVALID)
    except DomainError as exc:
        return _page(400, problem=exc.problem)
    keep(g.console.key, "registration-token", {"value": value, "row_id": row.id})
    return redirect(url_for("console.registration_tokens"), 303)
