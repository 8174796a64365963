"""Unit tests for the password rules and argon2id hashing."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from idp.citizens import password_policy as pp
from idp.citizens.password_policy import (
    check_password,
    configure_hasher,
    dummy_verify,
    hash_password,
    needs_rehash,
    verify_password,
)
from idp.errors import DomainError

ID = "066095001234"
PHONE = "+84912345678"

FAST = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


@pytest.fixture(autouse=True, scope="module")
def cheap_hasher() -> Iterator[None]:
    """Cheap parameters for speed; the defaults are back for whatever runs next."""
    configure_hasher(**FAST)
    yield
    configure_hasher()


@pytest.fixture
def reconfigured() -> Iterator[None]:
    """For tests that change the parameters: back to the cheap ones afterwards."""
    yield
    configure_hasher(**FAST)


@pytest.mark.parametrize(
    ("password", "confirm"),
    [
        ("matkhau123", "matkhau123"),
        ("Abcdefg1", "Abcdefg1"),
        ("mậtkhẩu2024", "mậtkhẩu2024"),
        ("mật khẩu 9 chữ", None),  # no confirmation to compare
        ("x1" * 64, "x1" * 64),  # 128 characters
        (unicodedata.normalize("NFD", "mậtkhẩu2024"), "mậtkhẩu2024"),
        ("066095001234a", "066095001234a"),  # contains the id number but is not it
    ],
)
def test_acceptable_passwords(password: str, confirm: str | None) -> None:
    check_password(password, confirm, identity_number=ID, phone_e164=PHONE)


@pytest.mark.parametrize(
    ("password", "confirm", "problem"),
    [
        ("", "", pp.PASSWORD_REQUIRED),
        ("abc123", "abc123", pp.PASSWORD_TOO_SHORT),
        ("abcdef1", "abcdef1", pp.PASSWORD_TOO_SHORT),
        ("x1" * 64 + "z", "x1" * 64 + "z", pp.PASSWORD_TOO_LONG),
        ("matkhaumoi", "matkhaumoi", pp.PASSWORD_NO_DIGIT),
        ("mậtkhẩumới", "mậtkhẩumới", pp.PASSWORD_NO_DIGIT),
        ("12345678", "12345678", pp.PASSWORD_NO_LETTER),
        ("1234-5678!", "1234-5678!", pp.PASSWORD_NO_LETTER),
        (ID, ID, pp.PASSWORD_SAME_AS_ID),
        (f"  {ID} ", f"  {ID} ", pp.PASSWORD_SAME_AS_ID),
        (PHONE, PHONE, pp.PASSWORD_SAME_AS_PHONE),
        ("0912345678", "0912345678", pp.PASSWORD_SAME_AS_PHONE),
        ("84912345678", "84912345678", pp.PASSWORD_SAME_AS_PHONE),
        (" 0912345678 ", " 0912345678 ", pp.PASSWORD_SAME_AS_PHONE),
        ("matkhau123", "matkhau124", pp.PASSWORD_CONFIRM_MISMATCH),
        ("matkhau123", "", pp.PASSWORD_CONFIRM_MISMATCH),
        ("MatKhau123", "matkhau123", pp.PASSWORD_CONFIRM_MISMATCH),
    ],
)
def test_refused_passwords(password: str, confirm: str | None, problem: object) -> None:
    with pytest.raises(DomainError) as caught:
        check_password(password, confirm, identity_number=ID, phone_e164=PHONE)
    assert caught.value.problem == problem


def test_same_as_id_is_case_insensitive() -> None:
    with pytest.raises(DomainError) as caught:
        check_password("b12345678", None, identity_number="B12345678", phone_e164=None)
    assert caught.value.problem == pp.PASSWORD_SAME_AS_ID


def test_without_id_or_phone_only_the_other_rules_apply() -> None:
    with pytest.raises(DomainError) as caught:
        check_password(ID, ID, identity_number=None, phone_e164=None)
    assert caught.value.problem == pp.PASSWORD_NO_LETTER


def test_problem_fields_and_messages() -> None:
    problems = [
        pp.PASSWORD_REQUIRED,
        pp.PASSWORD_TOO_SHORT,
        pp.PASSWORD_TOO_LONG,
        pp.PASSWORD_NO_LETTER,
        pp.PASSWORD_NO_DIGIT,
        pp.PASSWORD_SAME_AS_ID,
        pp.PASSWORD_SAME_AS_PHONE,
        pp.PASSWORD_CONFIRM_MISMATCH,
    ]
    assert len({problem.code for problem in problems}) == len(problems)
    for problem in problems:
        assert unicodedata.is_normalized("NFC", problem.message)
        expected_field = (
            "password_confirm" if problem is pp.PASSWORD_CONFIRM_MISMATCH else "password"
        )
        assert problem.field == expected_field


@pytest.mark.parametrize(
    ("stored", "given", "ok"),
    [
        ("matkhau123", "matkhau123", True),
        ("matkhau123", "matkhau124", False),
        ("matkhau123", "MATKHAU123", False),
        ("matkhau123", "", False),
        ("mậtkhẩu2024", unicodedata.normalize("NFD", "mậtkhẩu2024"), True),
    ],
)
def test_hash_round_trip(stored: str, given: str, ok: bool) -> None:
    password_hash = hash_password(stored)
    assert password_hash.startswith("$argon2id$")
    assert stored not in password_hash
    assert verify_password(password_hash, given) is ok


@pytest.mark.parametrize(
    "bad_hash",
    ["", "not a hash", "$argon2id$v=19$m=8,t=1,p=1$broken", "$2b$12$abcdefghijklmnopqrstuv"],
)
def test_verify_never_raises_on_an_invalid_hash(bad_hash: str) -> None:
    assert verify_password(bad_hash, "matkhau123") is False
    assert needs_rehash(bad_hash) is True


def test_hashes_are_salted() -> None:
    assert hash_password("matkhau123") != hash_password("matkhau123")


@pytest.mark.usefixtures("reconfigured")
def test_needs_rehash_when_parameters_change() -> None:
    password_hash = hash_password("matkhau123")
    assert needs_rehash(password_hash) is False
    configure_hasher(time_cost=2, memory_cost=16, parallelism=1)
    assert needs_rehash(password_hash) is True
    assert verify_password(password_hash, "matkhau123") is True  # old hashes still verify


@pytest.mark.usefixtures("reconfigured")
def test_default_parameters_are_owasp_argon2id() -> None:
    configure_hasher()
    password_hash = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash("x1")
    assert "$m=19456,t=2,p=1$" in password_hash
    assert needs_rehash(password_hash) is False
    assert (pp.DEFAULT_TIME_COST, pp.DEFAULT_MEMORY_COST, pp.DEFAULT_PARALLELISM) == (2, 19456, 1)


@pytest.mark.usefixtures("reconfigured")
def test_dummy_verify_uses_the_configured_parameters() -> None:
    assert dummy_verify("matkhau123") is None
    dummy = pp._state.dummy_hash
    assert "$m=8,t=1,p=1$" in dummy
    configure_hasher(time_cost=1, memory_cost=16, parallelism=1)
    assert "$m=16,t=1,p=1$" in pp._state.dummy_hash
    assert dummy_verify("matkhau123") is None
