"""Credential-stuffing throttles on a password step, beside the user-wide lock.

One ``FailureThrottle`` per kind of sign-in: citizens' (``CITIZEN_LOGIN``, the
``LOGIN_*`` settings) and the operators' console's (``idp.console.sign_in_rules``,
``CONSOLE_*``). The rule is the same for both.

Two counters of failed attempts in the shared store, over a window of
``<window setting>`` seconds: per client IP and per normalised user name *from that IP*,
the latter counted for user names that have no account too. Both are keyed by the client
address, so an attacker who knows someone's user name throttles only his own addresses;
the owner elsewhere is not refused (the user-wide count is ``idp.citizens.lockout``,
which never refuses the right password + second factor). The refusal is one message and
one status whether or not the account exists, and it is given before the password is
looked at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import current_app, has_request_context, request

from idp import audit
from idp.abuse import TooManyRequests
from idp.citizens.lockout import name_key
from idp.errors import Problem
from idp.services import services

LOGIN_THROTTLED = Problem(
    "login.throttled",
    "Có quá nhiều lần đăng nhập không thành công. Vui lòng thử lại sau {minutes} phút.",
)


def _ip() -> str:
    return (request.remote_addr if has_request_context() else None) or "unknown"


@dataclass(frozen=True)
class FailureThrottle:
    """The throttle of one kind of sign-in: store keys, settings, refusal and audit event."""

    key_prefix: str
    per_ip_setting: str
    per_name_per_ip_setting: str
    window_setting: str
    problem: Problem
    audit_event: str

    def _keys(self, username: str) -> dict[str, str]:
        ip = _ip()
        return {
            "ip": f"{self.key_prefix}:ip:{ip}",
            "username_ip": f"{self.key_prefix}:user:{name_key(username)}:{ip}",
        }

    def _caps(self) -> dict[str, int]:
        config = current_app.config
        return {
            "ip": config[self.per_ip_setting],
            "username_ip": config[self.per_name_per_ip_setting],
        }

    def check_allowed(self, username: str) -> None:
        """Raise ``TooManyRequests`` if this IP, or this user name from this IP, failed too
        often."""
        store = services().store
        caps = self._caps()
        keys = self._keys(username)
        counts = store.get_counters(list(keys.values()))  # one round trip
        for (name, key), count in zip(keys.items(), counts, strict=True):
            if count >= caps[name]:
                minutes = max(1, math.ceil(store.ttl(key) / 60))
                audit.record(self.audit_event, reason=name, ip=_ip())
                raise TooManyRequests(self.problem.format(minutes=minutes))

    def record_failure(self, username: str) -> None:
        """Count a failed attempt against this IP and this user name from this IP."""
        store = services().store
        window = current_app.config[self.window_setting]
        store.incr_many([(key, window) for key in self._keys(username).values()])


CITIZEN_LOGIN = FailureThrottle(
    "login-fail",
    "LOGIN_FAILURES_PER_IP",
    "LOGIN_FAILURES_PER_USERNAME_PER_IP",
    "LOGIN_THROTTLE_WINDOW_SECONDS",
    LOGIN_THROTTLED,
    "login.throttled",
)

# The citizens' throttle, as the login's password step uses it.
check_allowed = CITIZEN_LOGIN.check_allowed
record_failure = CITIZEN_LOGIN.record_failure
