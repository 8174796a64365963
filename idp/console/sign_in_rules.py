"""The console's sign-in rules: name + password, then an authenticator-app code.

The citizens' throttle and user-wide lock (``idp.abuse.credential_stuffing``,
``idp.accounts.lockout``) with the console's own store keys and settings:

- failures per client IP (``CONSOLE_FAILURES_PER_IP``) and per (operator name, IP)
  (``CONSOLE_FAILURES_PER_NAME_PER_IP``) are refused (429) before the password is
  looked at, so an attacker throttles only his own addresses;
- wrong passwords and wrong codes from every address count toward the name's user-wide
  lock (``CONSOLE_LOCKOUT_*``: 60 s doubling to at most 15 minutes). The lock never
  refuses the owner: while it lasts every password, right or wrong, for a known or an
  unknown name, gets the code page and counts as an attempt; only the right password
  leads to a code page that can accept a code (``PasswordCheck.operator``), the others
  to a look-alike that accepts none. Right password + a valid code signs in and clears
  the count.

A password POST does the same work whether the name exists or not, and under the lock
whether the password is right or not: one argon2id verification (a dummy hash for an
unknown name), the same store calls, one audit insert, no write to the operator row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from idp import audit
from idp.abuse.credential_stuffing import LOGIN_THROTTLED, FailureThrottle
from idp.accounts.lockout import UserWideLock
from idp.accounts.password_policy import dummy_verify, verify_password
from idp.console import totp
from idp.console.models import Operator
from idp.errors import DomainError, Problem
from idp.extensions import db

CREDENTIALS_INVALID = Problem(
    "console.credentials_invalid", "Tên đăng nhập hoặc mật khẩu không đúng."
)
CREDENTIALS_MISSING = Problem(
    "console.credentials_missing", "Vui lòng nhập tên đăng nhập và mật khẩu."
)
CONSOLE_THROTTLED = Problem("console.throttled", LOGIN_THROTTLED.message)

THROTTLE = FailureThrottle(
    "console-fail",
    "CONSOLE_FAILURES_PER_IP",
    "CONSOLE_FAILURES_PER_NAME_PER_IP",
    "CONSOLE_THROTTLE_WINDOW_SECONDS",
    CONSOLE_THROTTLED,
    "console.throttled",
)
LOCK = UserWideLock("console-lock", "CONSOLE_LOCKOUT")

MAX_PASSWORD = 256


@dataclass(frozen=True)
class PasswordCheck:
    """What the password step leads to (plain values: read before any commit, so using
    them costs no query).

    ``under_lock`` False: ``operator_id`` gave the right password (the ordinary code step).
    ``under_lock`` True: the name is locked; ``operator_id`` is set only when the right
    password was given, None for the look-alike code page.
    """

    name: str
    operator_id: int | None
    role: str = ""
    enrolled: bool = False
    under_lock: bool = False


def _signed_password(operator: Operator, under_lock: bool) -> PasswordCheck:
    return PasswordCheck(
        operator.name, operator.id, operator.role, operator.totp_confirmed, under_lock
    )


def _actor(operator: Operator | None) -> str | None:
    """How the audit trail names the operator; a name without an account is a detail."""
    return f"operator:{operator.name}" if operator is not None else None


def count_failure(name: str, operator: Operator | None, event: str, reason: str) -> None:
    """One failed attempt (password or code): the same store and audit writes whether the
    name exists or not."""
    actor = _actor(operator)  # read once: each audit commit expires the loaded row
    seconds = LOCK.register_failure(name)
    THROTTLE.record_failure(name)
    details = {} if operator is not None else {"name": name[:64]}
    audit.record(event, actor=actor, reason=reason, **details)
    if seconds is not None:
        audit.record("console.lockout", actor=actor, seconds=seconds, **details)


def check_password(name: str, password: str) -> PasswordCheck:
    """The first factor; DomainError (saying nothing more) on a failure outside the lock."""
    name = (name or "").strip()
    if not name or not password:
        raise DomainError(CREDENTIALS_MISSING)
    THROTTLE.check_allowed(name)
    operator = db.session.scalar(db.select(Operator).filter_by(name=name))
    under_lock = LOCK.is_locked(name)
    if len(password) > MAX_PASSWORD:
        right = False
        dummy_verify("")
    elif operator is None:
        right = False
        dummy_verify(password)
    else:
        right = verify_password(operator.password_hash, password)
    if under_lock:
        # Right or wrong, a password alone proves nothing while the name is locked.
        if right:
            check = _signed_password(operator, True)
        else:
            check = PasswordCheck(name, None, under_lock=True)
        event = "console.password_under_lock" if right else "console.login_failed"
        reason = "locked" if right else "wrong_password" if operator else "unknown_operator"
        count_failure(name, operator, event, reason)
        return check
    if not right:
        reason = "wrong_password" if operator else "unknown_operator"
        count_failure(name, operator, "console.login_failed", reason)
        raise DomainError(CREDENTIALS_INVALID)
    return _signed_password(operator, False)


def check_code(name: str, operator: Operator | None, code: str) -> None:
    """The second factor: a fresh authenticator-app code of ``operator`` (confirms
    enrolment the first time); None (the look-alike page) accepts no code. Every refusal
    is a counted failure; a success forgets the name's count and lock."""
    THROTTLE.check_allowed(name)
    try:
        if operator is None:
            raise DomainError(totp.TOTP_INVALID)
        totp.accept_code(operator, code)
    except DomainError as exc:
        db.session.rollback()
        count_failure(name, operator, "console.login_failed", exc.problem.code)
        raise
    enrolled_now = not operator.totp_confirmed
    operator.totp_confirmed = True
    operator.last_login_at = datetime.now(UTC)
    db.session.commit()
    LOCK.register_success(name)
    if enrolled_now:
        audit.record("operator.totp_enrolled", actor=f"operator:{operator.name}")
