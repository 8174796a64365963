"""Credential-stuffing throttles on the password step, beside the user-wide lock.

Two counters of failed password attempts in the shared store, over a window of
``LOGIN_THROTTLE_WINDOW_SECONDS``: per client IP (``LOGIN_FAILURES_PER_IP``) and per
normalised user name *from that IP* (``LOGIN_FAILURES_PER_USERNAME_PER_IP``), the latter
counted for user names that have no account too. Both are keyed by the client address, so
an attacker who knows someone's identity number throttles only his own addresses; the
owner elsewhere is not refused (the user-wide count is ``idp.accounts.lockout``, which
never refuses the right password + SMS OTP). The refusal is one message and one status
whether or not the account exists, and it is given before the password is looked at.
"""

from __future__ import annotations

import math

from flask import current_app, has_request_context, request

from idp import audit
from idp.abuse import TooManyRequests
from idp.accounts.lockout import name_key
from idp.errors import Problem
from idp.services import services

LOGIN_THROTTLED = Problem(
    "login.throttled",
    "Có quá nhiều lần đăng nhập không thành công. Vui lòng thử lại sau {minutes} phút.",
)


def _ip() -> str:
    return (request.remote_addr if has_request_context() else None) or "unknown"


def _keys(username: str) -> dict[str, str]:
    ip = _ip()
    return {
        "ip": f"login-fail:ip:{ip}",
        "username_ip": f"login-fail:user:{name_key(username)}:{ip}",
    }


def _caps() -> dict[str, int]:
    c = current_app.config
    return {
        "ip": int(c["LOGIN_FAILURES_PER_IP"]),
        "username_ip": int(c["LOGIN_FAILURES_PER_USERNAME_PER_IP"]),
    }


def check_allowed(username: str) -> None:
    """Raise ``TooManyRequests`` if this IP, or this user name from this IP, failed too often."""
    store = services().store
    caps = _caps()
    for name, key in _keys(username).items():
        if store.get_counter(key) >= caps[name]:
            minutes = max(1, math.ceil(store.ttl(key) / 60))
            audit.record("login.throttled", reason=name, ip=_ip())
            raise TooManyRequests(LOGIN_THROTTLED.format(minutes=minutes))


def record_failure(username: str) -> None:
    """Count a failed attempt against this IP and this user name from this IP."""
    store = services().store
    window = int(current_app.config["LOGIN_THROTTLE_WINDOW_SECONDS"])
    for key in _keys(username).values():
        store.incr(key, window)
