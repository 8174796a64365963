"""The one TOTP code check (RFC 6238) of citizens' and operators' authenticator apps.

A code is accepted for the current 30-second step or one either side (clock drift), and
only once: the caller's ``claim`` records the step with a conditional UPDATE (``last
step < this step``), which refuses a replayed code atomically even when two requests
carry it at the same moment on two replicas. A phone keyboard may type full-width digits
or spaces; they are normalised as for SMS codes (``idp.otp``).
"""

from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Callable
from typing import Any

import pyotp
from sqlalchemy import update

from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.services import clock

STEP_SECONDS = 30
DRIFT_STEPS = 1
DIGITS = 6


def _clean(code: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", code or "") if not ch.isspace())


def _matching_step(secret: str, code: str, now: float) -> int | None:
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int(now // STEP_SECONDS)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def step_claim(row: Any, column: str) -> Callable[[int], bool]:
    """A ``claim`` for ``accept_totp`` on ``row`` (a citizen's authenticator app, an
    operator): one conditional UPDATE of ``column`` (``column < step``); the caller commits.
    """
    model = type(row)

    def claim(step: int) -> bool:
        result = db.session.execute(
            update(model)
            .where(model.id == row.id, getattr(model, column) < step)
            .values({column: step})
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return False
        setattr(row, column, step)
        return True

    return claim


def accept_totp(
    secret: Callable[[], str],
    code: str,
    claim: Callable[[int], bool],
    invalid: Problem,
    replayed: Problem,
    now: float | None = None,
) -> int:
    """The step of ``code`` once ``claim`` recorded it; DomainError(``invalid``) for a
    malformed, wrong or expired code, DomainError(``replayed``) when ``claim`` refuses.

    ``secret`` is read only for a well-formed code (it may raise DomainError itself).
    """
    code = _clean(code)
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        raise DomainError(invalid)
    step = _matching_step(secret(), code, clock().now() if now is None else now)
    if step is None:
        raise DomainError(invalid)
    if not claim(step):
        raise DomainError(replayed)
    return step
