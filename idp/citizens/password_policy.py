"""Password rules and argon2id hashing.

Passwords are NFKC-normalized before they are checked, hashed or verified, so the same
password typed on keyboards that compose Vietnamese letters differently still matches.
"""

from __future__ import annotations

import secrets
import threading
import unicodedata

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from idp.errors import DomainError, Problem

FIELD = "password"
CONFIRM_FIELD = "password_confirm"
MIN_LENGTH = 8
MAX_LENGTH = 128

# OWASP Password Storage Cheat Sheet, argon2id: m=19 MiB, t=2, p=1.
DEFAULT_TIME_COST = 2
DEFAULT_MEMORY_COST = 19456  # KiB
DEFAULT_PARALLELISM = 1

PASSWORD_REQUIRED = Problem("password.required", "Vui lòng nhập mật khẩu.", FIELD)
PASSWORD_TOO_SHORT = Problem(
    "password.too_short", f"Mật khẩu phải có ít nhất {MIN_LENGTH} ký tự.", FIELD
)
PASSWORD_TOO_LONG = Problem(
    "password.too_long", f"Mật khẩu không được dài quá {MAX_LENGTH} ký tự.", FIELD
)
PASSWORD_NO_LETTER = Problem("password.no_letter", "Mật khẩu phải có ít nhất một chữ cái.", FIELD)
PASSWORD_NO_DIGIT = Problem("password.no_digit", "Mật khẩu phải có ít nhất một chữ số.", FIELD)
PASSWORD_SAME_AS_ID = Problem(
    "password.same_as_id_number",
    "Mật khẩu không được trùng với số CMND/CCCD.",
    FIELD,
)
PASSWORD_SAME_AS_PHONE = Problem(
    "password.same_as_phone",
    "Mật khẩu không được trùng với số điện thoại.",
    FIELD,
)
PASSWORD_CONFIRM_MISMATCH = Problem(
    "password.confirm_mismatch",
    "Mật khẩu nhập lại không khớp với mật khẩu đã nhập.",
    CONFIRM_FIELD,
)


def _normalize(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def _comparable(text: str) -> str:
    return _normalize(text).strip().casefold()


def _phone_forms(phone_e164: str) -> set[str]:
    """The E.164 form of a number and, for a Vietnamese one, its usual national spellings."""
    forms = {phone_e164}
    if phone_e164.startswith("+84"):
        forms |= {phone_e164[1:], "0" + phone_e164[3:], phone_e164[3:]}
    return {_comparable(form) for form in forms}


def check_password(
    password: str,
    confirm: str | None,
    *,
    identity_number: str | None,
    phone_e164: str | None,
) -> None:
    """Raise DomainError unless the password is acceptable and the confirmation matches."""
    password = _normalize(password or "")
    if not password:
        raise DomainError(PASSWORD_REQUIRED)
    if len(password) < MIN_LENGTH:
        raise DomainError(PASSWORD_TOO_SHORT)
    if len(password) > MAX_LENGTH:
        raise DomainError(PASSWORD_TOO_LONG)
    # Checked before the letter/digit rules so that a password that is just the
    # (all-digit) identity number or phone gets the message that says so.
    comparable = _comparable(password)
    if identity_number and comparable == _comparable(identity_number):
        raise DomainError(PASSWORD_SAME_AS_ID)
    if phone_e164 and comparable in _phone_forms(phone_e164):
        raise DomainError(PASSWORD_SAME_AS_PHONE)
    if not any(char.isalpha() for char in password):
        raise DomainError(PASSWORD_NO_LETTER)
    if not any(char.isdecimal() for char in password):
        raise DomainError(PASSWORD_NO_DIGIT)
    if confirm is not None and _normalize(confirm) != password:
        raise DomainError(PASSWORD_CONFIRM_MISMATCH)


class _HasherState:
    """The configured hasher and a dummy hash made with the same parameters."""

    def __init__(self, time_cost: int, memory_cost: int, parallelism: int):
        self.hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=Type.ID,
        )
        self._dummy_hash: str | None = None
        self._lock = threading.Lock()

    @property
    def dummy_hash(self) -> str:
        if self._dummy_hash is None:
            with self._lock:
                if self._dummy_hash is None:
                    self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash


_state = _HasherState(DEFAULT_TIME_COST, DEFAULT_MEMORY_COST, DEFAULT_PARALLELISM)


def configure_hasher(
    time_cost: int = DEFAULT_TIME_COST,
    memory_cost: int = DEFAULT_MEMORY_COST,
    parallelism: int = DEFAULT_PARALLELISM,
) -> None:
    """Use other argon2id parameters (memory in KiB); the dummy hash is remade to match."""
    global _state
    state = _HasherState(time_cost, memory_cost, parallelism)
    _ = state.dummy_hash  # computed now, so the first unknown-account login costs no more
    _state = state


def hash_password(password: str) -> str:
    """An argon2id hash of the password, in the PHC string format."""
    return _state.hasher.hash(_normalize(password))


def _verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, _normalize(password))
    except (VerificationError, InvalidHashError, ValueError, TypeError):
        return False


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the hash; False on mismatch or an invalid hash."""
    return _verify(_state.hasher, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the current ones."""
    try:
        return _state.hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError, TypeError):
        return True


def dummy_verify(password: str) -> None:
    """Spend the time of a real verification, for a login whose account does not exist."""
    state = _state
    _verify(state.hasher, state.dummy_hash, password)
