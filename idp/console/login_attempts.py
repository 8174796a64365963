"""Console sign-in attempts per client IP, counted in the store (all replicas share it)."""

from __future__ import annotations

from flask import current_app, request

from idp.errors import DomainError, Problem
from idp.services import store

TOO_MANY_ATTEMPTS = Problem(
    "console.too_many_attempts",
    "Có quá nhiều lần đăng nhập từ địa chỉ này. Vui lòng thử lại sau ít phút.",
)


def count_attempt() -> None:
    """Count one password or code submission from this IP; DomainError over the limit."""
    config = current_app.config
    key = f"console-attempts:{request.remote_addr or 'unknown'}"
    count = store().incr(key, int(config["CONSOLE_LOCKOUT_SECONDS"]))
    if count > int(config["CONSOLE_LOGIN_ATTEMPTS_PER_IP"]):
        raise DomainError(TOO_MANY_ATTEMPTS)
