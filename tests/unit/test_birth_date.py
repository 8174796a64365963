"""Unit tests for the date-of-birth rules."""

from __future__ import annotations

import datetime
import unicodedata

import pytest

from idp.citizens import birth_date
from idp.citizens.birth_date import age_on, parse_date_of_birth, today_in_vietnam
from idp.errors import DomainError

D = datetime.date
TODAY = D(2025, 6, 15)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1990-05-31", D(1990, 5, 31)),
        (" 1990-05-31 ", D(1990, 5, 31)),
        ("2000-02-29", D(2000, 2, 29)),
        ("2011-06-15", D(2011, 6, 15)),  # 14 today
        ("1905-06-15", D(1905, 6, 15)),  # 120 today
        ("1904-06-16", D(1904, 6, 16)),  # 120 until tomorrow
    ],
)
def test_valid_dates(raw: str, expected: datetime.date) -> None:
    assert parse_date_of_birth(raw, today=TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", birth_date.DOB_REQUIRED),
        ("   ", birth_date.DOB_REQUIRED),
        ("31/05/1990", birth_date.DOB_BAD_FORMAT),
        ("1990-5-31", birth_date.DOB_BAD_FORMAT),
        ("19900531", birth_date.DOB_BAD_FORMAT),
        ("1990-05-31T00:00", birth_date.DOB_BAD_FORMAT),
        ("ngày 31", birth_date.DOB_BAD_FORMAT),
        ("1990-02-30", birth_date.DOB_NOT_A_DATE),
        ("1990-13-01", birth_date.DOB_NOT_A_DATE),
        ("2001-02-29", birth_date.DOB_NOT_A_DATE),
        ("0000-01-01", birth_date.DOB_NOT_A_DATE),
        ("2025-06-16", birth_date.DOB_IN_FUTURE),
        ("2090-01-01", birth_date.DOB_IN_FUTURE),
        ("1904-06-15", birth_date.DOB_TOO_OLD),  # 121 today
        ("1800-01-01", birth_date.DOB_TOO_OLD),
        ("2011-06-16", birth_date.DOB_TOO_YOUNG),  # 14 tomorrow
        ("2025-06-15", birth_date.DOB_TOO_YOUNG),  # born today
    ],
)
def test_refused_dates(raw: str, problem: object) -> None:
    with pytest.raises(DomainError) as caught:
        parse_date_of_birth(raw, today=TODAY)
    assert caught.value.problem == problem


@pytest.mark.parametrize(
    ("dob", "day", "age"),
    [
        (D(2000, 2, 29), D(2014, 2, 28), 13),
        (D(2000, 2, 29), D(2014, 3, 1), 14),
        (D(1990, 12, 31), D(2025, 12, 30), 34),
        (D(1990, 12, 31), D(2025, 12, 31), 35),
    ],
)
def test_age_on(dob: datetime.date, day: datetime.date, age: int) -> None:
    assert age_on(dob, day) == age


def test_default_today_is_vietnam_today() -> None:
    def vietnam_date() -> datetime.date:
        return (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=7)).date()

    before = vietnam_date()
    today = today_in_vietnam()
    assert today in {before, vietnam_date()}
    assert parse_date_of_birth("1990-05-31") == D(1990, 5, 31)


def test_problems_are_on_the_date_field_and_in_nfc() -> None:
    problems = [
        birth_date.DOB_REQUIRED,
        birth_date.DOB_BAD_FORMAT,
        birth_date.DOB_NOT_A_DATE,
        birth_date.DOB_IN_FUTURE,
        birth_date.DOB_TOO_OLD,
        birth_date.DOB_TOO_YOUNG,
    ]
    assert len({problem.code for problem in problems}) == len(problems)
    for problem in problems:
        assert problem.field == "date_of_birth"
        assert unicodedata.is_normalized("NFC", problem.message)
