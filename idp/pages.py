"""The provider's own plain pages: home."""

from __future__ import annotations

from flask import Blueprint, render_template

from idp.citizens.models import Citizen
from idp.extensions import db
from idp.login_session import current_login

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    login = current_login()
    citizen = db.session.get(Citizen, login.citizen_id) if login else None
    return render_template("provider/home.html", citizen=citizen)
