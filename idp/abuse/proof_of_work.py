"""Hashcash-style proof of work, asked of a browser when the SMS limits are near.

The server issues a random ``challenge`` with a ``difficulty`` (leading zero bits). The
browser (``static/js/pow.js``) finds a ``nonce`` such that ``sha256(challenge + nonce)``
starts with that many zero bits and posts both. A challenge is accepted once: it is
taken from the store atomically when checked. No outside service is involved.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app

from idp.services import services

_MAX_NONCE_LENGTH = 64


@dataclass(frozen=True)
class Challenge:
    """What the form carries: the random challenge and the bits of work it asks for."""

    challenge: str
    difficulty: int


def _key(challenge: str) -> str:
    return f"pow:{challenge}"


def leading_zero_bits(digest: bytes) -> int:
    """How many zero bits ``digest`` starts with."""
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + (8 - byte.bit_length())
    return bits


def work_of(challenge: str, nonce: str) -> int:
    """The leading zero bits of ``sha256(challenge + nonce)``."""
    return leading_zero_bits(hashlib.sha256((challenge + nonce).encode()).digest())


def issue_challenge() -> Challenge:
    """A fresh single-use challenge, remembered in the store for POW_CHALLENGE_SECONDS."""
    config = current_app.config
    challenge = Challenge(secrets.token_hex(16), config["POW_DIFFICULTY_BITS"])
    services().store.set(
        _key(challenge.challenge),
        {"difficulty": challenge.difficulty},
        config["POW_CHALLENGE_SECONDS"],
    )
    return challenge


def accept_solution(challenge: str, nonce: str) -> bool:
    """True once for an issued challenge with a nonce that does the work it asked for."""
    if not challenge or not nonce or len(nonce) > _MAX_NONCE_LENGTH or len(challenge) != 32:
        return False
    if not all(ch in "0123456789abcdef" for ch in challenge):
        return False
    record = services().store.pop(_key(challenge))
    if record is None:
        return False
    return work_of(challenge, nonce) >= int(record.get("difficulty", 0))


def solve(challenge: str, difficulty: int) -> str:
    """A nonce doing ``difficulty`` bits of work (what pow.js does; used by tests and bench)."""
    counter = 0
    while work_of(challenge, str(counter)) < difficulty:
        counter += 1
    return str(counter)
