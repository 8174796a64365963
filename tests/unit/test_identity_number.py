"""Unit tests for the CMND/CCCD rules."""

from __future__ import annotations

import datetime
import unicodedata

import pytest

from idp.citizens import identity_number as idn
from idp.citizens.identity_number import (
    PROVINCE_CODES,
    IdentityNumber,
    mask_identity_number,
    normalize_identity_number,
    validate_identity_number,
)
from idp.errors import DomainError

D = datetime.date


def test_province_codes_are_the_63_official_ones() -> None:
    assert len(PROVINCE_CODES) == 63
    assert len(set(PROVINCE_CODES.values())) == 63
    assert all(len(code) == 3 and code.isdigit() for code in PROVINCE_CODES)
    assert min(PROVINCE_CODES) == "001"
    assert max(PROVINCE_CODES) == "096"
    assert all(unicodedata.is_normalized("NFC", name) for name in PROVINCE_CODES.values())
    assert PROVINCE_CODES["001"] == "Hà Nội"
    assert PROVINCE_CODES["066"] == "Đắk Lắk"
    assert PROVINCE_CODES["079"] == "Hồ Chí Minh"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("066095001234", "066095001234"),
        ("  066095001234\t", "066095001234"),
        ("066 095 001 234", "066095001234"),
        ("066.095.001.234", "066095001234"),
        ("123 456 789", "123456789"),
        ("０６６０９５００１２３４", "066095001234"),  # full-width digits
    ],
)
def test_normalize_identity_number(raw: str, expected: str) -> None:
    assert normalize_identity_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "dob", "gender", "expected"),
    [
        # Đắk Lắk, male, 1995
        (
            "066095001234",
            D(1995, 3, 1),
            "male",
            IdentityNumber("066095001234", "CCCD", "066", "Đắk Lắk", "male", 1900, 1995),
        ),
        # Hà Nội, female, 2000
        (
            "001300012345",
            D(2000, 12, 31),
            "female",
            IdentityNumber("001300012345", "CCCD", "001", "Hà Nội", "female", 2000, 2000),
        ),
        # Hồ Chí Minh, male, 2003
        (
            "079203004567",
            D(2003, 7, 7),
            "male",
            IdentityNumber("079203004567", "CCCD", "079", "Hồ Chí Minh", "male", 2000, 2003),
        ),
        # Cà Mau, female, 1988, without date of birth or gender to check against
        (
            "096188123456",
            None,
            None,
            IdentityNumber("096188123456", "CCCD", "096", "Cà Mau", "female", 1900, 1988),
        ),
        # Đà Nẵng, 22nd century female (digit 5)
        (
            "048510000001",
            D(2110, 1, 1),
            "female",
            IdentityNumber("048510000001", "CCCD", "048", "Đà Nẵng", "female", 2100, 2110),
        ),
        # Thừa Thiên Huế, 23rd century male (digit 6)
        (
            "046642000001",
            D(2242, 1, 1),
            "male",
            IdentityNumber("046642000001", "CCCD", "046", "Thừa Thiên Huế", "male", 2200, 2242),
        ),
        # Bà Rịa - Vũng Tàu, 24th century female (digit 9)
        (
            "077999000001",
            None,
            "female",
            IdentityNumber(
                "077999000001", "CCCD", "077", "Bà Rịa - Vũng Tàu", "female", 2300, 2399
            ),
        ),
        # spaced input is normalized
        (
            "066 095 001 234",
            D(1995, 3, 1),
            "male",
            IdentityNumber("066095001234", "CCCD", "066", "Đắk Lắk", "male", 1900, 1995),
        ),
        # CMND: 9 digits, no structure
        ("123456789", D(1970, 1, 1), "female", IdentityNumber("123456789", "CMND")),
        ("024.681.357", None, None, IdentityNumber("024681357", "CMND")),
    ],
)
def test_valid_identity_numbers(
    raw: str, dob: datetime.date | None, gender: str | None, expected: IdentityNumber
) -> None:
    assert validate_identity_number(raw, date_of_birth=dob, gender=gender) == expected


