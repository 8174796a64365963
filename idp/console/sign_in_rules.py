"""The console's sign-in rules: name + password, then an authenticator-app code.

The citizens' throttle and user-wide lock (``idp.abuse.credential_stuffing``,
``idp.citizens.lockout``) with the console's own store keys and settings:

- failures per client IP (``CONSOLE_FAILURES_PER_IP``) and per (operator name, IP)
  (``CONSOLE_FAILURES_PER_NAME_PER_IP``) are refused (429) before the password is
  looked at, so an attacker throttles only his own addresses;
- wrong passwords and wrong codes from every address count toward the name's user-wide
  lock (``CONSOLE_LOCKOUT_*``: 60 s doubling to at most 15 minutes). The lock never
  refuses the owner: while it lasts every password, right or wrong, for a known or an
  unknown name, gets the code page and counts as an attempt; only the right password
  leads to a code page that can accept a code (``PasswordCheck.operator``), the others
  to a look-alike that accepts none. Right password + a valid code signs in and clears
  the count;
- wrong codes on the real code page (after the right password), from every address,
  count toward the name's code lock (``CODE_LOCK``, ``CONSOLE_CODE_LOCKOUT_*``: 5 within
  a week, 15 minutes doubling to a week). While it lasts the name's codes are refused
  unchecked with the wrong code's message, so a stolen password no longer buys endless
  code guesses; only a holder of the password can start it. The look-alike page counts
  its wrong codes the same way under a key of its own (the name and that wrong password,
  keyed by ``SECRET_KEY``), so it never locks the owner's codes, and a code POST does the
  same work on both pages.

A password POST does the same work whether the name exists or not, and under the lock
whether the password is right or not: one argon2id verification (a dummy hash for an
unknown name), the same store calls, one audit insert, no write to the operator row.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app

from idp import audit
from idp.abuse.credential_stuffing import LOGIN_THROTTLED, FailureThrottle
from idp.citizens.lockout import UserWideLock
from idp.citizens.password_policy import dummy_verify, verify_password
from idp.console import totp
from idp.console.models import Operator
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.services import clock

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
CODE_LOCK = UserWideLock("console-code-lock", "CONSOLE_CODE_LOCKOUT")

MAX_PASSWORD = 256


@dataclass(frozen=True)
class PasswordCheck:
    """What the password step leads to (plain values: read before any commit, so using
    them costs no query).

    ``under_lock`` False: ``operator_id`` gave the right password (the ordinary code step).
    ``under_lock`` True: the name is locked; ``operator_id`` is set only when the right
    password was given, None for the look-alike code page.
    ``codes_counted_as``: the name ``CODE_LOCK`` counts this code page's wrong codes under.
    """

    name: str
    operator_id: int | None
    role: str = ""
    enrolled: bool = False
    under_lock: bool = False
    codes_counted_as: str = ""


def _signed_password(operator: Operator, under_lock: bool) -> PasswordCheck:
    return PasswordCheck(
        operator.name,
        operator.id,
        operator.role,
        operator.totp_confirmed,
        under_lock,
        codes_counted_as=operator.name,
    )


def look_alike_code_count(name: str, password: str) -> str:
    """The name the look-alike page's wrong codes are counted under: one per (name, wrong
    password), so nobody without the right password reaches the name's own count, while
    two pages opened with one password share a count, as two real pages would. Keyed by
    ``SECRET_KEY``: a copy of the store says nothing about the passwords tried."""
    key = current_app.config["SECRET_KEY"].encode()
    message = b"console-look-alike\x00" + name.encode() + b"\x00" + password.encode()
    return "look-alike:" + hmac.new(key, message, hashlib.sha256).hexdigest()


def _actor(operator: Operator | None) -> str | None:
    """How the audit trail names the operator; a name without an account is a detail."""
    return f"operator:{operator.name}" if operator is not None else None


def count_failure(name: str, actor: str | None, event: str, reason: str) -> None:
    """One failed attempt (password or code): the same store and audit writes whether the
    name exists (``actor`` set) or not."""
    seconds = LOCK.register_failure(name)
    THROTTLE.record_failure(name)
    details = {} if actor is not None else {"name": name[:64]}
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
        actor = _actor(operator)  # read before the audit commits expire the row
        if right:
            check = _signed_password(operator, True)
        else:
            counted_as = look_alike_code_count(name, password)
            check = PasswordCheck(name, None, under_lock=True, codes_counted_as=counted_as)
        event = "console.password_under_lock" if right else "console.login_failed"
        reason = "locked" if right else "wrong_password" if operator else "unknown_operator"
        count_failure(name, actor, event, reason)
        return check
    if not right:
        reason = "wrong_password" if operator else "unknown_operator"
        count_failure(name, _actor(operator), "console.login_failed", reason)
        raise DomainError(CREDENTIALS_INVALID)
    return _signed_password(operator, False)


def check_code(name: str, operator: Operator | None, code: str, counted_as: str) -> None:
    """The second factor: a fresh authenticator-app code of ``operator`` (confirms
    enrolment the first time); None (the look-alike page) accepts no code, nor does any
    page while ``counted_as`` (``PasswordCheck.codes_counted_as``) is under the code lock.
    Every refusal is a counted failure, with the same work on both pages; a success
    forgets the name's counts and locks."""
    THROTTLE.check_allowed(name)
    actor = _actor(operator)  # read before a rollback or a commit expires the row
    codes_locked = CODE_LOCK.is_locked(counted_as)
    try:
        if operator is None or codes_locked:
            totp.refuse_code(code)
        totp.accept_code(operator, code)
    except DomainError as exc:
        db.session.rollback()
        reason = "codes_locked" if codes_locked else exc.problem.code
        count_failure(name, actor, "console.login_failed", reason)
        seconds = CODE_LOCK.register_failure(counted_as)
        if seconds is not None:
            details = {} if actor is not None else {"name": name[:64]}
            audit.record("console.code_lockout", actor=actor, seconds=seconds, **details)
        raise
    enrolled_now = not operator.totp_confirmed
    operator.totp_confirmed = True
    operator.last_login_at = clock().utcnow()
    db.session.commit()
    LOCK.register_success(name)
    CODE_LOCK.register_success(counted_as)
    if enrolled_now:
        audit.record("operator.totp_enrolled", actor=f"operator:{operator.name}")
