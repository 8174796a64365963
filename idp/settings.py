"""Settings: one typed model, read from ``config/<IDP_ENV>.toml`` and the environment.

``Settings`` lists every setting with its type, default and range. ``load_settings`` reads
the defaults, then ``config/<env>.toml``, then environment variables of the same name, then
the caller's overrides, and refuses by name:

* a key in the settings file that is not a setting;
* an environment variable in one of the provider's families (``PROVIDER_FAMILIES``: names
  such as ``OTP_*``, ``LOCKOUT_*``, ``RATE_LIMIT*``) that is not a setting, so a misspelt
  ``OTP_TTL_SECOND`` is not silently ignored;
* a value of the wrong type or out of range. Text from the file or the environment is
  parsed the same way: booleans are true/false/1/0/yes/no, numbers are decimal and
  range-checked, URLs need their scheme and host.

``check_settings`` then refuses unsafe production settings, saying why.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"
DEV_SECRET_KEY = "development-secret-key-change-me"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SMS_BACKENDS = ("console", "outbox", "http")
_REQUIRED_IN_PRODUCTION = ("DATABASE_URL", "REDIS_URL")
# Environment variables the provider owns: a name in one of these families that is not a
# setting is refused. IDP_HOST is the deployment's host name (nginx, .env), not a setting.
PROVIDER_FAMILIES = (
    "IDP_",
    "OTP_",
    "LOCKOUT_",
    "LOGIN_",
    "CONSOLE_",
    "RATE_LIMIT",
    "OUTBOUND_",
    "COMPLAINT",
    "SMS_",
    "SUBSCRIBER_",
    "ARGON2_",
    "BACKCHANNEL_",
    "POW_",
    "REGISTRATION_",
    "DPOP_",
    "PAR_",
)
NOT_SETTINGS = frozenset({"IDP_HOST"})
_WHOLE_NUMBER = re.compile(r"-?[0-9]+")
_BOOLEAN_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


class SettingsError(RuntimeError):
    """Settings that must not be used; the message says which and why."""


def setting(
    default: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
    url: tuple[str, ...] = (),
    choices: tuple[str, ...] = (),
) -> Any:
    """A field of ``Settings``: its default and the range or form its values must have
    (``above``: strictly greater than; ``url``: the schemes allowed, empty text allowed)."""
    rules = {"minimum": minimum, "maximum": maximum, "above": above, "url": url}
    return dataclasses.field(default=default, metadata={**rules, "choices": choices})


@dataclass(frozen=True)
class Settings:
    """The provider's settings, typed and range-checked (see the module's docstring)."""

    IDP_ENV: str = setting("development")
    IDP_ISSUER: str = setting("http://127.0.0.1:5000", url=("http", "https"))
    SECRET_KEY: str = setting(DEV_SECRET_KEY)
    DATABASE_URL: str = setting("")
    REDIS_URL: str = setting("", url=("redis", "rediss", "unix"))
    REDIS_PREFIX: str = setting("idp:")
    IDP_KEYS_DIR: str = setting(str(ROOT / "keys"))
    KEY_ROTATION_LEAD_SECONDS: int = setting(86400, minimum=0)
    # How long a replica may answer from its in-memory copy of a client row.
    CLIENT_CACHE_SECONDS: float = setting(5.0, minimum=0)
    # A pooled database connection idle this long is pinged before use (idp.database_outage).
    DATABASE_PING_IDLE_SECONDS: float = setting(10.0, minimum=0)
    # false: token writes do not wait for the WAL flush (see idp.oidc.tokens).
    TOKEN_SYNCHRONOUS_COMMIT: bool = setting(False)
    SMS_BACKEND: str = setting("console")
    SMS_OUTBOX_PATH: str = setting(str(ROOT / "instance" / "sms-outbox.jsonl"))
    SMS_HTTP_URL: str = setting("", url=("http", "https"))
    SMS_HTTP_TOKEN: str = setting("")
    SHOW_SMS_PAGE: bool = setting(False)
    SUBSCRIBER_CHECK: str = setting("registry")
    SUBSCRIBER_HTTP_URL: str = setting("", url=("http", "https"))
    SUBSCRIBER_HTTP_TOKEN: str = setting("")
    SUBSCRIBER_HTTP_TIMEOUT: float = setting(3.0, above=0)
    # Ownership complaints (idp/complaints/): evidence files per complaint and bytes each.
    COMPLAINT_MAX_FILES: int = setting(3, minimum=0)
    COMPLAINT_MAX_FILE_BYTES: int = setting(5242880, minimum=1)
    # All evidence files of one complaint together (config/nginx.conf's complaint location
    # allows this plus the form's 1 MiB of text and framing).
    COMPLAINT_MAX_TOTAL_BYTES: int = setting(10485760, minimum=1)
    # Complaint flooding (idp/abuse/complaint_flood.py): submissions per client IP per hour,
    # filed complaints per identity number per day and for the whole provider per hour.
    COMPLAINT_SUBMISSIONS_PER_IP_PER_HOUR: int = setting(10, minimum=0)
    COMPLAINTS_PER_ID_NUMBER_PER_DAY: int = setting(3, minimum=0)
    COMPLAINTS_GLOBAL_PER_HOUR: int = setting(300, minimum=0)
    SESSION_COOKIE_SECURE: bool = setting(False)
    # Put before the cookies' names (after any __Host-): two providers on one host name
    # (the demo's VNeID emulator beside the provider) must not share cookies.
    COOKIE_NAME_PREFIX: str = setting("")
    LOGIN_SESSION_SECONDS: int = setting(28800, minimum=1)
    AUTH_CODE_SECONDS: int = setting(60, minimum=1)
    # Pushed authorization requests (RFC 9126, idp/oidc/par_endpoint.py): how long a
    # request_uri works (the RFC suggests 5 to 600 s), and whether every client must push.
    PAR_REQUEST_URI_SECONDS: int = setting(60, minimum=5, maximum=600)
    # DPoP (RFC 9449, idp/oidc/dpop.py): how far a proof's iat may be from now; whether
    # proofs must carry the server's nonce, and how long each nonce lasts.
    DPOP_PROOF_SECONDS: int = setting(60, minimum=5, maximum=600)
    DPOP_REQUIRE_NONCE: bool = setting(False)
    DPOP_NONCE_SECONDS: int = setting(300, minimum=10, maximum=3600)
    REQUIRE_PUSHED_AUTHORIZATION_REQUESTS: bool = setting(False)
    ACCESS_TOKEN_SECONDS: int = setting(3600, minimum=1)
    ID_TOKEN_SECONDS: int = setting(3600, minimum=1)
    REFRESH_TOKEN_SECONDS: int = setting(2592000, minimum=1)
    FLOW_SECONDS: int = setting(1800, minimum=1)
    OTP_TTL_SECONDS: int = setting(300, minimum=1)
    OTP_MAX_ATTEMPTS: int = setting(5, minimum=1)
    OTP_RESEND_COOLDOWN_SECONDS: int = setting(60, minimum=1)
    OTP_MAX_SENDS_PER_HOUR: int = setting(5, minimum=1)
    # User-wide lock (idp/citizens/lockout.py): wrong passwords from every address within
    # LOCKOUT_WINDOW_SECONDS; the lock doubles from BASE up to MAX (Keycloak's default
    # maximum wait, 15 minutes); locks are remembered for doubling over RESET.
    LOCKOUT_THRESHOLD: int = setting(10, minimum=1)
    LOCKOUT_WINDOW_SECONDS: int = setting(900, minimum=1)
    LOCKOUT_BASE_SECONDS: int = setting(60, minimum=1)
    LOCKOUT_MAX_SECONDS: int = setting(900, minimum=1)
    LOCKOUT_RESET_SECONDS: int = setting(43200, minimum=1)
    ARGON2_TIME_COST: int = setting(2, minimum=1)
    ARGON2_MEMORY_COST: int = setting(19456, minimum=8)
    ARGON2_PARALLELISM: int = setting(1, minimum=1)
    MAX_CONTENT_LENGTH: int = setting(1048576, minimum=1)
    # Dynamic client registration (idp/oidc/registration.py): whether a registered client
    # waits for an operator's approval ("pending"), initial access tokens' default
    # lifetime, https-only metadata URIs (always on in production), and the timeout for
    # fetching a sector_identifier_uri.
    CLIENT_APPROVAL_REQUIRED: bool = setting(False)
    REGISTRATION_TOKEN_SECONDS: int = setting(86400, minimum=1)
    REGISTRATION_REQUIRE_HTTPS: bool = setting(False)
    SECTOR_IDENTIFIER_TIMEOUT: float = setting(3.0, above=0)
    # Requests to URLs that clients chose (jwks_uri, sector_identifier_uri,
    # backchannel_logout_uri; idp/outbound/): loopback, private, link-local, multicast and
    # reserved addresses refused unless allowed (development and test only), seconds per
    # wait, bytes of body read, and the back-off after a failure (doubling to the maximum).
    OUTBOUND_ALLOW_PRIVATE_ADDRESSES: bool = setting(False)
    OUTBOUND_HTTP_TIMEOUT: float = setting(3.0, above=0)
    OUTBOUND_HTTP_MAX_BYTES: int = setting(65536, minimum=1)
    OUTBOUND_BACKOFF_SECONDS: float = setting(10.0, minimum=1)
    OUTBOUND_BACKOFF_MAX_SECONDS: float = setting(300.0, minimum=1)
    # Operators' console (idp/console/): idle and absolute session limits; the user-wide
    # lock after wrong passwords or codes from every address (the citizens' rule, its own
    # values; the owner passes it with password + authenticator code); failed sign-ins per
    # IP and per (operator name, IP) per window, refused before the password is checked.
    CONSOLE_IDLE_SECONDS: int = setting(900, minimum=1)
    CONSOLE_SESSION_MAX_SECONDS: int = setting(28800, minimum=1)
    CONSOLE_LOCKOUT_THRESHOLD: int = setting(5, minimum=1)
    CONSOLE_LOCKOUT_WINDOW_SECONDS: int = setting(900, minimum=1)
    CONSOLE_LOCKOUT_BASE_SECONDS: int = setting(60, minimum=1)
    CONSOLE_LOCKOUT_MAX_SECONDS: int = setting(900, minimum=1)
    CONSOLE_LOCKOUT_RESET_SECONDS: int = setting(43200, minimum=1)
    # Wrong authenticator codes after the right password, from every address
    # (idp/console/sign_in_rules.py, CODE_LOCK): 5 within a week lock the name's codes for
    # 15 minutes, doubling up to a week; locks are remembered for the doubling over a year.
    # A year of guessing gets at most about 310 codes checked: docs/security.md has the sums.
    CONSOLE_CODE_LOCKOUT_THRESHOLD: int = setting(5, minimum=1)
    CONSOLE_CODE_LOCKOUT_WINDOW_SECONDS: int = setting(604800, minimum=1)
    CONSOLE_CODE_LOCKOUT_BASE_SECONDS: int = setting(900, minimum=1)
    CONSOLE_CODE_LOCKOUT_MAX_SECONDS: int = setting(604800, minimum=1)
    CONSOLE_CODE_LOCKOUT_RESET_SECONDS: int = setting(31536000, minimum=1)
    CONSOLE_FAILURES_PER_IP: int = setting(20, minimum=0)
    CONSOLE_FAILURES_PER_NAME_PER_IP: int = setting(5, minimum=1)
    CONSOLE_THROTTLE_WINDOW_SECONDS: int = setting(600, minimum=1)
    TRUSTED_PROXIES: str = setting("")
    LOG_JSON: bool = setting(False)
    # Least level logged (the CLI passes WARNING unless --verbose).
    LOG_LEVEL: str = setting("INFO", choices=LOG_LEVELS)
    # Back-channel logout delivery (idp/oidc/backchannel.py): tries per client, seconds each.
    BACKCHANNEL_LOGOUT_TRIES: int = setting(3, minimum=1, maximum=10)
    BACKCHANNEL_LOGOUT_TIMEOUT: float = setting(2.0, above=0)
    # Rate limits (limits' syntax, e.g. "10/minute"), per client IP unless the name says
    # per client (the authenticated client) or failures (failed authentications per IP);
    # see idp/rate_limits.py.
    RATE_LIMITS_ENABLED: bool = setting(True)
    RATE_LIMIT_LOGIN_PASSWORD: str = setting("10/minute")
    RATE_LIMIT_LOGIN_SECOND_FACTOR: str = setting("30/minute")
    RATE_LIMIT_LOGIN_TOTP: str = setting("10/minute")
    RATE_LIMIT_LOGIN_RECOVERY_CODE: str = setting("10/minute")
    RATE_LIMIT_OTP: str = setting("30/minute")
    RATE_LIMIT_REGISTRATION_DETAILS: str = setting("20/hour")
    RATE_LIMIT_RECOVERY_IDENTIFY: str = setting("20/hour")
    RATE_LIMIT_ACCOUNT_PASSWORD: str = setting("10/minute")
    RATE_LIMIT_ACCOUNT_PHONE: str = setting("20/hour")
    RATE_LIMIT_ACCOUNT_EMAIL: str = setting("30/hour")
    RATE_LIMIT_ACCOUNT_AUTHENTICATOR: str = setting("10/minute")
    RATE_LIMIT_AUTHORIZE: str = setting("300/minute")
    RATE_LIMIT_CLIENT_AUTH_FAILURES: str = setting("30/minute")
    RATE_LIMIT_TOKEN_PER_CLIENT: str = setting("6000/minute")
    RATE_LIMIT_INTROSPECTION_PER_CLIENT: str = setting("12000/minute")
    RATE_LIMIT_REVOCATION_PER_CLIENT: str = setting("6000/minute")
    RATE_LIMIT_PAR_PER_CLIENT: str = setting("6000/minute")
    RATE_LIMIT_BEARER_FAILURES: str = setting("60/minute")
    RATE_LIMIT_USERINFO_PER_CLIENT: str = setting("12000/minute")
    METRICS_ALLOWED_IPS: str = setting("")
    # Abuse defences (idp/abuse/): OTP sends per identity number / client IP / network
    # prefix (IPv4 /24, IPv6 /48) per hour and for the whole provider per minute; near
    # OTP_CHALLENGE_PERCENT of a per-IP, prefix or global cap a proof of work of
    # POW_DIFFICULTY_BITS is asked for. Failed passwords per IP and per (user name, IP)
    # per window.
    OTP_SENDS_PER_ID_NUMBER_PER_HOUR: int = setting(10, minimum=0)
    OTP_SENDS_PER_IP_PER_HOUR: int = setting(30, minimum=0)
    OTP_SENDS_PER_PREFIX_PER_HOUR: int = setting(120, minimum=0)
    OTP_SENDS_GLOBAL_PER_MINUTE: int = setting(600, minimum=0)
    # Above 100 no proof of work is ever asked for (tests of the caps alone).
    OTP_CHALLENGE_PERCENT: int = setting(80, minimum=0, maximum=10000)
    POW_DIFFICULTY_BITS: int = setting(16, minimum=0, maximum=32)
    POW_CHALLENGE_SECONDS: int = setting(600, minimum=1)
    LOGIN_FAILURES_PER_IP: int = setting(20, minimum=0)
    LOGIN_FAILURES_PER_USERNAME_PER_IP: int = setting(5, minimum=1)
    LOGIN_THROTTLE_WINDOW_SECONDS: int = setting(600, minimum=1)
    # Input limits (idp/abuse/input_limits.py): parameters per request, characters per field.
    MAX_REQUEST_PARAMETERS: int = setting(100, minimum=1)
    MAX_FIELD_LENGTH: int = setting(5000, minimum=1)
    MAX_PROTOCOL_FIELD_LENGTH: int = setting(16384, minimum=1)

    def as_dict(self) -> dict[str, Any]:
        """Every setting by name (what ``app.config`` holds)."""
        return {name: getattr(self, name) for name in FIELDS}


FIELDS: dict[str, dataclasses.Field] = {f.name: f for f in dataclasses.fields(Settings)}
_TYPES: dict[str, type] = {
    name: {"bool": bool, "int": int, "float": float, "str": str}[str(f.type)]
    for name, f in FIELDS.items()
}
# The defaults by name (tools and tests that list every setting).
DEFAULTS: dict[str, Any] = {name: f.default for name, f in FIELDS.items()}


def _unknown(name: str, where: str) -> SettingsError:
    close = difflib.get_close_matches(name, FIELDS, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return SettingsError(f"{name} in {where} is not a setting{hint}")


def is_provider_variable(name: str) -> bool:
    """Whether an environment variable's name is in one of the provider's families."""
    return name not in NOT_SETTINGS and name.startswith(PROVIDER_FAMILIES)


def _parse(name: str, raw: str) -> Any:
    """A setting's value from text (the settings file or the environment)."""
    kind = _TYPES[name]
    text = raw.strip()
    if kind is bool:
        if text.lower() not in _BOOLEAN_WORDS:
            raise SettingsError(f"{name} must be true or false (or 1/0, yes/no), got {raw!r}")
        return _BOOLEAN_WORDS[text.lower()]
    if kind is int:
        if not _WHOLE_NUMBER.fullmatch(text):
            raise SettingsError(f"{name} must be a whole number, got {raw!r}")
        return int(text)
    if kind is float:
        try:
            value = float(text)
        except ValueError:
            raise SettingsError(f"{name} must be a number, got {raw!r}") from None
        if not math.isfinite(value):
            raise SettingsError(f"{name} must be a finite number, got {raw!r}")
        return value
    return raw