@pytest.mark.parametrize(
    ("raw", "dob", "gender", "problem"),
    [
        # required / digits / length
        ("", None, None, idn.ID_REQUIRED),
        ("   ", None, None, idn.ID_REQUIRED),
        ("06609500123A", None, None, idn.ID_NOT_DIGITS),
        ("C1234567", None, None, idn.ID_NOT_DIGITS),
        ("066-095-001234", None, None, idn.ID_NOT_DIGITS),
        ("12345678", None, None, idn.ID_BAD_LENGTH),  # 8 digits
        ("0660950012", None, None, idn.ID_BAD_LENGTH),  # 10 digits
        ("06609500123", None, None, idn.ID_BAD_LENGTH),  # 11 digits
        ("0660950012345", None, None, idn.ID_BAD_LENGTH),  # 13 digits
        # CMND of zeros
        ("000000000", None, None, idn.CMND_INVALID),
        # bad province codes
        ("000095001234", None, None, idn.CCCD_BAD_PROVINCE),
        ("003095001234", None, None, idn.CCCD_BAD_PROVINCE),
        ("097095001234", None, None, idn.CCCD_BAD_PROVINCE),
        ("099095001234", None, None, idn.CCCD_BAD_PROVINCE),
        ("100095001234", None, None, idn.CCCD_BAD_PROVINCE),
        ("000000000000", None, None, idn.CCCD_BAD_PROVINCE),
        # gender digit disagrees with the gender given
        ("066095001234", D(1995, 3, 1), "female", idn.CCCD_GENDER_MISMATCH),
        ("001300012345", None, "male", idn.CCCD_GENDER_MISMATCH),
        # century digit disagrees with the year of birth (last two digits agree)
        ("079203004567", D(1903, 7, 7), "male", idn.CCCD_CENTURY_MISMATCH),
        ("066095001234", D(2095, 3, 1), "male", idn.CCCD_CENTURY_MISMATCH),
        # year digits disagree with the year of birth (century agrees)
        ("066095001234", D(1996, 3, 1), "male", idn.CCCD_YEAR_MISMATCH),
        ("001300012345", D(2001, 1, 1), None, idn.CCCD_YEAR_MISMATCH),
        # several disagreements: the gender is reported first
        ("066095001234", D(2001, 1, 1), "female", idn.CCCD_GENDER_MISMATCH),
        # gender outside the two form values
        ("066095001234", None, "other", idn.GENDER_INVALID),
    ],
)
def test_invalid_identity_numbers(
    raw: str, dob: datetime.date | None, gender: str | None, problem: object
) -> None:
    with pytest.raises(DomainError) as caught:
        validate_identity_number(raw, date_of_birth=dob, gender=gender)
    assert caught.value.problem == problem


def test_problems_are_on_their_field_and_in_nfc() -> None:
    problems = [
        idn.ID_REQUIRED,
        idn.ID_NOT_DIGITS,
        idn.ID_BAD_LENGTH,
        idn.CMND_INVALID,
        idn.CCCD_BAD_PROVINCE,
        idn.CCCD_GENDER_MISMATCH,
        idn.CCCD_CENTURY_MISMATCH,
        idn.CCCD_YEAR_MISMATCH,
    ]
    assert len({problem.code for problem in problems}) == len(problems)
    for problem in problems:
        assert problem.field == "id_number"
        assert unicodedata.is_normalized("NFC", problem.message)
    assert "9 chữ số" in idn.ID_BAD_LENGTH.message
    assert "12 chữ số" in idn.ID_BAD_LENGTH.message


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("066095123789", "066******789"),
        ("123456789", "123***789"),
    ],
)
def test_mask_identity_number(number: str, masked: str) -> None:
    assert mask_identity_number(number) == masked
