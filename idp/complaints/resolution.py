"""Operators' handling of complaints (``idp complaints list|show|resolve``).

``reject`` closes the complaint. ``lock-account`` locks the disputed account and frees
the identity number for the complainant in one transaction: the old row keeps its data
for audit but its ``id_number`` becomes the tombstone ``x<row id>`` (never a valid
number, unique like the row id), so the complainant can register; then every session and
token of the locked account ends. Both only for an ownership dispute (kind ``ownership``).

``change-phone`` applies a phone-change request (kind ``phone_change``, filed from the
account page when the old number is lost; ``Complaint.phone`` holds the requested number).
The number is checked again when the operator applies it: it must still be "chính chủ"
for the account's identity number and must not be another account's number. Then, in one
transaction, the account gets the number and every token of the citizen is revoked; then
every session ends with back-channel logout to the agencies (``idp.sign_out``). Audited
``phone.changed`` with the operator as actor.
"""

from __future__ import annotations

from idp import audit
from idp.citizens.creation import phone_used_by_another
from idp.citizens.models import Citizen
from idp.citizens.phone import mask_phone
from idp.complaints.listing import find_complaint
from idp.complaints.models import (
    ACCOUNT_LOCKED,
    CHANGE_PHONE,
    LOCK_ACCOUNT,
    OPEN,
    OWNERSHIP,
    PHONE_CHANGE,
    PHONE_CHANGED,
    REJECT,
    REJECTED,
    RESOLUTIONS,
    Complaint,
)
from idp.errors import DomainError, Problem, ServiceUnavailable
from idp.extensions import db
from idp.services import clock
from idp.sign_out import end_citizen_sessions, revoke_tokens_of
from idp.subscribers import check_subscriber

#: What an operator may do with an open complaint (``actions_for`` narrows it by kind).
ACTIONS = RESOLUTIONS
__all__ = [
    "ACTIONS",
    "CHANGE_PHONE",
    "LOCK_ACCOUNT",
    "REJECT",
    "actions_for",
    "resolve_complaint",
    "tombstone",
]

#: The resolutions that fit each kind of complaint (``reject`` fits every kind).
ACTIONS_BY_KIND = {OWNERSHIP: (REJECT, LOCK_ACCOUNT), PHONE_CHANGE: (REJECT, CHANGE_PHONE)}

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
NOT_A_PHONE_CHANGE = Problem(
    "complaint.not_phone_change",
    "Khiếu nại {reference} không phải yêu cầu đổi số điện thoại: không thể đổi số theo "
    "khiếu nại này.",
)
NO_ACCOUNT_FOR_PHONE = Problem(
    "complaint.phone_no_account",
    "Tài khoản gửi yêu cầu {reference} không còn giữ số CMND/CCCD {id_number} hoặc không còn "
    "hoạt động; không thể đổi số điện thoại.",
)
PHONE_ALREADY_SET = Problem(
    "complaint.phone_already_set",
    "Tài khoản đã dùng số điện thoại {phone}; không có gì để đổi.",
)
PHONE_NOT_SUBSCRIBER = Problem(
    "complaint.phone_not_subscriber",
    "Số điện thoại {phone} hiện không đăng ký chính chủ với số CMND/CCCD {id_number}; "
    "không thể đổi số.",
)
PHONE_OF_ANOTHER_ACCOUNT = Problem(
    "complaint.phone_taken",
    "Số điện thoại {phone} đang là số của một tài khoản khác; không thể đổi số.",
)
SUBSCRIBER_CHECK_UNAVAILABLE = Problem(
    "complaint.subscriber_unavailable",
    "Chưa kiểm tra được thông tin thuê bao chính chủ với nhà mạng; chưa có gì thay đổi. "
    "Vui lòng thử lại sau ít phút.",
)


def tombstone(citizen: Citizen) -> str:
    """The identity number a locked, disputed account keeps: never a real number."""
    return f"x{citizen.id}"


def _lock_disputed_account(complaint: Complaint) -> Citizen:
    citizen = db.session.scalar(
        db.select(Citizen).filter_by(id_number=complaint.id_number).with_for_update()
    )
    if citizen is None:
        raise DomainError(NO_ACCOUNT_TO_LOCK.format(reference=complaint.reference))
    citizen.status = "locked"
    citizen.id_number = tombstone(citizen)
    revoke_tokens_of(citizen.id)
    complaint.citizen_id = citizen.id
    return citizen


