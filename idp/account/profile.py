"""The profile the account page shows (sensitive numbers masked) and the e-mail change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from idp import audit
from idp.citizens.email import normalize_email
from idp.citizens.identity_number import mask_identity_number
from idp.citizens.models import Citizen
from idp.citizens.phone import carrier_of, mask_phone
from idp.extensions import db


@dataclass(frozen=True)
class Profile:
    """What the citizen sees of their own account."""

    full_name: str
    date_of_birth: date
    gender: str  # male | female
    masked_id_number: str
    masked_phone: str
    carrier: str | None
    email: str | None


def profile_of(citizen: Citizen) -> Profile:
    """The citizen's profile, with the identity number and phone masked."""
    return Profile(
        full_name=citizen.full_name,
        date_of_birth=citizen.date_of_birth,
        gender=citizen.gender,
        masked_id_number=mask_identity_number(citizen.id_number),
        masked_phone=mask_phone(citizen.phone),
        carrier=carrier_of(citizen.phone),
        email=citizen.email,
    )


def change_email(citizen: Citizen, raw: str) -> bool:
    """Set (or, when empty, remove) the e-mail; False if it did not change."""
    email = normalize_email(raw)
    if email == citizen.email:
        return False
    had_email = citizen.email is not None
    citizen.email = email
    db.session.commit()
    audit.record(
        "account.email_changed", citizen_id=citizen.id, had_email=had_email, has_email=bool(email)
    )
    return True
