"""The portal's settings: one typed model (``PortalSettings``), filled from its defaults,
then a TOML file (``PORTAL_SETTINGS_FILE``, if set), then environment variables, then
the ``overrides`` the factory is given (tests, ``idp demo``).

Every name is the model's: a ``PORTAL_*`` environment variable, a TOML key or an
override the model does not know is refused by name (a typo must not silently leave a
default in place). Values from text (environment) and from TOML are coerced to the
field's type and range-checked the same way: ``PORTAL_LOG_JSON=maybe`` is refused, not
false. The portal is a separate application with its own secret key and store prefix;
the only names it shares with the provider are ``IDP_ENV``, ``REDIS_URL`` and
``LOG_JSON`` (which ``PORTAL_LOG_JSON`` overrides).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relying_party import ClientSettings

DEV_PORTAL_SECRET_KEY = "portal-development-secret-key-change-me"
PREFIX = "PORTAL_"
#: Names shared with the provider, read without the prefix.
SHARED = ("IDP_ENV", "REDIS_URL", "LOG_JSON")
#: The environment variable naming a TOML settings file; not itself a setting.
SETTINGS_FILE = "PORTAL_SETTINGS_FILE"
ENVIRONMENTS = ("development", "test", "production")
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


class SettingsError(RuntimeError):
    """Settings the portal must not start with; the message names the setting and why."""


def _range(low: int, high: int) -> dict[str, Any]:
    return {"range": (low, high)}


@dataclass(frozen=True)
class PortalSettings:
    """Every setting of the portal, typed; the field ``x`` is the setting ``X``."""

    IDP_ENV: str = "development"
    PORTAL_ISSUER: str = "http://127.0.0.1:5000"
    PORTAL_CLIENT_ID: str = "demo-client"
    PORTAL_CLIENT_SECRET: str = ""
    # client_secret_basic (PORTAL_CLIENT_SECRET) or private_key_jwt (PORTAL_PRIVATE_KEY: a
    # PEM or a JWK as JSON text, its public half registered at the provider).
    PORTAL_TOKEN_ENDPOINT_AUTH_METHOD: str = "client_secret_basic"
    PORTAL_PRIVATE_KEY: str = ""
    PORTAL_PRIVATE_KEY_ALG: str = "ES256"
    # Push authorization requests first (RFC 9126); DPoP-bound tokens (RFC 9449) with this
    # private key (empty: bearer tokens). All three for a client under FAPI 2.0.
    PORTAL_USE_PAR: bool = False
    PORTAL_DPOP_KEY: str = ""
    PORTAL_DPOP_ALG: str = "ES256"
    PORTAL_BASE_URL: str = "http://127.0.0.1:5001"
    PORTAL_NAME: str = "Hệ thống thông tin giải quyết thủ tục hành chính tỉnh Đắk Lắk"
    # Shown on English pages; empty: PORTAL_NAME on every page.
    PORTAL_NAME_EN: str = "Dak Lak Province Administrative Procedures Information System"
    PORTAL_SECRET_KEY: str = DEV_PORTAL_SECRET_KEY
    PORTAL_SCOPE: str = "openid profile phone citizen_id offline_access"
    PORTAL_ACR_VALUES: str = "LoA1"
    REDIS_URL: str = ""
    PORTAL_REDIS_PREFIX: str = "portal:"
    # Empty: derived from the client id, so two portals on one host keep apart cookies.
    PORTAL_COOKIE_NAME: str = ""
    PORTAL_SESSION_SECONDS: int = dataclasses.field(default=28800, metadata=_range(60, 604800))
    PORTAL_HTTP_TIMEOUT: int = dataclasses.field(default=5, metadata=_range(1, 60))
    PORTAL_CLOCK_LEEWAY: int = dataclasses.field(default=60, metadata=_range(0, 300))
    LOG_JSON: bool = False
    #: Unset: ``LOG_JSON``.
    PORTAL_LOG_JSON: bool | None = None


FIELDS = {field.name: field for field in dataclasses.fields(PortalSettings)}
#: The defaults as settings names -> values (the model's defaults).
DEFAULTS: dict[str, Any] = {name: field.default for name, field in FIELDS.items()}


def _coerce(name: str, value: Any) -> Any:
    """``value`` (text from the environment, or a TOML/override value) as ``name``'s type."""
    kind = FIELDS[name].type
    if kind in ("bool", "bool | None"):
        if isinstance(value, bool) or (value is None and kind == "bool | None"):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
            return value.strip().lower() in TRUE_WORDS
        raise SettingsError(f"{name} must be true or false, got {value!r}")
    if kind == "int":
        if isinstance(value, bool):
            raise SettingsError(f"{name} must be a whole number, got {value!r}")
        try:
            number = int(value.strip()) if isinstance(value, str) else value
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, got {value!r}") from None
        if not isinstance(number, int):
            raise SettingsError(f"{name} must be a whole number, got {value!r}")
        low, high = FIELDS[name].metadata["range"]
        if not low <= number <= high:
            raise SettingsError(f"{name} must be between {low} and {high}, got {number}")
        return number
    if not isinstance(value, str):
        raise SettingsError(f"{name} must be text, got {value!r}")
    return value


def _refuse_unknown(names: Any, source: str) -> None:
    unknown = sorted(set(names) - set(FIELDS))
    if unknown:
        raise SettingsError(f"unknown portal setting(s) in {source}: {', '.join(unknown)}")


