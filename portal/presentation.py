"""How the portal's pages word things: its name in the page language, dates the way the
provider shows them (dd/mm/yyyy), how the citizen signed in, and masked numbers."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Flask, current_app, has_request_context, session

from relying_party import SignIn
from relying_party.signed_in import current_citizen as signed_in_citizen

SUPPORTED_LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
# The page language the citizen chose (``lang`` in the session, the shared i18n's key)
# outlives signing in and out.
KEPT_ACROSS_SIGN_IN = ("lang",)


def page_locale() -> str:
    """The language of this request's pages: the session's choice, else Vietnamese."""
    chosen = session.get("lang") if has_request_context() else None
    return chosen if chosen in SUPPORTED_LOCALES else DEFAULT_LOCALE


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


def mask_phone(e164: str) -> str:
    """A Vietnamese mobile number with the middle hidden: ``+84912345678`` ->
    ``091****678``; empty for anything else."""
    if not re.fullmatch(r"\+84[0-9]{9}", e164 or ""):
        return ""
    national = "0" + e164[3:]
    return national[:3] + "****" + national[-3:]


def mask_identity_number(number: str) -> str:
    """Show the first three and last three digits, stars in between."""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 6) + number[-3:]


SIGNED_IN_FEDERATED = "Tài khoản định danh điện tử (mức độ đảm bảo {acr})"


def describe_sign_in(acr: str | None, amr: list[str] | None) -> str:
    """How the citizen signed in, in words (from ``amr`` (RFC 8176), else ``acr``)."""
    methods = set(amr or [])
    if "fed" in methods:  # through an upstream identity provider (VNeID, ...)
        return SIGNED_IN_FEDERATED.format(acr=acr or "?")
    if {"pwd", "sms"} <= methods:
        return "Mật khẩu + OTP qua SMS"
    if {"pwd", "otp"} <= methods:
        return "Mật khẩu + OTP từ ứng dụng xác thực"
    if "pwd" in methods:
        return "Mật khẩu"
    return f"Mức độ đảm bảo {acr}" if acr else "Không xác định"


def citizen_profile(sign_in: SignIn) -> dict[str, Any]:
    """What the portal keeps of a sign-in besides sub/sid/acr/amr: name, masked number."""
    userinfo = sign_in.userinfo
    number = userinfo.get("citizen_id") or userinfo.get("SoDinhDanh") or ""
    return {
        "name": userinfo.get("name") or userinfo.get("HoVaTen") or "",
        "id_number_masked": mask_identity_number(number) if number else "",
    }


def current_citizen() -> dict[str, Any] | None:
    """The signed-in citizen of this browser, with how they signed in, or None."""
    citizen = signed_in_citizen()
    if not citizen:
        return None
    return {**citizen, "sign_in_method": describe_sign_in(citizen.get("acr"), citizen["amr"])}


def init_app(app: Flask) -> None:
    """``portal_name`` in every template, and the ``display_date`` filter."""
    app.context_processor(lambda: {"portal_name": portal_name()})
    app.add_template_filter(display_date)
