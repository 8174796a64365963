"""Unit tests for the full-name rules."""

from __future__ import annotations

import unicodedata

import pytest

from idp.citizens import names
from idp.citizens.names import normalize_full_name
from idp.errors import DomainError


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # with diacritics
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("Trần Thị Ánh Tuyết", "Trần Thị Ánh Tuyết"),
        ("Ngô Bảo Châu", "Ngô Bảo Châu"),
        # without diacritics
        ("Nguyen Van A", "Nguyen Van A"),
        ("le thi hong", "Le Thi Hong"),
        # capitalisation, Vietnamese style
        ("nguyễn văn an", "Nguyễn Văn An"),
        ("NGUYỄN VĂN AN", "Nguyễn Văn An"),
        ("đặng ĐỨC thắng", "Đặng Đức Thắng"),
        # NFD input becomes NFC
        (nfd("Nguyễn Thị Hương"), "Nguyễn Thị Hương"),
        (nfd("ĐOÀN THỊ ỨNG"), "Đoàn Thị Ứng"),
        # whitespace collapsed and stripped
        ("  Nguyễn   Văn\tAn \n", "Nguyễn Văn An"),
        ("Lê\u00a0Thị\u3000Hoa", "Lê Thị Hoa"),
        # apostrophe and hyphen inside a word (Tây Nguyên names)
        ("h'hen niê", "H'Hen Niê"),
        ("H’Hen Niê", "H'Hen Niê"),  # typographic apostrophe
        ("y-ngông niê kdăm", "Y-Ngông Niê Kdăm"),
        # one word is enough, two characters minimum
        ("An", "An"),
        # exactly 100 characters
        ("A" * 100, "A" + "a" * 99),
    ],
)
def test_valid_names(raw: str, expected: str) -> None:
    result = normalize_full_name(raw)
    assert result == expected
    assert unicodedata.is_normalized("NFC", result)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", names.NAME_REQUIRED),
        ("   \t ", names.NAME_REQUIRED),
        ("A", names.NAME_TOO_SHORT),
        (nfd("Ý"), names.NAME_TOO_SHORT),  # one letter once composed
        ("A" * 101, names.NAME_TOO_LONG),
        ("Nguyễn Văn " + "a" * 95, names.NAME_TOO_LONG),
        ("Nguyễn Văn 2", names.NAME_INVALID_CHARACTERS),
        ("Nguyen Van A1", names.NAME_INVALID_CHARACTERS),
        ("Nguyễn@Văn", names.NAME_INVALID_CHARACTERS),
        ("Nguyễn Văn An.", names.NAME_INVALID_CHARACTERS),
        ("Nguyễn_Văn", names.NAME_INVALID_CHARACTERS),
        ("<script>", names.NAME_INVALID_CHARACTERS),
        ("王小明", names.NAME_INVALID_CHARACTERS),
        ("Иван Петров", names.NAME_INVALID_CHARACTERS),
        ("Nguyễn - An", names.NAME_MISPLACED_PUNCTUATION),
        ("O'", names.NAME_MISPLACED_PUNCTUATION),
        ("-An", names.NAME_MISPLACED_PUNCTUATION),
        ("H''Hen", names.NAME_MISPLACED_PUNCTUATION),
    ],
)
def test_refused_names(raw: str, problem: object) -> None:
    with pytest.raises(DomainError) as caught:
        normalize_full_name(raw)
    assert caught.value.problem == problem


def test_problems_are_on_the_name_field_and_in_nfc() -> None:
    problems = [
        names.NAME_REQUIRED,
        names.NAME_TOO_SHORT,
        names.NAME_TOO_LONG,
        names.NAME_INVALID_CHARACTERS,
        names.NAME_MISPLACED_PUNCTUATION,
    ]
    assert len({problem.code for problem in problems}) == len(problems)
    for problem in problems:
        assert problem.field == "full_name"
        assert unicodedata.is_normalized("NFC", problem.message)
