"""Wires the abuse defences into the Flask app: input limits and the forms' challenge."""

from __future__ import annotations

from flask import Flask

from idp.abuse import input_limits
from idp.abuse.sms_pumping import form_challenge


def init_app(app: Flask) -> None:
    """Input limits on every request; ``pow_challenge()`` for the OTP-sending forms."""
    input_limits.init_app(app)
    app.jinja_env.globals["pow_challenge"] = form_challenge