def _typed(name: str, value: Any, *, parse_text: bool) -> Any:
    """``value`` as the setting's type: text parsed when it came from a file or the
    environment, anything else (TOML's own types, overrides) of the right type already."""
    kind = _TYPES[name]
    if isinstance(value, str) and (parse_text or kind is str):
        return _parse(name, value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not kind:
        raise SettingsError(f"{name} must be {kind.__name__}, got {value!r}")
    return value


def _check_range(name: str, value: Any) -> None:
    rules = FIELDS[name].metadata
    if rules["minimum"] is not None and value < rules["minimum"]:
        unit = " second(s)" if name.endswith("_SECONDS") else ""
        raise SettingsError(f"{name} must be at least {rules['minimum']}{unit}, got {value!r}")
    if rules["maximum"] is not None and value > rules["maximum"]:
        raise SettingsError(f"{name} must be at most {rules['maximum']}, got {value!r}")
    if rules["above"] is not None and value <= rules["above"]:
        raise SettingsError(f"{name} must be a positive number, got {value!r}")
    if rules["choices"] and str(value).upper() not in rules["choices"]:
        raise SettingsError(f"{name} must be one of {', '.join(rules['choices'])}, got {value!r}")
    if rules["url"] and value:
        parts = urlsplit(value)
        if parts.scheme not in rules["url"] or not (parts.netloc or parts.scheme == "unix"):
            schemes = "/".join(rules["url"])
            raise SettingsError(f"{name} must be a {schemes} URL with a host, got {value!r}")


def build_settings(values: Mapping[str, Any], *, parse_text: bool = False) -> Settings:
    """A ``Settings`` from the defaults and ``values`` (each checked for type and range)."""
    merged = dict(DEFAULTS)
    for name, value in values.items():
        if name not in FIELDS:
            raise _unknown(name, "the settings")
        merged[name] = _typed(name, value, parse_text=parse_text)
    for name, value in merged.items():
        _check_range(name, value)
    return Settings(**merged)


def _file_values(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path.name} is not valid TOML: {exc}") from None
    values = {}
    for key, value in raw.items():
        name = key.upper()
        if name not in FIELDS:
            raise _unknown(name, path.name)
        values[name] = _typed(name, value, parse_text=True)
    return values


def _environment_values(environ: Mapping[str, str]) -> dict[str, Any]:
    values = {}
    for name, raw in environ.items():
        if name in FIELDS:
            values[name] = _typed(name, raw, parse_text=True)
        elif is_provider_variable(name):
            raise _unknown(name, "the environment")
    return values


def read_settings(
    env: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[Settings, dict[str, Any]]:
    """The typed settings (defaults, ``config/<env>.toml``, the environment, then the
    overrides that name settings), and the overrides that are not settings (Flask's own
    keys such as ``TESTING``; one in the provider's families is refused)."""
    environ = os.environ if environ is None else environ
    env = env or environ.get("IDP_ENV") or "development"
    path = CONFIG_DIR / f"{env}.toml"
    if not path.is_file():
        raise SettingsError(f"IDP_ENV={env!r}: there is no settings file {path}")
    values = {**_file_values(path), **_environment_values(environ)}
    extras = {}
    for name, value in (overrides or {}).items():
        if name in FIELDS:
            values[name] = _typed(name, value, parse_text=False)
        elif is_provider_variable(name):
            raise _unknown(name, "the overrides")
        else:
            extras[name] = value
    values["IDP_ENV"] = env
    values["IDP_ISSUER"] = str(values.get("IDP_ISSUER", DEFAULTS["IDP_ISSUER"])).rstrip("/")
    settings = build_settings(values)
    check_settings(settings.as_dict())
    if not settings.DATABASE_URL:
        (ROOT / "instance").mkdir(exist_ok=True)
        sqlite = f"sqlite:///{ROOT / 'instance' / f'idp-{env}.sqlite3'}"
        settings = dataclasses.replace(settings, DATABASE_URL=sqlite)
    return settings, extras


def load_settings(env: str | None = None, overrides: Mapping[str, Any] | None = None) -> dict:
    """The settings by name, with the overrides that are not settings (see ``read_settings``)."""
    settings, extras = read_settings(env, overrides)
    return {**settings.as_dict(), **extras}


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


def check_settings(settings: dict) -> None:
    """Refuse an SMS backend that lacks what it needs, and unsafe production settings."""
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
