"""HTTP surface of the citizen's account at /account: one blueprint, one module per feature.

Every page needs a live provider login session (password + second factor). Without one
the citizen goes through the login flow and comes back to the page asked for (GET) or
to the account page (POST). The views only read the form, call the feature's module and
render; notices after a change are flashed as codes the templates put into words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import Blueprint, g, redirect, request, url_for

from idp.account.agency_link import agency_to_return_to
from idp.citizens.birth_date import VIETNAM_TZ
from idp.citizens.models import Citizen
from idp.extensions import db
from idp.flows.login.flow import start_login_flow
from idp.login_session import LoginSession, current_login

bp = Blueprint("account", __name__, url_prefix="/account")

# Pages of the blueprint shown without a session: the one that says it has just ended.
PUBLIC_ENDPOINTS = frozenset({"account.signed_out"})


@dataclass(frozen=True)
class SignedIn:
    """The signed-in citizen and their session, for this request."""

    citizen: Citizen
    login: LoginSession


def signed_in() -> SignedIn:
    """The request's signed-in citizen (set by ``require_login``)."""
    return g.account


def _return_path() -> str:
    if request.method != "GET":
        return url_for("account.profile")
    return request.full_path.rstrip("?")


@bp.before_request
def require_login():
    """No live session of an active citizen: log in first, then come back here."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    login = current_login()
    citizen = db.session.get(Citizen, login.citizen_id) if login else None
    if login is None or citizen is None or not citizen.is_active:
        flow = start_login_flow(None, return_to=_return_path())
        return redirect(url_for("login.choose", flow=flow.id))
    g.account = SignedIn(citizen=citizen, login=login)
    return None


@bp.app_template_filter("account_time")
def account_time(value: datetime | None) -> str:
    """A moment in Vietnam's local time, ``HH:MM dd/mm/yyyy``."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(VIETNAM_TZ).strftime("%H:%M %d/%m/%Y")


@bp.app_template_filter("account_date")
def account_date(value: date | None) -> str:
    """A date as ``dd/mm/yyyy``."""
    return value.strftime("%d/%m/%Y") if value else ""


@bp.context_processor
def account_context() -> dict:
    account = g.get("account")
    agency = agency_to_return_to(account.login) if account is not None else None
    return {"account": account, "agency_link": agency}


# Each module adds its routes to ``bp``.
from idp.account.views import (  # noqa: E402, F401
    agencies,
    authenticator,
    history,
    linked_identities,
    password,
    phone,
    profile,
    sessions,
)
