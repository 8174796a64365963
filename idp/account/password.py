"""Changing the password from the account page.

The current password is required. A wrong one counts toward the login's user-wide lock,
and toward a limit of its own per login session (``LOCKOUT_THRESHOLD`` wrong ones per
``LOCKOUT_WINDOW_SECONDS``), so a borrowed signed-in browser cannot be used to guess it;
the signed-in owner is never refused the right one because someone else tried. The new one
follows the password policy and must differ from the current one. Afterwards every other
signed-in browser is signed out (with back-channel logout to its agencies) and the tokens
issued in those sessions are revoked; this browser stays signed in.

An account made from an upstream identity has no password (``NO_PASSWORD``): its owner
sets a first one without a current password (``set_first_password``), under the same
policy; nothing else ends, since no password was known to anyone before.
"""

from __future__ import annotations

import math

from flask import current_app

from idp import audit
from idp.account.sessions import end_other_sessions
from idp.citizens import lockout
from idp.citizens.creation import NO_PASSWORD
from idp.citizens.models import Citizen
from idp.citizens.password_policy import check_password, hash_password, verify_password
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.login_session import LoginSession, current_login
from idp.services import store

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
CURRENT_PASSWORD_TOO_MANY = Problem(
    "password.current_too_many",
    "Bạn đã nhập sai mật khẩu hiện tại quá nhiều lần. Vui lòng thử lại sau {minutes} phút.",
    FIELD,
)
PASSWORD_UNCHANGED = Problem(
    "password.unchanged",
    "Mật khẩu mới phải khác mật khẩu hiện tại.",
    "password",
)

PASSWORD_ALREADY_SET = Problem(
    "password.already_set",
    "Tài khoản của bạn đã có mật khẩu. Vui lòng nhập mật khẩu hiện tại để đổi mật khẩu.",
    FIELD,
)


def session_failures_key(sid: str) -> str:
    """The store key counting wrong current passwords in the login session ``sid``."""
    return f"current-password-fail:{sid}"


def verify_current_password(citizen: Citizen, current: str) -> None:
    """DomainError unless ``current`` is the citizen's password (a wrong one counts toward
    the user-wide lock and this session's own limit)."""
    if not current:
        raise DomainError(CURRENT_PASSWORD_REQUIRED)
    login = current_login()
    failures_key = session_failures_key(login.sid if login else f"citizen-{citizen.id}")
    threshold = current_app.config["LOCKOUT_THRESHOLD"]
    if store().get_counter(failures_key) >= threshold:
        minutes = max(1, math.ceil(store().ttl(failures_key) / 60))
        raise DomainError(CURRENT_PASSWORD_TOO_MANY.format(minutes=minutes))
    if len(current) <= MAX_LENGTH and verify_password(citizen.password_hash, current):
        return
    store().incr(failures_key, current_app.config["LOCKOUT_WINDOW_SECONDS"])
    seconds = lockout.register_failure(citizen.id_number)
    audit.record("password.change_failed", citizen_id=citizen.id, reason="wrong_password")
    if seconds is not None:
        audit.record("login.lockout", citizen_id=citizen.id, seconds=seconds)
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
    db.session.commit()
    lockout.register_success(citizen.id_number)
    # Ends them, revokes their tokens and tells their agencies (idp.sign_out).
    ended = end_other_sessions(citizen.id, current_login)
    audit.record("password.changed", citizen_id=citizen.id, ended_sessions=len(ended))
    return len(ended)


def set_first_password(citizen: Citizen, new: str, confirm: str) -> None:
    """Give an account with no password its first one (the policy applies); DomainError
    ``PASSWORD_ALREADY_SET`` if it has one, a concurrent request's included."""
    check_password(new, confirm, identity_number=citizen.id_number, phone_e164=citizen.phone)
    # Only while there is still no password: of two concurrent first passwords one wins,
    # and the other must then give the current password like any change.
    done = db.session.execute(
        db.update(Citizen)
        .where(Citizen.id == citizen.id, Citizen.password_hash == NO_PASSWORD)
        .values(password_hash=hash_password(new))
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        db.session.rollback()
        raise DomainError(PASSWORD_ALREADY_SET)
    audit.record("account.password_set", citizen_id=citizen.id, if_committed=True)
    db.session.commit()
    db.session.refresh(citizen)
