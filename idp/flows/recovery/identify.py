"""Step 1 of recovery: who is asking (user name = CMND/CCCD) and the registered phone.

Only the shape of the two fields is reported (empty, not digits, not a mobile number):
that says nothing about accounts. Whether they belong together is never shown.
"""

from __future__ import annotations

import hmac

from werkzeug.datastructures import MultiDict

from idp.citizens.identity_number import normalize_identity_number
from idp.citizens.models import Citizen
from idp.citizens.phone import normalize_phone
from idp.errors import FormCheck, Problem, typed_fields
from idp.extensions import db

FIELDS = ("username", "phone")
MAX_FIELD_LENGTH = 40


def typed_values(form: MultiDict) -> dict[str, str]:
    """What was typed, per field, to show back on errors."""
    return typed_fields(form, FIELDS, MAX_FIELD_LENGTH)


def read_identity(typed: dict[str, str]) -> tuple[tuple[str, str] | None, dict[str, Problem]]:
    """(identity number, phone in E.164), or None and each field's problem."""
    form = FormCheck(typed)
    number = form.field("username", normalize_identity_number)
    phone = form.field("phone", normalize_phone)
    return (None, form.problems) if form.problems else ((number, phone), {})


def find_account(id_number: str, phone_e164: str) -> Citizen | None:
    """The active account with this identity number and registered phone, else None."""
    citizen = db.session.scalar(db.select(Citizen).filter_by(id_number=id_number))
    if citizen is None or not citizen.is_active:
        return None
    return citizen if hmac.compare_digest(citizen.phone, phone_e164) else None
