"""Creating a citizen account: every domain rule checked, one transaction, one row.

The unique constraint on the identity number is the guard: of two concurrent creations
with the same number exactly one commits and the other gets ``ACCOUNT_EXISTS``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError

from idp import audit
from idp.citizens.birth_date import parse_date_of_birth
from idp.citizens.email import normalize_email
from idp.citizens.identity_number import check_gender, validate_identity_number
from idp.citizens.models import Citizen
from idp.citizens.names import normalize_full_name
from idp.citizens.password_policy import check_password, hash_password
from idp.citizens.phone import normalize_phone
from idp.errors import DomainError, Problem
from idp.extensions import db

ACCOUNT_EXISTS = Problem(
    "account.exists",
    "Số CMND/CCCD này đã có tài khoản trên Cổng Dịch vụ công Quốc gia.",
    "id_number",
)
#: The password hash of an account with no password: no argon2 hash, so nothing verifies.
NO_PASSWORD = "!"


def has_password(citizen: Citizen) -> bool:
    """Whether the citizen can sign in with a password (accounts made from an upstream
    identity have none until the citizen sets one)."""
    return citizen.password_hash != NO_PASSWORD


def account_exists(id_number: str) -> bool:
    return db.session.scalar(db.select(Citizen.id).filter_by(id_number=id_number)) is not None


def phone_used_by_another(phone_e164: str, citizen_id: int) -> bool:
    """Whether an account other than ``citizen_id`` (locked ones included) has this number."""
    query = db.select(Citizen.id).where(Citizen.phone == phone_e164, Citizen.id != citizen_id)
    return db.session.scalar(query.limit(1)) is not None


def create_citizen(
    *,
    id_number: str,
    full_name: str,
    date_of_birth: str,
    gender: str,
    phone: str,
    password: str | None,
    email: str | None = None,
    actor: str = "registration",
    password_confirm: str | None = None,
    with_rows: Callable[[Citizen], None] | None = None,
) -> Citizen:
    """Validate and insert a citizen; raises DomainError on any broken rule.

    ``password`` None: an account with no password yet (made from an upstream identity;
    the citizen may set one from the account page). ``with_rows(citizen)`` adds rows that
    must commit with the account or not at all (an upstream link).
    """
    check_gender(gender)
    born = parse_date_of_birth(date_of_birth)
    # The rules run in this order (the password last): the first broken one is the one said.
    citizen = Citizen(
        id_number=validate_identity_number(id_number, date_of_birth=born, gender=gender).number,
        full_name=normalize_full_name(full_name),
        date_of_birth=born,
        gender=gender,
        phone=normalize_phone(phone),
        email=normalize_email(email or ""),
        password_hash=NO_PASSWORD,
    )
    if password is not None:
        check_password(
            password, password_confirm, identity_number=citizen.id_number, phone_e164=citizen.phone
        )
        citizen.password_hash = hash_password(password)
    db.session.add(citizen)
    try:
        db.session.flush()  # the id for the audit row; a taken number fails here
        if with_rows is not None:
            with_rows(citizen)
            db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(ACCOUNT_EXISTS) from None
    audit.record("citizen.created", citizen_id=citizen.id, actor=actor, if_committed=True)
    try:
        db.session.commit()  # one commit: the account and its audit row
    except IntegrityError:
        db.session.rollback()
        raise DomainError(ACCOUNT_EXISTS) from None
    return citizen
