"""Changing the account's phone number: a small flow in the flow store.

States: (the new number passes the "chính chủ" check and is no other account's number)
→ ``old_otp`` (a code to the old number) → ``new_otp`` (a code to the new number) → the
number is changed (if still no other account's). Each number's code has its own OTP
subject (``<flow>:old``, ``<flow>:new``), so a code sent to one number never confirms the
other.

When the old number is lost the citizen gives the new number (still "chính chủ") and a
reason; only the new number confirms with a code, and the request goes to the operators'
complaint queue as a complaint of kind ``phone_change`` instead of changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from idp import audit
from idp.abuse.sms_pumping import send_otp
from idp.citizens.creation import phone_used_by_another
from idp.citizens.models import Citizen
from idp.citizens.phone import mask_phone, normalize_phone
from idp.complaints.filing import ComplaintForm, file_complaint, normalize_description
from idp.complaints.models import PHONE_CHANGE, Complaint
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.flows.flow import (
    FLOW_NOT_FOUND,
    Flow,
    FlowData,
    create_flow,
    finish_flow,
    flow_data,
    load_flow,
    save_flow,
)
from idp.otp import OtpState
from idp.services import services
from idp.subscribers import SUBSCRIBER_MISMATCH, check_subscriber

KIND = "phone_change"
OLD_OTP = "old_otp"
NEW_OTP = "new_otp"
PURPOSE = "change_phone"
FIELD = "phone"

PHONE_UNCHANGED = Problem(
    "phone_change.unchanged",
    "Số điện thoại mới trùng với số điện thoại hiện tại của tài khoản.",
    FIELD,
)
PHONE_OF_ANOTHER_ACCOUNT = Problem(
    "phone_change.taken",
    "Số điện thoại này đang được dùng cho một tài khoản khác trên Cổng Dịch vụ công Quốc gia. "
    "Vui lòng dùng số điện thoại khác.",
    FIELD,
)
PHONE_CHANGED_MEANWHILE = Problem(
    "phone_change.changed_meanwhile",
    "Số điện thoại của tài khoản đã thay đổi trong lúc bạn thao tác. Vui lòng bắt đầu lại.",
)


def check_new_phone(citizen: Citizen, raw: str) -> str:
    """The new number in E.164 if it may replace the current one ("chính chủ" checked,
    no other account has it).

    Raises DomainError for a bad, unchanged, not "chính chủ" or another account's number,
    and ``ServiceUnavailable`` when the "chính chủ" check cannot answer. The other-account
    check comes after the "chính chủ" one, so it only ever speaks about a number registered
    to the citizen's own identity number (no probing whether any number has an account).
    """
    phone = normalize_phone(raw)
    if phone == citizen.phone:
        raise DomainError(PHONE_UNCHANGED)
    if not check_subscriber(phone, citizen.id_number):
        audit.record("phone_change.subscriber_mismatch", citizen_id=citizen.id)
        raise DomainError(SUBSCRIBER_MISMATCH)
    if phone_used_by_another(phone, citizen.id):
        audit.record("phone_change.phone_taken", citizen_id=citizen.id)
        raise DomainError(PHONE_OF_ANOTHER_ACCOUNT)
    return phone


def _subject(flow: Flow, which: str) -> str:
    return f"{flow.id}:{which}"


def which_number(flow: Flow) -> str:
    """``old`` or ``new``: the number the current step's code goes to."""
    return "old" if flow.state == OLD_OTP else "new"


def phone_of_step(flow: Flow) -> str:
    """The number (E.164) the current step's code goes to."""
    return flow.data.old_phone if flow.state == OLD_OTP else flow.data.new_phone


def send_code(flow: Flow) -> OtpState:
    """Send (or resend) the current step's code, under the OTP rules."""
    state = send_otp(_subject(flow, which_number(flow)), phone_of_step(flow), PURPOSE)
    audit.record(
        "otp.sent", citizen_id=flow.data.citizen_id, purpose=PURPOSE, to=which_number(flow)
    )
    return state


def code_state(flow: Flow) -> OtpState | None:
    """The current step's code clocks, for the OTP page."""
    return services().otp.state(_subject(flow, which_number(flow)))


@flow_data(KIND)
@dataclass
class PhoneChangeData(FlowData):
    citizen_id: int
    old_phone: str
    new_phone: str
    lost_old: bool  # the old number is lost: a request to the operators
    reason: str | None = None  # why (old number lost)


def _start(citizen: Citizen, state: str, new_phone: str, **data: Any) -> Flow:
    record = PhoneChangeData(citizen.id, citizen.phone, new_phone, **data)
    flow = create_flow(KIND, state, record)
    try:
        send_code(flow)
    except Exception:
        finish_flow(flow)  # nothing was sent: no half-started change is left behind
        raise
    return flow


def start_change(citizen: Citizen, new_phone: str) -> Flow:
    """Begin the change: a code goes to the old number first."""
    return _start(citizen, OLD_OTP, new_phone, lost_old=False)


def start_lost_phone_request(citizen: Citizen, new_phone: str, reason: str) -> Flow:
    """Begin a request for operators (the old number is lost): a code to the new number."""
    description = normalize_description(reason)
    return _start(citizen, NEW_OTP, new_phone, lost_old=True, reason=description)


def load_change(flow_id: str | None, citizen_id: int, *states: str) -> Flow:
    """This browser's phone-change flow of this citizen, in one of ``states``."""
    flow = load_flow(KIND, flow_id, *states)
    if flow.data.citizen_id != citizen_id:
        raise DomainError(FLOW_NOT_FOUND)
    return flow


def verify_code(flow: Flow, code: str) -> None:
    """Accept the current step's code, or DomainError (the OTP step records the events)."""
    services().otp.verify(_subject(flow, which_number(flow)), code)


def old_number_confirmed(flow: Flow) -> None:
    """The old number's code was accepted: a code goes to the new number."""
    flow.state = NEW_OTP
    save_flow(flow)
    try:
        send_code(flow)
    except DomainError:
        pass  # e.g. the new number's hourly limit: its page then offers "Gửi lại OTP"


def new_number_confirmed(flow: Flow, citizen: Citizen) -> Complaint | None:
    """The new number's code was accepted: the change is made, or (old number lost) the
    complaint filed; DomainError when it can no longer be."""
    if not finish_flow(flow):
        raise DomainError(FLOW_NOT_FOUND)  # a concurrent request completed it first
    if citizen.phone != flow.data.old_phone:
        raise DomainError(PHONE_CHANGED_MEANWHILE)
    if flow.data.lost_old:
        return _file_request(flow, citizen)  # operators check the number again (resolution)
    if phone_used_by_another(flow.data.new_phone, citizen.id):
        raise DomainError(PHONE_OF_ANOTHER_ACCOUNT)  # taken since the change started
    citizen.phone = flow.data.new_phone
    db.session.commit()
    audit.record(
        "phone.changed",
        citizen_id=citizen.id,
        old=mask_phone(flow.data.old_phone),
        new=mask_phone(citizen.phone),
    )
    return None


def _file_request(flow: Flow, citizen: Citizen) -> Complaint:
    form = ComplaintForm(
        id_number=citizen.id_number,
        full_name=citizen.full_name,
        phone=flow.data.new_phone,
        email=citizen.email,
        description=flow.data.reason,
    )
    complaint = file_complaint(form, [], kind=PHONE_CHANGE)
    audit.record(
        "phone_change.requested",
        citizen_id=citizen.id,
        reference=complaint.reference,
        old=mask_phone(flow.data.old_phone),
        new=mask_phone(flow.data.new_phone),
    )
    return complaint
