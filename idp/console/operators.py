"""Operator accounts: creation (CLI), and signing in with password then TOTP code.

Wrong passwords and wrong codes both count towards a lockout of
``CONSOLE_LOCKOUT_SECONDS`` after ``CONSOLE_LOCKOUT_THRESHOLD`` failures, so neither
factor can be guessed at leisure. An unknown name costs the same time as a wrong
password and gets the same answer.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import update

from idp import audit
from idp.accounts.password_policy import dummy_verify, hash_password, verify_password
from idp.console import totp
from idp.console.models import ROLES, Operator
from idp.errors import DomainError, Problem
from idp.extensions import db

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")

NAME_INVALID = Problem(
    "operator.name_invalid",
    "Tên người vận hành gồm 3-64 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch ngang "
    "hoặc gạch dưới.",
    "name",
)
ROLE_INVALID = Problem("operator.role_invalid", "Vai trò phải là operator hoặc auditor.", "role")
OPERATOR_EXISTS = Problem("operator.exists", "Đã có người vận hành với tên này.", "name")
CREDENTIALS_INVALID = Problem(
    "console.credentials_invalid", "Tên đăng nhập hoặc mật khẩu không đúng."
)
CREDENTIALS_MISSING = Problem(
    "console.credentials_missing", "Vui lòng nhập tên đăng nhập và mật khẩu."
)
OPERATOR_LOCKED = Problem(
    "console.locked",
    "Tài khoản quản trị tạm thời bị khóa do nhập sai nhiều lần. "
    "Vui lòng thử lại sau {minutes} phút.",
)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)  # SQLite returns naive datetimes
    return moment


def create_operator(name: str, role: str, actor: str = "cli") -> tuple[Operator, str, str]:
    """A new operator; returns it with its password and TOTP provisioning URI (shown once)."""
    name = (name or "").strip()
    if not NAME_PATTERN.match(name):
        raise DomainError(NAME_INVALID)
    if role not in ROLES:
        raise DomainError(ROLE_INVALID)
    if db.session.scalar(db.select(Operator.id).filter_by(name=name)) is not None:
        raise DomainError(OPERATOR_EXISTS)
    password = secrets.token_urlsafe(18)
    operator = Operator(
        name=name,
        role=role,
        password_hash=hash_password(password),
        totp_secret=totp.new_sealed_secret(),
    )
    db.session.add(operator)
    db.session.commit()
    audit.record("operator.created", actor=actor, operator=name, role=role)
    return operator, password, totp.provisioning_uri(operator)


def _locked_problem(until: datetime) -> DomainError:
    minutes = max(1, int((until - _now()).total_seconds() + 59) // 60)
    return DomainError(OPERATOR_LOCKED.format(minutes=minutes))


def check_not_locked(operator: Operator) -> None:
    """DomainError while the operator is locked out."""
    until = _aware(operator.locked_until)
    if until is not None and until > _now():
        raise _locked_problem(until)


def register_failure(operator: Operator, reason: str) -> None:
    """Count a wrong password or code; lock the operator out at the threshold.

    The count is one ``UPDATE ... SET failed_logins = failed_logins + 1 RETURNING``, so
    concurrent failures are all counted, and the lock is set by a conditional UPDATE
    that exactly one of them wins.
    """
    config = current_app.config
    threshold = int(config["CONSOLE_LOCKOUT_THRESHOLD"])
    count = db.session.execute(
        update(Operator)
        .where(Operator.id == operator.id)
        .values(failed_logins=Operator.failed_logins + 1)
        .returning(Operator.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    locked = False
    if count >= threshold:
        until = _now() + timedelta(seconds=int(config["CONSOLE_LOCKOUT_SECONDS"]))
        locked = (
            db.session.execute(
                update(Operator)
                .where(Operator.id == operator.id, Operator.failed_logins >= threshold)
                .values(locked_until=until, failed_logins=0)
                .execution_options(synchronize_session=False)
            ).rowcount
            == 1
        )
    db.session.commit()
    db.session.refresh(operator)
    audit.record("console.login_failed", actor=f"operator:{operator.name}", reason=reason)
    if locked:
        audit.record("console.lockout", actor=f"operator:{operator.name}")


def check_password(name: str, password: str) -> Operator:
    """The operator these credentials belong to (first factor), or DomainError."""
    name = (name or "").strip()
    if not name or not password:
        raise DomainError(CREDENTIALS_MISSING)
    operator = None
    if len(name) <= 64 and len(password) <= 256:
        operator = db.session.scalar(db.select(Operator).filter_by(name=name))
    if operator is None:
        dummy_verify(password)
        audit.record("console.login_failed", reason="unknown_operator")
        raise DomainError(CREDENTIALS_INVALID)
    check_not_locked(operator)
    if not verify_password(operator.password_hash, password):
        register_failure(operator, "wrong_password")
        raise DomainError(CREDENTIALS_INVALID)
    return operator


def check_code(operator: Operator, code: str) -> None:
    """The second factor: a fresh authenticator-app code (confirms enrolment the first
    time); DomainError (and a counted failure) otherwise."""
    check_not_locked(operator)
    try:
        totp.accept_code(operator, code)
    except DomainError as exc:
        db.session.rollback()
        register_failure(operator, exc.problem.code)
        raise
    enrolled_now = not operator.totp_confirmed
    operator.totp_confirmed = True
    operator.failed_logins = 0
    operator.last_login_at = _now()
    db.session.commit()
    if enrolled_now:
        audit.record("operator.totp_enrolled", actor=f"operator:{operator.name}")
