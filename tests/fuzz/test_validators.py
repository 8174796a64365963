"""Property tests over the domain validators: any text either passes with a normalised
value that passes again unchanged, or is refused with a Vietnamese ``Problem``."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from idp.citizens.birth_date import parse_date_of_birth
from idp.citizens.email import normalize_email
from idp.citizens.identity_number import validate_identity_number
from idp.citizens.names import normalize_full_name
from idp.citizens.phone import mask_phone, normalize_phone
from idp.errors import DomainError

BOUNDED = settings(max_examples=150, deadline=None)
ANY_TEXT = st.text(max_size=80)
DIGITISH = st.text(alphabet="0123456789 .+-", max_size=20)


def _outcome(validate, raw):
    try:
        return validate(raw), None
    except DomainError as exc:
        assert exc.problem.message == unicodedata.normalize("NFC", exc.problem.message)
        assert exc.problem.code
        return None, exc.problem


@BOUNDED
@given(st.one_of(ANY_TEXT, DIGITISH))
def test_phone_is_idempotent_or_refused(raw):
    value, problem = _outcome(normalize_phone, raw)
    if problem is None:
        assert value.startswith("+84") and value[1:].isdigit()
        assert normalize_phone(value) == value
        assert "****" in mask_phone(value)


@BOUNDED
@given(st.one_of(ANY_TEXT, DIGITISH))
def test_identity_number_is_idempotent_or_refused(raw):
    value, problem = _outcome(validate_identity_number, raw)
    if problem is None:
        assert value.number.isdigit() and len(value.number) in (9, 12)
        assert validate_identity_number(value.number).number == value.number


@BOUNDED
@given(ANY_TEXT)
def test_full_name_is_idempotent_or_refused(raw):
    value, problem = _outcome(normalize_full_name, raw)
    if problem is None:
        assert normalize_full_name(value) == value
        assert value == unicodedata.normalize("NFC", value)


@BOUNDED
@given(st.one_of(ANY_TEXT, st.dates().map(str)))
def test_date_of_birth_parses_or_is_refused(raw):
    _outcome(parse_date_of_birth, raw)


@BOUNDED
@given(ANY_TEXT)
def test_email_is_idempotent_or_refused(raw):
    value, problem = _outcome(normalize_email, raw)
    if problem is None and value is not None:
        assert normalize_email(value) == value
