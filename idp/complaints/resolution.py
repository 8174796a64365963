"""Operators' handling of complaints (``idp complaints list|show|resolve``).

``reject`` closes the complaint. ``lock-account`` locks the disputed account and frees
the identity number for the complainant in one transaction: the old row keeps its data
for audit but its ``id_number`` becomes the tombstone ``x<row id>`` (never a valid
number, unique like the row id), so the complainant can register; then every session and
token of the locked account ends.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from idp import audit
from idp.accounts.models import Citizen
from idp.complaints.listing import find_complaint
from idp.complaints.models import (
    ACCOUNT_LOCKED,
    LOCK_ACCOUNT,
    OPEN,
    REJECT,
    REJECTED,
    RESOLUTIONS,
    Complaint,
)
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.flows.recovery.sign_out import end_sessions_of, revoke_tokens_of

#: What an operator may do with an open complaint.
ACTIONS = RESOLUTIONS
__all__ = ["ACTIONS", "LOCK_ACCOUNT", "REJECT", "resolve_complaint", "tombstone"]

COMPLAINT_CLOSED = Problem(
    "complaint.closed", "Khiếu nại {reference} đã được xử lý trước đó (trạng thái: {status})."
)
NO_ACCOUNT_TO_LOCK = Problem(
    "complaint.no_account",
    "Không có tài khoản nào đang giữ số CMND/CCCD của khiếu nại {reference}; không có gì để khóa.",
)
UNKNOWN_ACTION = Problem("complaint.unknown_action", "Cách xử lý không hợp lệ: {action}.")
NOT_AN_OWNERSHIP_DISPUTE = Problem(
    "complaint.not_ownership",
    "Khiếu nại {reference} là yêu cầu đổi số điện thoại, không phải tranh chấp tài khoản: "
    "không thể khóa tài khoản theo khiếu nại này.",
)


def _problem(problem: Problem, **values: object) -> Problem:
    return replace(problem, message=problem.message.format(**values))


def tombstone(citizen: Citizen) -> str:
    """The identity number a locked, disputed account keeps: never a real number."""
    return f"x{citizen.id}"


def _lock_disputed_account(complaint: Complaint) -> Citizen:
    citizen = db.session.scalar(
        db.select(Citizen).filter_by(id_number=complaint.id_number).with_for_update()
    )
    if citizen is None:
        raise DomainError(_problem(NO_ACCOUNT_TO_LOCK, reference=complaint.reference))
    citizen.status = "locked"
    citizen.id_number = tombstone(citizen)
    revoke_tokens_of(citizen.id)
    complaint.citizen_id = citizen.id
    return citizen


def resolve_complaint(reference: str, action: str, note: str, actor: str) -> Complaint:
    """Close an open complaint by ``reject`` or ``lock-account``; DomainError if not possible."""
    if action not in ACTIONS:
        raise DomainError(_problem(UNKNOWN_ACTION, action=action))
    try:
        complaint = find_complaint(reference, for_update=True)
        if complaint.status != OPEN:
            raise DomainError(
                _problem(COMPLAINT_CLOSED, reference=complaint.reference, status=complaint.status)
            )
        if action == LOCK_ACCOUNT and getattr(complaint, "kind", "ownership") != "ownership":
            # A phone-change request comes from the account's owner: never lock it.
            raise DomainError(_problem(NOT_AN_OWNERSHIP_DISPUTE, reference=complaint.reference))
        citizen = _lock_disputed_account(complaint) if action == LOCK_ACCOUNT else None
        complaint.status = ACCOUNT_LOCKED if citizen is not None else REJECTED
        complaint.resolution = action
        complaint.resolution_note = note
        complaint.resolved_by = actor
        complaint.resolved_at = datetime.now(UTC)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if citizen is not None:
        ended = end_sessions_of(citizen.id)
        audit.record(
            "citizen.locked",
            citizen_id=citizen.id,
            actor=actor,
            reason="complaint",
            reference=complaint.reference,
            released_id_number=complaint.id_number,
            ended_sessions=ended,
        )
    audit.record(
        "complaint.resolved",
        citizen_id=complaint.citizen_id,
        actor=actor,
        reference=complaint.reference,
        action=action,
    )
    return complaint