def _from_file(path: str) -> dict[str, Any]:
    try:
        with Path(path).open("rb") as handle:
            table = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{SETTINGS_FILE}={path!r} cannot be read: {exc}") from None
    _refuse_unknown(table, path)
    return table


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    mine = [name for name in environ if name.startswith(PREFIX) and name != SETTINGS_FILE]
    _refuse_unknown(mine, "the environment")
    return {name: environ[name] for name in (*mine, *SHARED) if name in environ}


def load_portal_model(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> PortalSettings:
    """Defaults, then the TOML file, then the environment, then ``overrides``; each value
    coerced and checked, unknown names refused."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    if environ.get(SETTINGS_FILE):
        values.update(_from_file(environ[SETTINGS_FILE]))
    values.update(_from_environment(environ))
    overrides = dict(overrides or {})
    _refuse_unknown(overrides, "the overrides")
    values.update(overrides)
    coerced = {name: _coerce(name, value) for name, value in values.items()}
    model = PortalSettings(**coerced)
    model = dataclasses.replace(
        model,
        PORTAL_ISSUER=model.PORTAL_ISSUER.rstrip("/"),
        PORTAL_BASE_URL=model.PORTAL_BASE_URL.rstrip("/"),
        PORTAL_COOKIE_NAME=model.PORTAL_COOKIE_NAME or _cookie_name(model.PORTAL_CLIENT_ID),
        LOG_JSON=model.LOG_JSON if model.PORTAL_LOG_JSON is None else model.PORTAL_LOG_JSON,
    )
    check_portal_settings(dataclasses.asdict(model))
    return model


def _cookie_name(client_id: str) -> str:
    return "portal_" + hashlib.sha256(client_id.encode()).hexdigest()[:10]


def split_overrides(overrides: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``overrides`` as (settings, Flask configuration): a ``PORTAL_*`` or shared name is a
    setting (checked, an unknown one refused); any other name is Flask's own (``TESTING``)."""
    settings, flask_config = {}, {}
    for name, value in overrides.items():
        mine = name in FIELDS or name.startswith(PREFIX)
        (settings if mine else flask_config)[name] = value
    return settings, flask_config


def load_portal_settings(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``load_portal_model`` as the app's config: setting names -> values."""
    return dataclasses.asdict(load_portal_model(overrides))


def check_portal_settings(settings: Mapping[str, Any]) -> None:
    """Refuse settings the portal cannot work with, and unsafe ones in production."""
    problems = []
    if settings["IDP_ENV"] not in ENVIRONMENTS:
        problems.append(f"IDP_ENV must be one of {', '.join(ENVIRONMENTS)}")
    if not settings["PORTAL_CLIENT_ID"]:
        problems.append("PORTAL_CLIENT_ID is not set")
    method = settings["PORTAL_TOKEN_ENDPOINT_AUTH_METHOD"]
    if method not in ("client_secret_basic", "private_key_jwt"):
        problems.append(
            "PORTAL_TOKEN_ENDPOINT_AUTH_METHOD must be client_secret_basic or private_key_jwt"
        )
    if method == "client_secret_basic" and not settings["PORTAL_CLIENT_SECRET"]:
        problems.append("PORTAL_CLIENT_SECRET is not set (idp clients create prints it)")
    if method == "private_key_jwt" and not settings["PORTAL_PRIVATE_KEY"]:
        problems.append("PORTAL_PRIVATE_KEY is not set (private_key_jwt signs with it)")
    for name in ("PORTAL_PRIVATE_KEY_ALG", "PORTAL_DPOP_ALG"):
        if settings[name] not in ("ES256", "PS256", "RS256"):
            problems.append(f"{name} must be ES256, PS256 or RS256")
    for name in ("PORTAL_ISSUER", "PORTAL_BASE_URL"):
        if not str(settings[name]).startswith(("https://", "http://")):
            problems.append(f"{name} must be an http(s):// URL")
    if not settings["PORTAL_REDIS_PREFIX"]:
        problems.append("PORTAL_REDIS_PREFIX is empty")
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


def client_settings(settings: Mapping[str, Any]) -> ClientSettings:
    """The portal's registration at the provider, for ``relying_party.mount``."""
    return ClientSettings(
        issuer=settings["PORTAL_ISSUER"],
        client_id=settings["PORTAL_CLIENT_ID"],
        client_secret=settings["PORTAL_CLIENT_SECRET"],
        token_endpoint_auth_method=settings["PORTAL_TOKEN_ENDPOINT_AUTH_METHOD"],
        private_key=settings["PORTAL_PRIVATE_KEY"],
        private_key_alg=settings["PORTAL_PRIVATE_KEY_ALG"],
        use_par=settings["PORTAL_USE_PAR"],
        dpop_key=settings["PORTAL_DPOP_KEY"],
        dpop_alg=settings["PORTAL_DPOP_ALG"],
        base_url=settings["PORTAL_BASE_URL"],
        scope=settings["PORTAL_SCOPE"],
        acr_values=settings["PORTAL_ACR_VALUES"],
        http_timeout=int(settings["PORTAL_HTTP_TIMEOUT"]),
        clock_leeway=int(settings["PORTAL_CLOCK_LEEWAY"]),
        session_seconds=int(settings["PORTAL_SESSION_SECONDS"]),
    )
