"""Development only: a page listing the last SMS messages, so OTPs can be read in a demo."""

from __future__ import annotations

from flask import Blueprint, render_template

from idp.citizens.phone import mask_phone
from idp.services import services

bp = Blueprint("dev_sms", __name__)


@bp.get("/dev/sms")
def messages():
    recent = services().recent_sms.newest_first()
    return render_template("provider/dev_sms.html", messages=recent, mask_phone=mask_phone)
