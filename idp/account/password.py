"""Changing the password from the account page.

The current password is required (a wrong one counts toward the same lockout as a wrong
login password, so a borrowed signed-in browser cannot be used to guess it); the new one
follows the password policy and must differ from the current one. Afterwards every other
signed-in browser is signed out (with back-channel logout to its agencies) and the tokens
issued in those sessions are revoked; this browser stays signed in.
"""

from __future__ import annotations

from idp import audit
from idp.account.sessions import end_other_sessions
from idp.accounts import lockout
from idp.accounts.models import Citizen
from idp.accounts.password_policy import check_password, hash_password, verify_password
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.flows.login.password import AccountLocked
from idp.login_session import LoginSession

FIELD = "current_password"
MAX_LENGTH = 256

CURRENT_PASSWORD_REQUIRED = Problem(
    "password.current_required", "Vui lòng nhập mật khẩu hiện tại.", FIELD
)
CURRENT_PASSWORD_WRONG = Problem(
    "password.current_wrong",
    "Mật khẩu hiện tại không đúng. Lưu ý: nhập sai nhiều lần, tài khoản sẽ bị tạm khóa.",
    FIELD,
)
PASSWORD_UNCHANGED = Problem(
    "password.unchanged",
    "Mật khẩu mới phải khác mật khẩu hiện tại.",
    "password",
)


def verify_current_password(citizen: Citizen, current: str) -> None:
    """DomainError unless ``current`` is the citizen's password (a wrong one counts toward
    the login lockout; a locked-out account is refused until the lockout ends)."""
    if not current:
        raise DomainError(CURRENT_PASSWORD_REQUIRED)
    until = lockout.locked_until(citizen)
    if until is not None:
        raise AccountLocked(until)
    if len(current) <= MAX_LENGTH and verify_password(citizen.password_hash, current):
        return
    started = lockout.register_failure(citizen)
    db.session.commit()
    audit.record("password.change_failed", citizen_id=citizen.id, reason="wrong_password")
    if started:
        audit.record("login.lockout", citizen_id=citizen.id, until=str(citizen.locked_until))
    raise DomainError(CURRENT_PASSWORD_WRONG)


def change_password(
    citizen: Citizen, current_login: LoginSession, current: str, new: str, confirm: str
) -> int:
    """Change the password; returns how many other sessions were signed out."""
    verify_current_password(citizen, current)
    check_password(new, confirm, identity_number=citizen.id_number, phone_e164=citizen.phone)
    if verify_password(citizen.password_hash, new):
        raise DomainError(PASSWORD_UNCHANGED)
    citizen.password_hash = hash_password(new)
    lockout.register_success(citizen)
    db.session.commit()
    # Ends them, revokes their tokens and tells their agencies (idp.sign_out).
    ended = end_other_sessions(citizen.id, current_login)
    audit.record("password.changed", citizen_id=citizen.id, ended_sessions=len(ended))
    return len(ended)
