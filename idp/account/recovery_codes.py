"""Recovery codes: ten single-use codes that stand in for the authenticator app.

A code is 10 characters from a 32-letter alphabet without look-alikes (50 random bits),
shown as ``ABCDE-23456`` once, when issued. Only an HMAC-SHA256 under ``SECRET_KEY`` is
kept: the codes are random, so a slow password hash would add nothing, and a database
copy alone cannot be brute-forced without the key. Using a code is one conditional
UPDATE (``used_at IS NULL``), so of two concurrent uses exactly one succeeds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata

from flask import current_app
from sqlalchemy import delete, func, update

from idp.account.models import RecoveryCode
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.services import clock

FIELD = "recovery_code"
COUNT = 10
LENGTH = 10
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

RECOVERY_CODE_INVALID = Problem(
    "recovery_code.invalid",
    "Mã khôi phục không đúng. Mã khôi phục gồm 10 ký tự, dạng ABCDE-23456.",
    FIELD,
)
RECOVERY_CODE_USED = Problem(
    "recovery_code.used",
    "Mã khôi phục này đã được sử dụng. Mỗi mã chỉ dùng được một lần; vui lòng dùng mã khác.",
    FIELD,
)


def _digest(normalized: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"recovery-code\x00" + normalized.encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalize_code(raw: str) -> str:
    """Upper-case, without spaces or hyphens; DomainError unless it can be a code."""
    text = unicodedata.normalize("NFKC", raw or "").upper()
    text = "".join(ch for ch in text if not ch.isspace() and ch != "-")
    if len(text) != LENGTH or any(ch not in ALPHABET for ch in text):
        raise DomainError(RECOVERY_CODE_INVALID)
    return text


def replace_codes(citizen_id: int) -> list[str]:
    """Issue ten new codes, voiding the old ones; returns them to show once (caller commits)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.citizen_id == citizen_id))
    codes = [_new_code() for _ in range(COUNT)]
    db.session.add_all(
        RecoveryCode(citizen_id=citizen_id, code_hash=_digest(normalize_code(code)))
        for code in codes
    )
    return codes


def use_code(citizen_id: int, raw: str) -> None:
    """Spend one code of the citizen (and commit); DomainError if wrong or already used."""
    digest = _digest(normalize_code(raw))
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.citizen_id == citizen_id,
            RecoveryCode.code_hash == digest,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=clock().utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        db.session.commit()
        return
    db.session.rollback()
    used = db.session.scalar(
        db.select(RecoveryCode.id).filter_by(citizen_id=citizen_id, code_hash=digest)
    )
    raise DomainError(RECOVERY_CODE_USED if used is not None else RECOVERY_CODE_INVALID)


def codes_left(citizen_id: int) -> int:
    """How many unused recovery codes the citizen has."""
    query = db.select(func.count(RecoveryCode.id)).where(
        RecoveryCode.citizen_id == citizen_id, RecoveryCode.used_at.is_(None)
    )
    return int(db.session.scalar(query) or 0)
