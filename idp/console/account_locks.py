"""Operators locking and unlocking citizen accounts.

Locking ends every login session and token of the citizen at once, with back-channel
logout to the agencies (``idp.sign_out``, the same sign-out a password reset does); a
locked account cannot sign in ("Tài khoản đang bị khóa").
"""

from __future__ import annotations

from idp import audit
from idp.citizens.models import Citizen
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.sign_out import end_citizen_sessions, revoke_tokens_of

ACTIVE = "active"
LOCKED = "locked"

CITIZEN_NOT_FOUND = Problem("citizen.not_found", "Không tìm thấy tài khoản công dân này.")
SEARCH_INVALID = Problem(
    "citizen.search_invalid", "Vui lòng nhập số CMND (9 chữ số) hoặc CCCD (12 chữ số).", "q"
)
ALREADY_LOCKED = Problem("citizen.already_locked", "Tài khoản này đang bị khóa.")
NOT_LOCKED = Problem("citizen.not_locked", "Tài khoản này không bị khóa.")
RELEASED_NUMBER = Problem(
    "citizen.number_released",
    "Tài khoản này bị khóa do khiếu nại và số CMND/CCCD đã được giải phóng; không thể mở khóa.",
)


def find_by_identity_number(raw: str) -> Citizen | None:
    """The citizen with this CMND/CCCD number; DomainError if it is not one."""
    number = "".join(ch for ch in (raw or "") if not ch.isspace())
    if not number.isdigit() or len(number) not in (9, 12):
        raise DomainError(SEARCH_INVALID)
    return db.session.scalar(db.select(Citizen).filter_by(id_number=number))


def _citizen(citizen_id: int) -> Citizen:
    citizen = db.session.get(Citizen, citizen_id)
    if citizen is None:
        raise DomainError(CITIZEN_NOT_FOUND)
    return citizen


def lock_citizen(citizen_id: int, actor: str, reason: str = "") -> Citizen:
    """Lock the account and end its sessions and tokens."""
    citizen = _citizen(citizen_id)
    if citizen.status == LOCKED:
        raise DomainError(ALREADY_LOCKED)
    citizen.status = LOCKED
    revoked = revoke_tokens_of(citizen.id)
    db.session.commit()
    ended = end_citizen_sessions(citizen.id, reason="citizen_locked")
    audit.record(
        "citizen.locked",
        citizen_id=citizen.id,
        actor=actor,
        reason=reason[:500],
        ended_sessions=ended,
        revoked_tokens=revoked,
    )
    return citizen


def unlock_citizen(citizen_id: int, actor: str) -> Citizen:
    """Let a locked account sign in again (not one whose number a complaint released)."""
    citizen = _citizen(citizen_id)
    if citizen.status != LOCKED:
        raise DomainError(NOT_LOCKED)
    if not citizen.id_number.isdigit():
        raise DomainError(RELEASED_NUMBER)
    citizen.status = ACTIVE
    db.session.commit()
    audit.record("citizen.unlocked", citizen_id=citizen.id, actor=actor)
    return citizen
