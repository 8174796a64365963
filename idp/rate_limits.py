"""Rate limits per client IP, applied to endpoints by name (Flask-Limiter over Redis).

``NAMED_LIMITS`` is the whole policy: each entry names a ``RATE_LIMIT_<NAME>`` setting
(limits' syntax, e.g. ``"10/minute"``), the endpoints it guards and the methods it counts.
There are no default limits: an endpoint not listed here is not limited.

The counters live in ``REDIS_URL`` (``memory://`` without it), so every replica sees the
same counts. The key is the client's IP as ``request.remote_addr`` gives it, which is the
real client only behind a trusted proxy (``idp.proxy``). A page over its limit answers a
Vietnamese 429 page; a protocol endpoint answers RFC 6749-style JSON with
``error=slow_down``. If Redis cannot be reached the limits are skipped (logged): the flows
themselves need Redis and answer 503 on their own.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from flask import Flask, jsonify, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many

from idp.errors import Problem
from idp.settings import SettingsError

log = logging.getLogger("idp.rate_limits")


@dataclass(frozen=True)
class NamedLimit:
    """One limit: its setting's suffix, the endpoints it guards, the methods it counts."""

    name: str
    endpoints: tuple[str, ...]
    methods: tuple[str, ...] | None = None  # None: every method
    protocol: bool = False  # JSON answers (token, userinfo) rather than a page

    @property
    def setting(self) -> str:
        return f"RATE_LIMIT_{self.name}"


NAMED_LIMITS: tuple[NamedLimit, ...] = (
    NamedLimit("LOGIN_PASSWORD", ("login.password",), ("POST",)),
    NamedLimit("LOGIN_SECOND_FACTOR", ("login.second_factor",), ("POST",)),
    NamedLimit("LOGIN_TOTP", ("login.totp",), ("POST",)),
    NamedLimit("LOGIN_RECOVERY_CODE", ("login.recovery_code",), ("POST",)),
    NamedLimit(
        "OTP",
        (
            "login.otp",
            "login.resend_otp",
            "registration.otp",
            "registration.resend_otp",
            "recovery.otp",
            "recovery.resend_otp",
            "account.phone_otp",
            "account.phone_resend",
        ),
        ("POST",),
    ),
    NamedLimit("REGISTRATION_DETAILS", ("registration.details",), ("POST",)),
    NamedLimit("RECOVERY_IDENTIFY", ("recovery.identify",), ("POST",)),
    NamedLimit("ACCOUNT_PASSWORD", ("account.password",), ("POST",)),
    NamedLimit("ACCOUNT_PHONE", ("account.phone", "account.phone_lost"), ("POST",)),
    NamedLimit("ACCOUNT_EMAIL", ("account.email",), ("POST",)),
    NamedLimit(
        "ACCOUNT_AUTHENTICATOR",
        (
            "account.authenticator_setup",
            "account.authenticator_confirm",
            "account.authenticator_new_codes",
            "account.authenticator_disable",
        ),
        ("POST",),
    ),
    NamedLimit("AUTHORIZE", ("authorize.authorize",)),
    NamedLimit("TOKEN", ("oidc.token", "oidc.introspect", "oidc.revoke"), ("POST",), protocol=True),
    NamedLimit("USERINFO", ("oidc.userinfo",), protocol=True),
)

TOO_MANY_REQUESTS = Problem(
    "rate_limited",
    "Bạn thao tác quá nhiều lần trong thời gian ngắn. Vui lòng thử lại sau {minutes} phút.",
)
SLOW_DOWN_DESCRIPTION = "Too many requests from this address; retry after Retry-After seconds."

# Redis must answer a limit check quickly or be skipped, never hang a worker.
_STORAGE_OPTIONS = {"socket_timeout": 1, "socket_connect_timeout": 1}


def client_address() -> str:
    """The key of every limit: the client's IP (the real one behind a trusted proxy)."""
    return request.remote_addr or "unknown"


def _check_limit_value(setting: str, value: str) -> str:
    try:
        if parse_many(value):
            return value
    except ValueError:
        pass
    raise SettingsError(f"{setting}={value!r} is not a rate limit such as '10/minute'")


PROTOCOL_ENDPOINTS = frozenset(
    endpoint for limit in NAMED_LIMITS if limit.protocol for endpoint in limit.endpoints
)


def _retry_after(limiter: Limiter, exc: RateLimitExceeded) -> int:
    """Seconds until the exceeded window ends (never more than the window itself)."""
    window = exc.limit.limit.get_expiry()
    current = limiter.current_limit
    try:
        seconds = math.ceil(current.reset_at - time.time()) if current else window
    except Exception:  # the store went away between the hit and this answer
        seconds = window
    return max(1, min(seconds, window))


def _too_many(limiter: Limiter):
    """The 429 answer: JSON ``slow_down`` on protocol endpoints, a Vietnamese page elsewhere."""

    def handler(exc: RateLimitExceeded):
        seconds = _retry_after(limiter, exc)
        headers = {"Retry-After": str(seconds)}
        log.warning(
            "rate limit %s hit by %s at %s", exc.limit.limit, client_address(), request.endpoint
        )
        if request.endpoint in PROTOCOL_ENDPOINTS:
            body = jsonify(error="slow_down", error_description=SLOW_DOWN_DESCRIPTION)
            headers["Cache-Control"] = "no-store"
            return body, 429, headers
        problem = TOO_MANY_REQUESTS.format(minutes=max(1, math.ceil(seconds / 60)))
        page = render_template("provider/message.html", problem=problem)
        return page, 429, headers

    return handler


def create_limiter(app: Flask) -> Limiter:
    """A Limiter for this app, its storage in ``REDIS_URL`` under ``REDIS_PREFIX``."""
    c = app.config
    storage = c["REDIS_URL"] or "memory://"
    return Limiter(
        key_func=client_address,
        app=app,
        storage_uri=storage,
        storage_options=_STORAGE_OPTIONS if storage != "memory://" else {},
        key_prefix=f"{c['REDIS_PREFIX']}ratelimit",
        strategy="fixed-window",
        swallow_errors=True,
        enabled=bool(c["RATE_LIMITS_ENABLED"]),
    )


def init_app(app: Flask) -> None:
    """Apply ``NAMED_LIMITS`` to the registered endpoints (call after the blueprints)."""
    values = {
        limit.name: _check_limit_value(limit.setting, str(app.config[limit.setting]))
        for limit in NAMED_LIMITS
    }
    limiter = create_limiter(app)
    app.extensions["idp_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many(limiter))
    for limit in NAMED_LIMITS:
        for endpoint in limit.endpoints:
            view = app.view_functions.get(endpoint)
            if view is None:
                log.debug("rate limit %s: no endpoint %s in this app", limit.name, endpoint)
                continue
            methods = list(limit.methods) if limit.methods else None
            app.view_functions[endpoint] = limiter.limit(values[limit.name], methods=methods)(view)
