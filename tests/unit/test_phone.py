"""Unit tests for the phone number rules."""

from __future__ import annotations

import unicodedata

import pytest

from idp.citizens import phone
from idp.citizens.phone import carrier_of, mask_phone, national_format, normalize_phone
from idp.errors import DomainError


@pytest.mark.parametrize(
    "raw",
    [
        "0912345678",
        "+84912345678",
        "84912345678",
        "0084912345678",
        "0912 345 678",
        "091 234 5678",
        "+84 912 345 678",
        "091.234.5678",
        "0912-345-678",
        "(091) 234-5678",
        "  0912345678  ",
        "+84 (0)912 345 678",
        "０９１２３４５６７８",  # full-width digits
    ],
)
def test_every_accepted_spelling_gives_e164(raw: str) -> None:
    assert normalize_phone(raw) == "+84912345678"


@pytest.mark.parametrize(
    ("raw", "carrier"),
    [
        # Viettel
        ("0862345678", "Viettel"),
        ("0962345678", "Viettel"),
        ("0972345678", "Viettel"),
        ("0982345678", "Viettel"),
        ("0322345678", "Viettel"),
        ("0352345678", "Viettel"),
        ("0392345678", "Viettel"),
        # Vinaphone
        ("0882345678", "Vinaphone"),
        ("0912345678", "Vinaphone"),
        ("0942345678", "Vinaphone"),
        ("0812345678", "Vinaphone"),
        ("0852345678", "Vinaphone"),
        # MobiFone
        ("0898345678", "MobiFone"),
        ("0902345678", "MobiFone"),
        ("0932345678", "MobiFone"),
        ("0702345678", "MobiFone"),
        ("0762345678", "MobiFone"),
        ("0792345678", "MobiFone"),
        # Vietnamobile
        ("0922345678", "Vietnamobile"),
        ("0522345678", "Vietnamobile"),
        ("0562345678", "Vietnamobile"),
        ("0582345678", "Vietnamobile"),
        # Gmobile
        ("0993345678", "Gmobile"),
        ("0592345678", "Gmobile"),
        # Itelecom
        ("0872345678", "Itelecom"),
        ("0998345678", "Itelecom"),
        # Wintel (formerly Reddi)
        ("0559345678", "Wintel"),
    ],
)
def test_carriers(raw: str, carrier: str) -> None:
    e164 = normalize_phone(raw)
    assert e164 == "+84" + raw[1:]
    assert carrier_of(e164) == carrier


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        # empty
        ("", phone.PHONE_REQUIRED),
        ("   ", phone.PHONE_REQUIRED),
        # not a number, wrong length
        ("abc", phone.PHONE_INVALID),
        ("09l2345678", phone.PHONE_INVALID),
        ("091234567", phone.PHONE_INVALID),
        ("09123456789", phone.PHONE_INVALID),
        ("+84", phone.PHONE_INVALID),
        ("123", phone.PHONE_INVALID),
        ("0912+345678", phone.PHONE_INVALID),
        # landlines
        ("024 3765 4321", phone.PHONE_LANDLINE),  # Hà Nội
        ("028 3812 3456", phone.PHONE_LANDLINE),  # Hồ Chí Minh
        ("02623 812 345", phone.PHONE_LANDLINE),  # Đắk Lắk
        ("+842437654321", phone.PHONE_LANDLINE),
        ("0243765432", phone.PHONE_LANDLINE),  # landline with a digit missing
        # old 11-digit mobile numbers
        ("01689123456", phone.PHONE_OLD_MOBILE),  # Viettel 0168 -> 038
        ("0162 345 6789", phone.PHONE_OLD_MOBILE),  # Viettel 0162 -> 032
        ("01212345678", phone.PHONE_OLD_MOBILE),  # MobiFone 0121 -> 079
        ("+841239876543", phone.PHONE_OLD_MOBILE),  # Vinaphone 0123 -> 083
        # foreign numbers
        ("+14155552671", phone.PHONE_FOREIGN),
        ("+33612345678", phone.PHONE_FOREIGN),
        ("0014155552671", phone.PHONE_FOREIGN),
        ("+85512345678", phone.PHONE_FOREIGN),
        # well-formed but not a mobile prefix or an unallocated mobile range
        ("0532345678", phone.PHONE_NOT_MOBILE),
        ("0312345678", phone.PHONE_NOT_MOBILE),
        ("0892345678", phone.PHONE_NOT_MOBILE),
        ("18001234", phone.PHONE_NOT_MOBILE),
        ("19001234", phone.PHONE_NOT_MOBILE),
    ],
)
def test_refused_numbers(raw: str, problem: object) -> None:
    with pytest.raises(DomainError) as caught:
        normalize_phone(raw)
    assert caught.value.problem == problem


def test_problems_are_distinct_on_the_phone_field_and_in_nfc() -> None:
    problems = [
        phone.PHONE_REQUIRED,
        phone.PHONE_INVALID,
        phone.PHONE_LANDLINE,
        phone.PHONE_OLD_MOBILE,
        phone.PHONE_FOREIGN,
        phone.PHONE_NOT_MOBILE,
    ]
    assert len({problem.code for problem in problems}) == len(problems)
    for problem in problems:
        assert problem.field == "phone"
        assert unicodedata.is_normalized("NFC", problem.message)
    assert "2018" in phone.PHONE_OLD_MOBILE.message
    assert "cố định" in phone.PHONE_LANDLINE.message


@pytest.mark.parametrize(
    ("e164", "national", "masked"),
    [
        ("+84912345678", "0912345678", "091****678"),
        ("+84862000111", "0862000111", "086****111"),
        ("+84559345678", "0559345678", "055****678"),
    ],
)
def test_national_format_and_mask(e164: str, national: str, masked: str) -> None:
    assert national_format(e164) == national
    assert mask_phone(e164) == masked


@pytest.mark.parametrize(
    "e164",
    ["+14155552671", "0912345678", "+8491234567", ""],
)
def test_formatting_refuses_what_is_not_a_stored_number(e164: str) -> None:
    assert carrier_of(e164) is None
    with pytest.raises(ValueError):
        national_format(e164)
    with pytest.raises(ValueError):
        mask_phone(e164)


def test_carrier_of_unknown_prefix() -> None:
    assert carrier_of("+84532345678") is None
