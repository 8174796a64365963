"""Credential-stuffing throttles on the password step, beside the per-account lockout.

Two counters of failed password attempts in the shared store, over a window of
``LOGIN_THROTTLE_WINDOW_SECONDS``: per client IP (``LOGIN_FAILURES_PER_IP``) and per
normalised user name (``LOGIN_FAILURES_PER_USERNAME``), the latter counted for user names
that have no account too. The refusal is one message and one status whether or not the
account exists, and it is given before the password is looked at, so it reveals nothing.
"""

from __future__ import annotations

import hashlib
import math

from flask import current_app, has_request_context, request

from idp import audit
from idp.abuse import TooManyRequests
from idp.errors import Problem
from idp.services import services

LOGIN_THROTTLED = Problem(
    "login.throttled",
    "Có quá nhiều lần đăng nhập không thành công. Vui lòng thử lại sau {minutes} phút.",
)


def _ip() -> str:
    return (request.remote_addr if has_request_context() else None) or "unknown"


def _keys(username: str) -> dict[str, str]:
    # The user name is hashed so that the store holds no identity numbers in clear.
    name = hashlib.sha256(username.encode()).hexdigest()[:32]
    return {"ip": f"login-fail:ip:{_ip()}", "username": f"login-fail:user:{name}"}


def _caps() -> dict[str, int]:
    c = current_app.config
    return {
        "ip": int(c["LOGIN_FAILURES_PER_IP"]),
        "username": int(c["LOGIN_FAILURES_PER_USERNAME"]),
    }


def check_allowed(username: str) -> None:
    """Raise ``TooManyRequests`` if this IP or this user name has failed too often."""
    store = services().store
    caps = _caps()
    for name, key in _keys(username).items():
        if store.get_counter(key) >= caps[name]:
            minutes = max(1, math.ceil(store.ttl(key) / 60))
            audit.record("login.throttled", reason=name, ip=_ip())
            raise TooManyRequests(LOGIN_THROTTLED.format(minutes=minutes))


def record_failure(username: str) -> None:
    """Count a failed attempt against this IP and this user name."""
    store = services().store
    window = int(current_app.config["LOGIN_THROTTLE_WINDOW_SECONDS"])
    for key in _keys(username).values():
        store.incr(key, window)
