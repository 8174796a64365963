"""Rules for the citizen's full name (họ và tên), with or without Vietnamese diacritics."""

from __future__ import annotations

import re
import unicodedata

from idp.errors import DomainError, Problem

FIELD = "full_name"
MIN_LENGTH = 2
MAX_LENGTH = 100

# Apostrophes that keyboards and word processors substitute for the ASCII one.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_WORD_PUNCTUATION = "'-"
# A word is letters, optionally joined by single apostrophes or hyphens (H'Hen, Y-Ngông).
_WORD_SHAPE = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")

NAME_REQUIRED = Problem("full_name.required", "Vui lòng nhập họ và tên.", FIELD)
NAME_TOO_SHORT = Problem(
    "full_name.too_short", f"Họ và tên phải có ít nhất {MIN_LENGTH} ký tự.", FIELD
)
NAME_TOO_LONG = Problem(
    "full_name.too_long", f"Họ và tên không được dài quá {MAX_LENGTH} ký tự.", FIELD
)
NAME_INVALID_CHARACTERS = Problem(
    "full_name.invalid_characters",
    "Họ và tên chỉ được chứa chữ cái (có hoặc không có dấu tiếng Việt), dấu cách, "
    "dấu nháy đơn (') và dấu gạch nối (-); không được chứa chữ số hay ký hiệu khác.",
    FIELD,
)
NAME_MISPLACED_PUNCTUATION = Problem(
    "full_name.misplaced_punctuation",
    "Dấu nháy đơn (') và dấu gạch nối (-) trong họ và tên chỉ được đặt giữa hai chữ cái, "
    "ví dụ H'Hen hoặc Y-Ngông.",
    FIELD,
)


def _is_allowed(char: str) -> bool:
    """A space, an apostrophe, a hyphen or a letter of the Latin script (with diacritics)."""
    if char == " " or char in _WORD_PUNCTUATION:
        return True
    is_letter = unicodedata.category(char).startswith("L")
    return is_letter and unicodedata.name(char, "").startswith("LATIN ")


def _capitalize(word: str) -> str:
    """Upper-case the first letter of the word and of each part after ' or -."""
    out: list[str] = []
    start = True
    for char in word.lower():
        if start:
            upper = char.upper()
            out.append(upper if len(upper) == 1 else char)
        else:
            out.append(char)
        start = char in _WORD_PUNCTUATION
    return "".join(out)


def normalize_full_name(raw: str) -> str:
    """NFC-normalize, collapse whitespace and title-case a full name, or raise DomainError."""
    text = unicodedata.normalize("NFC", (raw or "").translate(_APOSTROPHES))
    words = text.split()
    if not words:
        raise DomainError(NAME_REQUIRED)
    name = " ".join(words)
    if not all(_is_allowed(char) for char in name):
        raise DomainError(NAME_INVALID_CHARACTERS)
    if not all(_WORD_SHAPE.fullmatch(word) for word in words):
        raise DomainError(NAME_MISPLACED_PUNCTUATION)
    if len(name) < MIN_LENGTH:
        raise DomainError(NAME_TOO_SHORT)
    if len(name) > MAX_LENGTH:
        raise DomainError(NAME_TOO_LONG)
    return unicodedata.normalize("NFC", " ".join(_capitalize(word) for word in words))
