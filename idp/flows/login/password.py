"""The password strategy: user name (CMND/CCCD) + password, throttles and the user-wide lock.

Wrong credentials get one message whether or not the account exists, and do the same
work: one argon2id verification (against a dummy hash for an unknown user name), the
same store increments (``idp.abuse.credential_stuffing``, ``idp.citizens.lockout``) and
one audit row; no write to the citizen's row on a failure.

While the user name is under the user-wide lock, every attempt answers alike with an SMS
OTP step (``PasswordCheck.under_lock``): only the right password of an active account
sends a real code to the registered phone, anything else gets a look-alike step that
sends nothing and accepts no code. The owner gets through with password + OTP; someone
guessing learns nothing from the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from idp import audit
from idp.abuse import credential_stuffing
from idp.citizens import lockout
from idp.citizens.creation import has_password
from idp.citizens.models import Citizen
from idp.citizens.password_policy import (
    dummy_verify,
    hash_password,
    needs_rehash,
    verify_password,
)
from idp.errors import DomainError, Problem
from idp.extensions import db

INVALID_CREDENTIALS = Problem(
    "login.invalid_credentials",
    "Tên đăng nhập hoặc mật khẩu không đúng.",
)
MISSING_CREDENTIALS = Problem(
    "login.missing_credentials",
    "Vui lòng nhập tên đăng nhập (số CMND/CCCD) và mật khẩu.",
)
ACCOUNT_DISABLED = Problem(
    "login.account_disabled",
    "Tài khoản đang bị khóa. Vui lòng liên hệ bộ phận hỗ trợ hoặc gửi khiếu nại.",
)


@dataclass(frozen=True)
class PasswordCheck:
    """What the password step leads to.

    ``under_lock`` False: ``citizen`` signed the password (the ordinary second step).
    ``under_lock`` True: the user name is locked; ``citizen`` is set only when the right
    password of an active account was given, None for the look-alike step.
    """

    citizen: Citizen | None
    under_lock: bool = False
    username: str = ""  # as counted (spaces removed)


def _clean_username(raw: str) -> str:
    return "".join(ch for ch in raw if not ch.isspace())[:20]


def _count_failure(
    username: str, citizen: Citizen | None, reason: str, event: str = "login.failed"
) -> None:
    """The same writes for a known and an unknown user name (see the module docstring)."""
    citizen_id = citizen.id if citizen is not None else None
    seconds = lockout.register_failure(username)
    credential_stuffing.record_failure(username)
    audit.record(event, citizen_id=citizen_id, reason=reason)
    if seconds is not None:
        audit.record("login.lockout", citizen_id=citizen_id, seconds=seconds)


def check_password_login(username: str, password: str) -> PasswordCheck:
    """Check the credentials; DomainError (saying nothing more) on a failure outside a lock."""
    username = _clean_username(username or "")
    if not username or not password:
        raise DomainError(MISSING_CREDENTIALS)
    credential_stuffing.check_allowed(username)
    citizen = (
        db.session.scalar(db.select(Citizen).filter_by(id_number=username))
        if username.isdigit()
        else None
    )
    under_lock = lockout.is_locked(username)
    if len(password) > 256:
        right = False
        dummy_verify("")
    elif citizen is None or not has_password(citizen):
        right = False  # no account, or one made from an upstream identity with no password
        dummy_verify(password)
    else:
        right = verify_password(citizen.password_hash, password)
    if not right:
        _count_failure(username, citizen, "wrong_password" if citizen else "unknown_user")
        if under_lock:
            return PasswordCheck(None, under_lock=True, username=username)
        raise DomainError(INVALID_CREDENTIALS)
    if not citizen.is_active:
        if under_lock:
            _count_failure(username, citizen, "disabled")
            return PasswordCheck(None, under_lock=True, username=username)
        audit.record("login.refused_disabled", citizen_id=citizen.id)
        raise DomainError(ACCOUNT_DISABLED)
    if needs_rehash(citizen.password_hash):
        citizen.password_hash = hash_password(password)
        db.session.commit()
    if under_lock:
        # Counted like a wrong one, so that under the lock a right password does the same
        # work; the completed login forgets the count.
        _count_failure(username, citizen, "locked", event="login.password_under_lock")
    return PasswordCheck(citizen, under_lock=under_lock, username=username)
