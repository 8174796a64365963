"""How the portal's pages word things: its name in the page language, and dates the way
the provider shows them (dd/mm/yyyy)."""

from __future__ import annotations

from datetime import date

from flask import Flask, current_app

from idp.i18n import page_locale


def portal_name() -> str:
    """``PORTAL_NAME``, or ``PORTAL_NAME_EN`` on English pages when it is set."""
    config = current_app.config
    if page_locale() == "en" and config.get("PORTAL_NAME_EN"):
        return str(config["PORTAL_NAME_EN"])
    return str(config["PORTAL_NAME"])


def display_date(value: str | None) -> str:
    """An ISO date from userinfo (``birthdate``, OIDC Core §5.1) as ``dd/mm/yyyy``; any
    other text unchanged."""
    if not value:
        return ""
    try:
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    except (TypeError, ValueError):
        return str(value)


def init_app(app: Flask) -> None:
    """``portal_name`` in every template, and the ``display_date`` filter."""
    app.context_processor(lambda: {"portal_name": portal_name()})
    app.add_template_filter(display_date)
