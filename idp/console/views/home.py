"""The console's start page: what waits for an operator."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func

from idp.complaints.models import OPEN, Complaint
from idp.console.session import require_console
from idp.console.views import bp
from idp.extensions import db
from idp.oidc.clients import PENDING
from idp.oidc.models import Client


@bp.get("/")
@require_console()
def home():
    """Counts of pending clients and open complaints, and links to every area."""
    pending = db.session.scalar(db.select(func.count(Client.id)).filter_by(status=PENDING))
    open_complaints = db.session.scalar(db.select(func.count(Complaint.id)).filter_by(status=OPEN))
    return render_template(
        "console/home.html", pending_clients=pending, open_complaints=open_complaints
    )
