"""Settings: ``config/<IDP_ENV>.toml`` overridden by environment variables of the same name.

Every key a settings file may hold is listed in ``DEFAULTS`` with its type; an environment
variable of the same name overrides it (``true``/``false`` for booleans, integers parsed).
``check_settings`` refuses unsafe production settings, saying why.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"
DEV_SECRET_KEY = "development-secret-key-change-me"

DEFAULTS: dict[str, Any] = {
    "IDP_ENV": "development",
    "IDP_ISSUER": "http://127.0.0.1:5000",
    "SECRET_KEY": DEV_SECRET_KEY,
    "DATABASE_URL": "",
    "REDIS_URL": "",
    "REDIS_PREFIX": "idp:",
    "IDP_KEYS_DIR": str(ROOT / "keys"),
    "KEY_ROTATION_LEAD_SECONDS": 86400,
    # How long a replica may answer from its in-memory copy of a client row.
    "CLIENT_CACHE_SECONDS": 5,
    # A pooled database connection idle this long is pinged before use (idp.database_outage).
    "DATABASE_PING_IDLE_SECONDS": 10,
    # false: token writes do not wait for the WAL flush (see idp.oidc.tokens).
    "TOKEN_SYNCHRONOUS_COMMIT": False,
    "SMS_BACKEND": "console",
    "SMS_OUTBOX_PATH": str(ROOT / "instance" / "sms-outbox.jsonl"),
    "SMS_HTTP_URL": "",
    "SMS_HTTP_TOKEN": "",
    "SHOW_SMS_PAGE": False,
    "SUBSCRIBER_CHECK": "registry",
    "SUBSCRIBER_HTTP_URL": "",
    "SUBSCRIBER_HTTP_TOKEN": "",
    "SUBSCRIBER_HTTP_TIMEOUT": 3,
    # Ownership complaints (idp/complaints/): evidence files per complaint and bytes each.
    "COMPLAINT_MAX_FILES": 3,
    "COMPLAINT_MAX_FILE_BYTES": 5242880,
    # All evidence files of one complaint together (config/nginx.conf's complaint location
    # allows this plus the form's 1 MiB of text and framing).
    "COMPLAINT_MAX_TOTAL_BYTES": 10485760,
    # Complaint flooding (idp/abuse/complaint_flood.py): submissions per client IP per hour,
    # filed complaints per identity number per day and for the whole provider per hour.
    "COMPLAINT_SUBMISSIONS_PER_IP_PER_HOUR": 10,
    "COMPLAINTS_PER_ID_NUMBER_PER_DAY": 3,
    "COMPLAINTS_GLOBAL_PER_HOUR": 300,
    "SESSION_COOKIE_SECURE": False,
    "LOGIN_SESSION_SECONDS": 28800,
    "AUTH_CODE_SECONDS": 60,
    "ACCESS_TOKEN_SECONDS": 3600,
    "ID_TOKEN_SECONDS": 3600,
    "REFRESH_TOKEN_SECONDS": 2592000,
    "FLOW_SECONDS": 1800,
    "OTP_TTL_SECONDS": 300,
    "OTP_MAX_ATTEMPTS": 5,
    "OTP_RESEND_COOLDOWN_SECONDS": 60,
    "OTP_MAX_SENDS_PER_HOUR": 5,
    # User-wide lock (idp/citizens/lockout.py): wrong passwords from every address within
    # LOCKOUT_WINDOW_SECONDS; the lock doubles from BASE up to MAX (Keycloak's default
    # maximum wait, 15 minutes); locks are remembered for doubling over RESET.
    "LOCKOUT_THRESHOLD": 10,
    "LOCKOUT_WINDOW_SECONDS": 900,
    "LOCKOUT_BASE_SECONDS": 60,
    "LOCKOUT_MAX_SECONDS": 900,
    "LOCKOUT_RESET_SECONDS": 43200,
    "ARGON2_TIME_COST": 2,
    "ARGON2_MEMORY_COST": 19456,
    "ARGON2_PARALLELISM": 1,
    "MAX_CONTENT_LENGTH": 1048576,
    "CLIENT_APPROVAL_REQUIRED": False,
    # Dynamic client registration (idp/oidc/registration.py): initial access tokens'
    # default lifetime, https-only metadata URIs (always on in production), and the
    # timeout for fetching a sector_identifier_uri.
    "REGISTRATION_TOKEN_SECONDS": 86400,
    "REGISTRATION_REQUIRE_HTTPS": False,
    "SECTOR_IDENTIFIER_TIMEOUT": 3,
    # Requests to URLs that clients chose (jwks_uri, sector_identifier_uri,
    # backchannel_logout_uri; idp/outbound/): loopback, private, link-local, multicast and
    # reserved addresses refused unless allowed (development and test only), seconds per
    # wait, bytes of body read, and the back-off after a failure (doubling to the maximum).
    "OUTBOUND_ALLOW_PRIVATE_ADDRESSES": False,
    "OUTBOUND_HTTP_TIMEOUT": 3,
    "OUTBOUND_HTTP_MAX_BYTES": 65536,
    "OUTBOUND_BACKOFF_SECONDS": 10,
    "OUTBOUND_BACKOFF_MAX_SECONDS": 300,
    # Operators' console (idp/console/): idle and absolute session limits; the user-wide
    # lock after wrong passwords or codes from every address (the citizens' rule, its own
    # values; the owner passes it with password + authenticator code); failed sign-ins per
    # IP and per (operator name, IP) per window, refused before the password is checked.
    "CONSOLE_IDLE_SECONDS": 900,
    "CONSOLE_SESSION_MAX_SECONDS": 28800,
    "CONSOLE_LOCKOUT_THRESHOLD": 5,
    "CONSOLE_LOCKOUT_WINDOW_SECONDS": 900,
    "CONSOLE_LOCKOUT_BASE_SECONDS": 60,
    "CONSOLE_LOCKOUT_MAX_SECONDS": 900,
    "CONSOLE_LOCKOUT_RESET_SECONDS": 43200,
    # Wrong authenticator codes after the right password, from every address
    # (idp/console/sign_in_rules.py, CODE_LOCK): 5 within a week lock the name's codes for
    # 15 minutes, doubling up to a week; locks are remembered for the doubling over a year.
    # A year of guessing gets at most about 310 codes checked: docs/security.md has the sums.
    "CONSOLE_CODE_LOCKOUT_THRESHOLD": 5,
    "CONSOLE_CODE_LOCKOUT_WINDOW_SECONDS": 604800,
    "CONSOLE_CODE_LOCKOUT_BASE_SECONDS": 900,
    "CONSOLE_CODE_LOCKOUT_MAX_SECONDS": 604800,
    "CONSOLE_CODE_LOCKOUT_RESET_SECONDS": 31536000,
    "CONSOLE_FAILURES_PER_IP": 20,
    "CONSOLE_FAILURES_PER_NAME_PER_IP": 5,
    "CONSOLE_THROTTLE_WINDOW_SECONDS": 600,
    "TRUSTED_PROXIES": "",
    "LOG_JSON": False,
    # Least level logged (the CLI passes WARNING unless --verbose).
    "LOG_LEVEL": "INFO",
    # Back-channel logout delivery (idp/oidc/backchannel.py): tries per client, seconds each.
    "BACKCHANNEL_LOGOUT_TRIES": 3,
    "BACKCHANNEL_LOGOUT_TIMEOUT": 2,
    # Rate limits (limits' syntax, e.g. "10/minute"), per client IP unless the name says
    # per client (the authenticated client) or failures (failed authentications per IP);
    # see idp/rate_limits.py.
    "RATE_LIMITS_ENABLED": True,
    "RATE_LIMIT_LOGIN_PASSWORD": "10/minute",
    "RATE_LIMIT_LOGIN_SECOND_FACTOR": "30/minute",
    "RATE_LIMIT_LOGIN_TOTP": "10/minute",
    "RATE_LIMIT_LOGIN_RECOVERY_CODE": "10/minute",
    "RATE_LIMIT_OTP": "30/minute",
    "RATE_LIMIT_REGISTRATION_DETAILS": "20/hour",
    "RATE_LIMIT_RECOVERY_IDENTIFY": "20/hour",
    "RATE_LIMIT_ACCOUNT_PASSWORD": "10/minute",
    "RATE_LIMIT_ACCOUNT_PHONE": "20/hour",
    "RATE_LIMIT_ACCOUNT_EMAIL": "30/hour",
    "RATE_LIMIT_ACCOUNT_AUTHENTICATOR": "10/minute",
    "RATE_LIMIT_AUTHORIZE": "300/minute",
    "RATE_LIMIT_CLIENT_AUTH_FAILURES": "30/minute",
    "RATE_LIMIT_TOKEN_PER_CLIENT": "6000/minute",
    "RATE_LIMIT_INTROSPECTION_PER_CLIENT": "12000/minute",
    "RATE_LIMIT_REVOCATION_PER_CLIENT": "6000/minute",
    "RATE_LIMIT_BEARER_FAILURES": "60/minute",
    "RATE_LIMIT_USERINFO_PER_CLIENT": "12000/minute",
    "METRICS_ALLOWED_IPS": "",
    # Abuse defences (idp/abuse/): OTP sends per identity number / client IP / network
    # prefix (IPv4 /24, IPv6 /48) per hour and for the whole provider per minute; near
    # OTP_CHALLENGE_PERCENT of a per-IP, prefix or global cap a proof of work of
    # POW_DIFFICULTY_BITS is asked for. Failed passwords per IP and per (user name, IP)
    # per window.
    "OTP_SENDS_PER_ID_NUMBER_PER_HOUR": 10,
    "OTP_SENDS_PER_IP_PER_HOUR": 30,
    "OTP_SENDS_PER_PREFIX_PER_HOUR": 120,
    "OTP_SENDS_GLOBAL_PER_MINUTE": 600,
    "OTP_CHALLENGE_PERCENT": 80,
    "POW_DIFFICULTY_BITS": 16,
    "POW_CHALLENGE_SECONDS": 600,
    "LOGIN_FAILURES_PER_IP": 20,
    "LOGIN_FAILURES_PER_USERNAME_PER_IP": 5,
    "LOGIN_THROTTLE_WINDOW_SECONDS": 600,
    # Input limits (idp/abuse/input_limits.py): parameters per request, characters per field.
    "MAX_REQUEST_PARAMETERS": 100,
    "MAX_FIELD_LENGTH": 5000,
    "MAX_PROTOCOL_FIELD_LENGTH": 16384,
}

_REQUIRED_IN_PRODUCTION = ("DATABASE_URL", "REDIS_URL")
SMS_BACKENDS = ("console", "outbox", "http")


class SettingsError(RuntimeError):
    """Settings that must not be used; the message says which and why."""


def _coerce(name: str, raw: str, like: Any) -> Any:
    if isinstance(like, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off", ""):
            return False
        raise SettingsError(f"{name} must be true or false, got {raw!r}")
    if isinstance(like, int):
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    return raw


def load_settings(env: str | None = None, overrides: dict[str, Any] | None = None) -> dict:
    """Read defaults, then ``config/<env>.toml``, then environment variables, then overrides."""
    env = env or os.environ.get("IDP_ENV") or "development"
    path = CONFIG_DIR / f"{env}.toml"
    if not path.is_file():
        raise SettingsError(f"IDP_ENV={env!r}: there is no settings file {path}")
    settings = dict(DEFAULTS)
    with path.open("rb") as fh:
        for key, value in tomllib.load(fh).items():
            settings[key.upper()] = value
    for name, like in settings.items():
        if name in os.environ:
            settings[name] = _coerce(name, os.environ[name], like)
    settings.update(overrides or {})
    settings["IDP_ENV"] = env
    settings["IDP_ISSUER"] = str(settings["IDP_ISSUER"]).rstrip("/")
    check_settings(settings)
    if not settings["DATABASE_URL"]:
        (ROOT / "instance").mkdir(exist_ok=True)
        settings["DATABASE_URL"] = f"sqlite:///{ROOT / 'instance' / f'idp-{env}.sqlite3'}"
    return settings


# Durations that may be 0 (0 turns the feature off or means "always"); every other
# ``*_SECONDS`` setting is a lifetime, a window or a wait and must be positive.
_ZERO_ALLOWED_SECONDS = frozenset(
    {"CLIENT_CACHE_SECONDS", "DATABASE_PING_IDLE_SECONDS", "KEY_ROTATION_LEAD_SECONDS"}
)


def _check_durations(settings: dict) -> None:
    for name, value in settings.items():
        if not name.endswith("_SECONDS"):
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"{name} must be a number of seconds, got {value!r}")
        least = 0 if name in _ZERO_ALLOWED_SECONDS else 1
        if value < least:
            raise SettingsError(f"{name} must be at least {least} second(s), got {value!r}")


def _check_outbound_limits(settings: dict) -> None:
    """The wait and the body cap of requests to client-chosen URLs must be positive (a
    zero timeout would fail every request, a zero cap every non-empty answer)."""
    for name in ("OUTBOUND_HTTP_TIMEOUT", "OUTBOUND_HTTP_MAX_BYTES"):
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise SettingsError(f"{name} must be a positive number, got {value!r}")


def _sms_gateway_problems(settings: dict) -> list[str]:
    """What the chosen SMS backend lacks (any environment)."""
    backend = str(settings["SMS_BACKEND"]).strip().lower()
    if backend not in SMS_BACKENDS:
        return [f"SMS_BACKEND={settings['SMS_BACKEND']!r} is not one of {', '.join(SMS_BACKENDS)}"]
    needed = {"http": ("SMS_HTTP_URL", "SMS_HTTP_TOKEN"), "outbox": ("SMS_OUTBOX_PATH",)}
    return [
        f"SMS_BACKEND={backend} needs {name}"
        for name in needed.get(backend, ())
        if not str(settings[name]).strip()
    ]


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Counts a lock or throttle divides by or compares with: 0 would lock on nothing or fail.
_AT_LEAST_ONE = (
    "LOCKOUT_THRESHOLD",
    "LOGIN_FAILURES_PER_USERNAME_PER_IP",
    "CONSOLE_LOCKOUT_THRESHOLD",
    "CONSOLE_CODE_LOCKOUT_THRESHOLD",
    "CONSOLE_FAILURES_PER_NAME_PER_IP",
)


def _check_counts(settings: dict) -> None:
    for name in _AT_LEAST_ONE:
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SettingsError(f"{name} must be a whole number of at least 1, got {value!r}")


def check_settings(settings: dict) -> None:
    """Refuse nonsense durations and counts anywhere and unsafe production settings."""
    _check_durations(settings)
    _check_outbound_limits(settings)
    if str(settings["LOG_LEVEL"]).upper() not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
    _check_counts(settings)
    if settings["IDP_ENV"] != "production":
        if problems := _sms_gateway_problems(settings):
            raise SettingsError("refusing to start: " + "; ".join(problems))
        return
    problems = _sms_gateway_problems(settings)
    if settings["SECRET_KEY"] in ("", DEV_SECRET_KEY) or len(settings["SECRET_KEY"]) < 32:
        problems.append("SECRET_KEY is the development default or shorter than 32 characters")
    for name in _REQUIRED_IN_PRODUCTION:
        if not settings[name]:
            problems.append(f"{name} is not set")
    if str(settings["DATABASE_URL"]).startswith("sqlite"):
        problems.append("DATABASE_URL points at SQLite, which is for development only")
    if settings["SUBSCRIBER_CHECK"] == "off":
        problems.append("SUBSCRIBER_CHECK=off is for development only")
    if not str(settings["IDP_ISSUER"]).startswith("https://"):
        problems.append("IDP_ISSUER must be an https:// URL")
    if settings["SMS_BACKEND"] in ("console", "outbox"):
        problems.append(f"SMS_BACKEND={settings['SMS_BACKEND']} does not reach citizens' phones")
    if not settings["RATE_LIMITS_ENABLED"]:
        problems.append("RATE_LIMITS_ENABLED=false is for tests only")
    if settings["OUTBOUND_ALLOW_PRIVATE_ADDRESSES"]:
        problems.append(
            "OUTBOUND_ALLOW_PRIVATE_ADDRESSES=true lets clients make the provider request "
            "internal addresses; it is for development and tests only"
        )
    if settings["SHOW_SMS_PAGE"]:
        problems.append("SHOW_SMS_PAGE=true shows every citizen's OTP; it is for development only")
    if not settings["SESSION_COOKIE_SECURE"]:
        problems.append("SESSION_COOKIE_SECURE=false would send session cookies over plain HTTP")
    if settings["SMS_BACKEND"] == "http" and str(settings["SMS_HTTP_URL"]).startswith("http://"):
        problems.append("SMS_HTTP_URL must be an https:// URL (it carries every OTP)")
    if not str(settings["METRICS_ALLOWED_IPS"]).strip():
        problems.append("METRICS_ALLOWED_IPS is empty, so anyone could read /metrics")
    if problems:
        raise SettingsError("refusing to start in production: " + "; ".join(problems))