def actions_for(complaint: Complaint) -> tuple[str, ...]:
    """The resolutions an operator may choose for this complaint."""
    return ACTIONS_BY_KIND.get(complaint.kind or OWNERSHIP, (REJECT,))


def _change_phone(complaint: Complaint) -> tuple[Citizen, str]:
    """Give the requesting account the complaint's number; returns it and the old number."""
    citizen = None
    if complaint.citizen_id is not None:
        citizen = db.session.scalar(
            db.select(Citizen).filter_by(id=complaint.citizen_id).with_for_update()
        )
    if citizen is None or citizen.id_number != complaint.id_number or citizen.status != "active":
        raise DomainError(
            NO_ACCOUNT_FOR_PHONE.format(
                reference=complaint.reference, id_number=complaint.id_number
            )
        )
    new_phone, shown = complaint.phone, mask_phone(complaint.phone)
    if citizen.phone == new_phone:
        raise DomainError(PHONE_ALREADY_SET.format(phone=shown))
    if phone_used_by_another(new_phone, citizen.id):
        raise DomainError(PHONE_OF_ANOTHER_ACCOUNT.format(phone=shown))
    try:
        registered = check_subscriber(new_phone, citizen.id_number)
    except ServiceUnavailable:
        raise DomainError(SUBSCRIBER_CHECK_UNAVAILABLE) from None
    if not registered:
        raise DomainError(PHONE_NOT_SUBSCRIBER.format(phone=shown, id_number=citizen.id_number))
    old_phone, citizen.phone = citizen.phone, new_phone
    revoke_tokens_of(citizen.id)
    return citizen, old_phone


def _check_fits(complaint: Complaint, action: str) -> None:
    if action in actions_for(complaint):
        return
    if action == LOCK_ACCOUNT:
        # A phone-change request comes from the account's owner: never lock it.
        raise DomainError(NOT_AN_OWNERSHIP_DISPUTE.format(reference=complaint.reference))
    raise DomainError(NOT_A_PHONE_CHANGE.format(reference=complaint.reference))


def _end_sessions_and_record(
    citizen_id: int, reason: str, event: str, actor: str, complaint: Complaint, **details
) -> None:
    """After a resolution changed an account: its sessions end, then the audit row."""
    ended = end_citizen_sessions(citizen_id, reason=reason)
    audit.record(
        event,
        citizen_id=citizen_id,
        actor=actor,
        reason="complaint",
        reference=complaint.reference,
        ended_sessions=ended,
        **details,
    )


def resolve_complaint(reference: str, action: str, note: str, actor: str) -> Complaint:
    """Close an open complaint by ``reject``, ``lock-account`` (ownership dispute) or
    ``change-phone`` (phone-change request); DomainError if not possible."""
    if action not in ACTIONS:
        raise DomainError(UNKNOWN_ACTION.format(action=action))
    citizen = changed = None
    old_phone = ""
    try:
        complaint = find_complaint(reference, for_update=True)
        if complaint.status != OPEN:
            raise DomainError(
                COMPLAINT_CLOSED.format(reference=complaint.reference, status=complaint.status)
            )
        _check_fits(complaint, action)
        if action == LOCK_ACCOUNT:
            citizen = _lock_disputed_account(complaint)
            complaint.status = ACCOUNT_LOCKED
        elif action == CHANGE_PHONE:
            changed, old_phone = _change_phone(complaint)
            complaint.status = PHONE_CHANGED
        else:
            complaint.status = REJECTED
        complaint.resolution = action
        complaint.resolution_note = note
        complaint.resolved_by = actor
        complaint.resolved_at = clock().utcnow()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if citizen is not None:
        _end_sessions_and_record(
            citizen.id,
            "complaint",
            "citizen.locked",
            actor,
            complaint,
            released_id_number=complaint.id_number,
        )
    if changed is not None:
        _end_sessions_and_record(
            changed.id,
            "phone_changed",
            "phone.changed",
            actor,
            complaint,
            old=mask_phone(old_phone),
            new=mask_phone(changed.phone),
        )
    audit.record(
        "complaint.resolved",
        citizen_id=complaint.citizen_id,
        actor=actor,
        reference=complaint.reference,
        action=action,
    )
    return complaint
