"""The authenticator-app strategy of the login's second step (instead of the SMS OTP).

After the password, a citizen with a confirmed authenticator app may enter the app's
6-digit code, or one of the recovery codes when the phone with the app is lost. The
``amr`` of the session says which (RFC 8176): ``["pwd", "otp", "mfa"]`` for an app code,
``["pwd", "mfa"]`` for a recovery code (RFC 8176 has no value for it). ``acr`` stays LoA1.

Wrong codes are counted per citizen in the store, whatever the flow or replica: after
``MAX_FAILURES`` within ``FAILURE_WINDOW`` seconds no code is checked until the window
ends, so guessing a 6-digit code is hopeless even with the right password.
"""

from __future__ import annotations

from collections.abc import Callable

from idp import audit
from idp.account import recovery_codes, totp
from idp.errors import DomainError, Problem
from idp.services import store

AMR_TOTP = ["pwd", "otp", "mfa"]
AMR_RECOVERY_CODE = ["pwd", "mfa"]
MAX_FAILURES = 5
FAILURE_WINDOW = 900

TOTP_TOO_MANY = Problem(
    "totp.too_many",
    "Bạn đã nhập sai mã quá nhiều lần. Vui lòng thử lại sau 15 phút, hoặc chọn nhận "
    "mã OTP qua SMS.",
    "otp",
)


def _spend(citizen_id: int, accept: Callable[[int, str], object], code: str, failed: str):
    """``accept(citizen_id, code)`` unless the citizen is blocked; a refusal is audited as
    ``failed`` and counted (the last allowed one answers ``TOTP_TOO_MANY``)."""
    key = f"totp-fails:{citizen_id}"
    if store().get_counter(key) >= MAX_FAILURES:
        raise DomainError(TOTP_TOO_MANY)
    try:
        accept(citizen_id, code)
    except DomainError as exc:
        audit.record(failed, citizen_id=citizen_id, reason=exc.problem.code)
        if store().incr(key, FAILURE_WINDOW) >= MAX_FAILURES:
            raise DomainError(TOTP_TOO_MANY) from None
        raise


def check_totp_login(citizen_id: int, code: str) -> list[str]:
    """Accept the app's code (once); returns the session's ``amr``, or DomainError."""
    _spend(citizen_id, totp.accept_login_code, code, "totp.failed")
    return AMR_TOTP


def check_recovery_code_login(citizen_id: int, code: str) -> list[str]:
    """Spend a recovery code; returns the session's ``amr``, or DomainError."""
    _spend(citizen_id, recovery_codes.use_code, code, "recovery_code.failed")
    audit.record(
        "recovery_code.used",
        citizen_id=citizen_id,
        codes_left=recovery_codes.codes_left(citizen_id),
    )
    return AMR_RECOVERY_CODE
