"""Rate limits, applied to endpoints by name (Flask-Limiter over Redis).

``NAMED_LIMITS`` is the whole policy: each entry names a ``RATE_LIMIT_<NAME>`` setting
(limits' syntax, e.g. ``"10/minute"``), the endpoints it guards, the methods it counts and
what it counts per:

- ``ADDRESS``: every request, per client IP (the pages, the authorization endpoint), a
  Flask-Limiter decorator before the view;
- ``CLIENT``: per authenticated client, counted once authentication has succeeded
  (``count_authenticated_client``, called by the protocol code with the client it already
  loaded), so an agency whose back end sends every call from one address has its own
  budget;
- ``FAILED_AUTHENTICATION``: per client IP, only requests whose client or bearer
  authentication failed (``count_failed_authentication``); an address over it is refused
  whatever credentials it sends, so a guesser on one address is throttled.

The protocol endpoints' two counts are taken in one store call (``idp.rate_limit_counts``):
one Redis round trip a request.

There are no default limits: an endpoint not listed here is not limited. Coarse per-IP
limits on the protocol endpoints are nginx's (``limit_req`` in ``config/nginx.conf``).

The counters live in ``REDIS_URL`` (``memory://`` without it), so every replica sees the
same counts. The address is the client's IP as ``request.remote_addr`` gives it, which is
the real client only behind a trusted proxy (``idp.proxy``). A page over its limit answers
a Vietnamese 429 page; a protocol endpoint answers RFC 6749-style JSON with
``error=slow_down`` and ``Retry-After``. If Redis cannot be reached the limits are skipped
(logged): the flows themselves need Redis and answer 503 on their own.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace
from typing import NamedTuple

from flask import Flask, current_app, jsonify, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import RateLimitItem, parse_many

from idp.errors import Problem
from idp.rate_limit_counts import Counts, read_and_hit
from idp.settings import SettingsError

log = logging.getLogger("idp.rate_limits")


ADDRESS = "address"
FAILED_AUTHENTICATION = "failed authentication"
CLIENT = "client"


@dataclass(frozen=True)
class NamedLimit:
    """One limit: its setting's suffix, the endpoints it guards, the methods it counts,
    and what it counts per (``ADDRESS``, ``FAILED_AUTHENTICATION`` or ``CLIENT``)."""

    name: str
    endpoints: tuple[str, ...]
    methods: tuple[str, ...] | None = None  # None: every method
    protocol: bool = False  # JSON answers (token, userinfo) rather than a page
    per: str = ADDRESS

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
    NamedLimit(
        "CLIENT_AUTH_FAILURES",
        ("oidc.token", "oidc.introspect", "oidc.revoke", "par.push"),
        ("POST",),
        protocol=True,
        per=FAILED_AUTHENTICATION,
    ),
    NamedLimit("TOKEN_PER_CLIENT", ("oidc.token",), ("POST",), protocol=True, per=CLIENT),
    NamedLimit(
        "INTROSPECTION_PER_CLIENT", ("oidc.introspect",), ("POST",), protocol=True, per=CLIENT
    ),
    NamedLimit("REVOCATION_PER_CLIENT", ("oidc.revoke",), ("POST",), protocol=True, per=CLIENT),
    NamedLimit("PAR_PER_CLIENT", ("par.push",), ("POST",), protocol=True, per=CLIENT),
    NamedLimit("BEARER_FAILURES", ("oidc.userinfo",), protocol=True, per=FAILED_AUTHENTICATION),
    NamedLimit("USERINFO_PER_CLIENT", ("oidc.userinfo",), protocol=True, per=CLIENT),
)

TOO_MANY_REQUESTS = Problem(
    "rate_limited",
    "Bạn thao tác quá nhiều lần trong thời gian ngắn. Vui lòng thử lại sau {minutes} phút.",
)
SLOW_DOWN_DESCRIPTION = "Too many requests from this address; retry after Retry-After seconds."
FAILURES_DESCRIPTION = (
    "Too many failed authentications from this address; retry after Retry-After seconds."
)
CLIENT_DESCRIPTION = "Too many requests from this client; retry after Retry-After seconds."

# Redis must answer a limit check quickly or be skipped, never hang a worker.
_STORAGE_OPTIONS = {"socket_timeout": 1, "socket_connect_timeout": 1}


def client_address() -> str:
    """The key of the per-address limits: the client's IP (the real one behind a trusted
    proxy)."""
    return request.remote_addr or "unknown"


@dataclass(frozen=True)
class Refusal:
    """A protocol request over one of its limits: what to tell the client, for how long."""

    limit: str
    description: str
    seconds: int


class _Counted(NamedTuple):
    """One limit by its setting's name, as the limits library counts it."""

    name: str
    item: RateLimitItem


@dataclass(frozen=True)
class _EndpointLimits:
    failures: _Counted | None = None
    client: _Counted | None = None


