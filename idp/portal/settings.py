"""The portal's settings: defaults below, overridden by environment variables of the same
name, then by the ``overrides`` the factory is given (tests, ``idp demo``).

The portal is a separate application with its own secret key and its own store prefix;
the only things it shares with the provider are ``IDP_ENV``, ``REDIS_URL`` and ``LOG_JSON``.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from idp.settings import SettingsError
from relying_party import ClientSettings

DEV_PORTAL_SECRET_KEY = "portal-development-secret-key-change-me"

DEFAULTS: dict[str, Any] = {
    "IDP_ENV": "development",
    "PORTAL_ISSUER": "http://127.0.0.1:5000",
    "PORTAL_CLIENT_ID": "demo-client",
    "PORTAL_CLIENT_SECRET": "",
    "PORTAL_BASE_URL": "http://127.0.0.1:5001",
    "PORTAL_NAME": "Hệ thống thông tin giải quyết thủ tục hành chính tỉnh Đắk Lắk",
    # Shown on English pages; empty: PORTAL_NAME on every page.
    "PORTAL_NAME_EN": "Dak Lak Province Administrative Procedures Information System",
    "PORTAL_SECRET_KEY": DEV_PORTAL_SECRET_KEY,
    "PORTAL_SCOPE": "openid profile phone citizen_id offline_access",
    "PORTAL_ACR_VALUES": "LoA1",
    "REDIS_URL": "",
    "PORTAL_REDIS_PREFIX": "portal:",
    # Empty: derived from the client id, so two portals on one host keep apart cookies.
    "PORTAL_COOKIE_NAME": "",
    "PORTAL_SESSION_SECONDS": 28800,
    "PORTAL_HTTP_TIMEOUT": 5,
    "PORTAL_CLOCK_LEEWAY": 60,
    "LOG_JSON": False,
}


def _coerce(name: str, raw: str, like: Any) -> Any:
    if isinstance(like, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(like, int):
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    return raw


def load_portal_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then environment variables, then ``overrides``; checked before use."""
    settings = dict(DEFAULTS)
    for name, like in DEFAULTS.items():
        if name in os.environ:
            settings[name] = _coerce(name, os.environ[name], like)
    settings.update(overrides or {})
    settings["PORTAL_ISSUER"] = str(settings["PORTAL_ISSUER"]).rstrip("/")
    settings["PORTAL_BASE_URL"] = str(settings["PORTAL_BASE_URL"]).rstrip("/")
    if not settings["PORTAL_COOKIE_NAME"]:
        digest = hashlib.sha256(str(settings["PORTAL_CLIENT_ID"]).encode()).hexdigest()[:10]
        settings["PORTAL_COOKIE_NAME"] = f"portal_{digest}"
    check_portal_settings(settings)
    return settings


def check_portal_settings(settings: dict[str, Any]) -> None:
    """Refuse settings the portal cannot work with, and unsafe ones in production."""
    problems = []
    if not settings["PORTAL_CLIENT_ID"]:
        problems.append("PORTAL_CLIENT_ID is not set")
    if not settings["PORTAL_CLIENT_SECRET"]:
        problems.append("PORTAL_CLIENT_SECRET is not set (idp clients create prints it)")
    if settings["IDP_ENV"] == "production":
        key = settings["PORTAL_SECRET_KEY"]
        if key in ("", DEV_PORTAL_SECRET_KEY) or len(key) < 32:
            problems.append("PORTAL_SECRET_KEY is the development default or too short")
        if not settings["REDIS_URL"]:
            problems.append("REDIS_URL is not set (portal sessions must be shared)")
        for name in ("PORTAL_ISSUER", "PORTAL_BASE_URL"):
            if not str(settings[name]).startswith("https://"):
                problems.append(f"{name} must be an https:// URL")
    if problems:
        raise SettingsError("the portal cannot start: " + "; ".join(problems))


def client_settings(settings: dict[str, Any]) -> ClientSettings:
    """The portal's registration at the provider, for ``relying_party.mount``."""
    return ClientSettings(
        issuer=settings["PORTAL_ISSUER"],
        client_id=settings["PORTAL_CLIENT_ID"],
        client_secret=settings["PORTAL_CLIENT_SECRET"],
        base_url=settings["PORTAL_BASE_URL"],
        scope=settings["PORTAL_SCOPE"],
        acr_values=settings["PORTAL_ACR_VALUES"],
        http_timeout=int(settings["PORTAL_HTTP_TIMEOUT"]),
        clock_leeway=int(settings["PORTAL_CLOCK_LEEWAY"]),
        session_seconds=int(settings["PORTAL_SESSION_SECONDS"]),
    )
