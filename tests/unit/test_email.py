"""Unit tests for the optional e-mail address."""

from __future__ import annotations

import unicodedata

import pytest

from idp.citizens import email
from idp.citizens.email import normalize_email
from idp.errors import DomainError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", None),
        ("   ", None),
        (None, None),
        ("an.nguyen@example.com", "an.nguyen@example.com"),
        ("  an.nguyen@example.com  ", "an.nguyen@example.com"),
        ("An.Nguyen@Example.COM", "An.Nguyen@example.com"),
        ("cong.dan+dvc@daklak.gov.vn", "cong.dan+dvc@daklak.gov.vn"),
        ("nguyễn@example.vn", "nguyễn@example.vn"),
    ],
)
def test_accepted_emails(raw: str | None, expected: str | None) -> None:
    assert normalize_email(raw) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "raw",
    [
        "an.nguyen",
        "an.nguyen@",
        "@example.com",
        "an nguyen@example.com",
        "an..nguyen@example.com",
        "an@example",
        "an@localhost",
        "an@@example.com",
        "an@" + "b" * 64 + ".vn",  # domain label longer than 63
        "a" * 60 + "@" + ("b" * 60 + ".") * 4 + "vn",  # longer than 254
    ],
)
def test_refused_emails(raw: str) -> None:
    with pytest.raises(DomainError) as caught:
        normalize_email(raw)
    assert caught.value.problem == email.EMAIL_INVALID
    assert caught.value.problem.field == "email"
    assert unicodedata.is_normalized("NFC", caught.value.problem.message)