def _endpoint_limits() -> _EndpointLimits | None:
    limiter: Limiter = current_app.extensions["idp_limiter"]
    if not limiter.enabled:
        return None
    return current_app.extensions["idp_protocol_limits"].get(request.endpoint)


def _key(*parts: str) -> str:
    return "/".join((f"{current_app.config['REDIS_PREFIX']}ratelimit", *parts))


def _counts(read_key: str, hit_key: str, window: int) -> Counts | None:
    storage = current_app.extensions["idp_limiter"].storage
    try:
        return read_and_hit(storage, read_key, hit_key, window)
    except Exception:  # Redis unreachable: skipped, like the other limits (swallow_errors)
        log.exception("rate limits at %s not checked", request.endpoint)
        return None


def _refusal(counted: _Counted, description: str, seconds_left: int) -> Refusal:
    window = counted.item.get_expiry()
    log.warning(
        "rate limit %s (%s) hit by %s at %s",
        counted.name,
        counted.item,
        client_address(),
        request.endpoint,
    )
    return Refusal(counted.name, description, max(1, min(seconds_left or window, window)))


def count_failed_authentication() -> Refusal | None:
    """Count a failed client or bearer authentication against its address (one store
    call); the refusal once the address is over its limit."""
    limits = _endpoint_limits()
    if limits is None or limits.failures is None:
        return None
    failures = limits.failures
    key = _key(failures.name, client_address())
    counts = _counts(key, key, failures.item.get_expiry())
    if counts is None or counts.hit <= failures.item.amount:
        return None
    return _refusal(failures, FAILURES_DESCRIPTION, counts.hit_seconds_left)


def count_authenticated_client(client_id: str, public: bool = False) -> Refusal | None:
    """Count an authenticated request against its client, and check its address's failed
    authentications, in one store call; the refusal when either is over its limit.

    An address over its failure limit is refused even with the right credentials, so a
    guesser learns nothing from the answer. A public client (``none`` authentication)
    proves nothing about who calls, so its count is per (client, address): nobody can
    spend a public client's budget for everyone.
    """
    limits = _endpoint_limits()
    if limits is None or limits.client is None:
        return None
    client = limits.client
    hit_key = _key(client.name, client_id)
    if public:
        hit_key = _key(client.name, client_id, client_address())
    failures = limits.failures
    read_key = _key(failures.name, client_address()) if failures else hit_key
    counts = _counts(read_key, hit_key, client.item.get_expiry())
    if counts is None:
        return None
    if failures is not None and counts.read >= failures.item.amount:
        return _refusal(failures, FAILURES_DESCRIPTION, counts.read_seconds_left)
    if counts.hit > client.item.amount:
        return _refusal(client, CLIENT_DESCRIPTION, counts.hit_seconds_left)
    return None


def _check_limit_value(setting: str, value: str) -> str:
    try:
        if parse_many(value):
            return value
    except ValueError:
        pass
    raise SettingsError(f"{setting}={value!r} is not a rate limit such as '10/minute'")


def _one_limit(limit: NamedLimit, value: str) -> RateLimitItem:
    """A per-client or failure limit is one rate (one counter: one store call a request)."""
    items = parse_many(value)
    if len(items) != 1:
        raise SettingsError(f"{limit.setting}={value!r} must be one rate such as '100/second'")
    return items[0]


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
        enabled=c["RATE_LIMITS_ENABLED"],
    )


def init_app(app: Flask) -> None:
    """Apply ``NAMED_LIMITS`` to the registered endpoints (call after the blueprints)."""
    values = {
        limit.name: _check_limit_value(limit.setting, str(app.config[limit.setting]))
        for limit in NAMED_LIMITS
    }
    limiter = create_limiter(app)
    # There are no default, application or blueprint limits, so the extension's own check
    # before every request finds nothing to count; the decorators below check their views.
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:  # absent when the limits are switched off
        hooks.remove(limiter._check_request_limit)
    app.extensions["idp_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many(limiter))
    protocol_limits: dict[str, _EndpointLimits] = {}
    for limit in NAMED_LIMITS:
        for endpoint in limit.endpoints:
            view = app.view_functions.get(endpoint)
            if view is None:
                log.debug("rate limit %s: no endpoint %s in this app", limit.name, endpoint)
                continue
            if limit.per == ADDRESS:
                methods = list(limit.methods) if limit.methods else None
                decorator = limiter.limit(values[limit.name], methods=methods)
                app.view_functions[endpoint] = decorator(view)
                continue
            # Counted by the protocol code once authentication has succeeded or failed.
            counted = _Counted(limit.name, _one_limit(limit, values[limit.name]))
            known = protocol_limits.get(endpoint, _EndpointLimits())
            if limit.per == CLIENT:
                protocol_limits[endpoint] = replace(known, client=counted)
            else:
                protocol_limits[endpoint] = replace(known, failures=counted)
    app.extensions["idp_protocol_limits"] = protocol_limits
