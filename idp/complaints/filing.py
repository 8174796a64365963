"""Filing a complaint: the form's rules (all errors at once) and the one-transaction insert.

The identity number is checked for its structure only (the complainant may not remember
the details the other account was registered with); contact phone and e-mail follow the
account rules. The reference shown to the complainant is ``KN-<year>-<number>``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from idp import audit
from idp.citizens.birth_date import today_in_vietnam
from idp.citizens.email import normalize_email
from idp.citizens.identity_number import validate_identity_number
from idp.citizens.models import Citizen
from idp.citizens.names import normalize_full_name
from idp.citizens.phone import normalize_phone
from idp.complaints.evidence import EvidenceFile
from idp.complaints.models import OWNERSHIP, Complaint, ComplaintEvidence
from idp.errors import DomainError, FormCheck, Problem, typed_fields
from idp.extensions import db

FIELDS = ("id_number", "full_name", "phone", "email", "description")
DESCRIPTION_MIN = 20
DESCRIPTION_MAX = 4000

DESCRIPTION_REQUIRED = Problem(
    "description.required", "Vui lòng mô tả nội dung khiếu nại.", "description"
)
DESCRIPTION_TOO_SHORT = Problem(
    "description.too_short",
    "Nội dung khiếu nại cần ít nhất {min_chars} ký tự để được xem xét.",
    "description",
).format(min_chars=DESCRIPTION_MIN)
DESCRIPTION_TOO_LONG = Problem(
    "description.too_long",
    "Nội dung khiếu nại không được dài quá {max_chars} ký tự.",
    "description",
).format(max_chars=DESCRIPTION_MAX)


@dataclass(frozen=True)
class ComplaintForm:
    """The complainant's checked details."""

    id_number: str
    full_name: str
    phone: str
    email: str | None
    description: str


def typed_values(form: MultiDict) -> dict[str, str]:
    """What was typed, per field (cut to a sane length), to show back on errors."""
    return typed_fields(form, FIELDS, 200, description=DESCRIPTION_MAX + 100)


def normalize_description(raw: str) -> str:
    """NFC text without control characters other than line breaks and tabs."""
    text = unicodedata.normalize("NFC", (raw or "").replace("\r\n", "\n"))
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = text.strip()
    if not text:
        raise DomainError(DESCRIPTION_REQUIRED)
    if len(text) < DESCRIPTION_MIN:
        raise DomainError(DESCRIPTION_TOO_SHORT)
    if len(text) > DESCRIPTION_MAX:
        raise DomainError(DESCRIPTION_TOO_LONG)
    return text


def check_complaint(typed: dict[str, str]) -> tuple[ComplaintForm | None, dict[str, Problem]]:
    """The checked form, or None and every field's problem."""
    form = FormCheck(typed)
    identity = form.field("id_number", validate_identity_number)
    name = form.field("full_name", normalize_full_name)
    phone = form.field("phone", normalize_phone)
    email = form.field("email", normalize_email)
    text = form.field("description", normalize_description)
    if form.problems:
        return None, form.problems
    assert identity and name and phone and text
    return ComplaintForm(identity.number, name, phone, email, text), {}


def file_complaint(
    form: ComplaintForm, evidence: list[EvidenceFile], kind: str = OWNERSHIP
) -> Complaint:
    """Store the complaint and its files in one transaction; returns it with its reference."""
    holder = db.session.scalar(db.select(Citizen.id).filter_by(id_number=form.id_number))
    complaint = Complaint(
        kind=kind,
        id_number=form.id_number,
        full_name=form.full_name,
        phone=form.phone,
        email=form.email,
        description=form.description,
        citizen_id=holder,
    )
    complaint.evidence = [
        ComplaintEvidence(
            filename=f.filename,
            content_type=f.content_type,
            size=len(f.data),
            sha256=f.sha256,
            data=f.data,
        )
        for f in evidence
    ]
    db.session.add(complaint)
    try:
        db.session.flush()
        complaint.reference = f"KN-{today_in_vietnam().year}-{complaint.id:06d}"
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    audit.record(
        "complaint.filed",
        citizen_id=holder,
        actor="complainant",
        reference=complaint.reference,
        evidence_files=len(evidence),
        kind=kind,
    )
    return complaint
