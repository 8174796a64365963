"""Step 4: the registration details, checked all at once so every field's error shows.

Each field goes through its domain rule in ``idp.citizens``; the identity number is
checked against the date of birth and gender only when those two are valid themselves
(otherwise its own structure is still checked and reported).
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from idp.citizens.birth_date import parse_date_of_birth
from idp.citizens.email import normalize_email
from idp.citizens.identity_number import check_gender, validate_identity_number
from idp.citizens.names import normalize_full_name
from idp.citizens.phone import normalize_phone
from idp.errors import FormCheck, Problem, typed_fields

FIELDS = ("id_number", "full_name", "date_of_birth", "gender", "phone", "email")
MAX_FIELD_LENGTH = 200


@dataclass(frozen=True)
class Details:
    """Checked and normalized details, as stored in the flow and given to create_citizen."""

    id_number: str
    full_name: str
    date_of_birth: str  # YYYY-MM-DD
    gender: str
    phone: str  # E.164
    email: str | None

    def as_dict(self) -> dict[str, str | None]:
        return dict(self.__dict__)


def typed_values(form: MultiDict) -> dict[str, str]:
    """What the citizen typed, per field (cut to a sane length), to show back on errors."""
    return typed_fields(form, FIELDS, MAX_FIELD_LENGTH)


def check_details(typed: dict[str, str]) -> tuple[Details | None, dict[str, Problem]]:
    """The normalized details, or None and every field's problem."""
    form = FormCheck(typed)
    gender = form.field("gender", check_gender)
    born = form.field("date_of_birth", parse_date_of_birth)
    identity = form.field(
        "id_number",
        lambda number: validate_identity_number(number, date_of_birth=born, gender=gender),
    )
    name = form.field("full_name", normalize_full_name)
    phone = form.field("phone", normalize_phone)
    email = form.field("email", normalize_email)
    if form.problems:
        # In the form's order: the error summary lists them as the page shows the fields.
        return None, {field: form.problems[field] for field in FIELDS if field in form.problems}
    assert identity and name and phone and born and gender
    details = Details(
        id_number=identity.number,
        full_name=name,
        date_of_birth=born.isoformat(),
        gender=gender,
        phone=phone,
        email=email,
    )
    return details, {}
