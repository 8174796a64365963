"""The password strategy: user name (CMND/CCCD) + password, with lockout.

Wrong credentials get one message whether or not the account exists, and take about the
same time (an unknown user name is checked against a dummy hash). A locked-out account
answers like a wrong password until the correct password is given; only then is the
citizen told that the account is locked and until when.
"""

from __future__ import annotations

from datetime import datetime

from idp import audit
from idp.abuse import credential_stuffing
from idp.accounts import lockout
from idp.accounts.birth_date import VIETNAM_TZ
from idp.accounts.models import Citizen
from idp.accounts.password_policy import (
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
# {time} is HH:MM and {date} dd/mm/yyyy, in Vietnam's time (UTC+7); the page's language
# filter matches the placeholders, so the English text gets the same values.
LOCKED_OUT = Problem(
    "login.locked_out",
    "Tài khoản tạm thời bị khóa do nhập sai mật khẩu nhiều lần. "
    "Vui lòng thử lại sau {time} ngày {date}.",
)


class AccountLocked(DomainError):
    """The password was right but the account is locked out until ``until``."""

    def __init__(self, until: datetime):
        local = until.astimezone(VIETNAM_TZ)  # Vietnam's time, whatever the server's zone
        super().__init__(
            LOCKED_OUT.format(time=local.strftime("%H:%M"), date=local.strftime("%d/%m/%Y"))
        )
        self.until = until


def _clean_username(raw: str) -> str:
    return "".join(ch for ch in raw if not ch.isspace())[:20]


def check_password_login(username: str, password: str) -> Citizen:
    """The citizen whose credentials these are, or a DomainError saying nothing more."""
    username = _clean_username(username or "")
    if not username or not password:
        raise DomainError(MISSING_CREDENTIALS)
    credential_stuffing.check_allowed(username)
    if len(password) > 256:
        credential_stuffing.record_failure(username)
        raise DomainError(INVALID_CREDENTIALS)
    citizen = (
        db.session.scalar(db.select(Citizen).filter_by(id_number=username))
        if username.isdigit()
        else None
    )
    if citizen is None:
        dummy_verify(password)
        credential_stuffing.record_failure(username)
        audit.record("login.failed", reason="unknown_user")
        raise DomainError(INVALID_CREDENTIALS)
    if not verify_password(citizen.password_hash, password):
        started = lockout.register_failure(citizen)
        db.session.commit()
        credential_stuffing.record_failure(username)
        audit.record("login.failed", citizen_id=citizen.id, reason="wrong_password")
        if started:
            audit.record("login.lockout", citizen_id=citizen.id, until=str(citizen.locked_until))
        raise DomainError(INVALID_CREDENTIALS)
    until = lockout.locked_until(citizen)
    if until is not None:
        audit.record("login.refused_locked_out", citizen_id=citizen.id)
        raise AccountLocked(until)
    if not citizen.is_active:
        audit.record("login.refused_disabled", citizen_id=citizen.id)
        raise DomainError(ACCOUNT_DISABLED)
    lockout.register_success(citizen)
    if needs_rehash(citizen.password_hash):
        citizen.password_hash = hash_password(password)
    db.session.commit()
    return citizen
