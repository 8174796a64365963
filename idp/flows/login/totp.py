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


def _failures_key(citizen_id: int) -> str:
    return f"totp-fails:{citizen_id}"


def _refuse_if_blocked(citizen_id: int) -> None:
    if store().get_counter(_failures_key(citizen_id)) >= MAX_FAILURES:
        raise DomainError(TOTP_TOO_MANY)


def _count_failure(citizen_id: int, exc: DomainError, event: str) -> DomainError:
    audit.record(event, citizen_id=citizen_id, reason=exc.problem.code)
    if store().incr(_failures_key(citizen_id), FAILURE_WINDOW) >= MAX_FAILURES:
        return DomainError(TOTP_TOO_MANY)
    return exc


def check_totp_login(citizen_id: int, code: str) -> list[str]:
    """Accept the app's code (once); returns the session's ``amr``, or DomainError."""
    _refuse_if_blocked(citizen_id)
    try:
        totp.accept_login_code(citizen_id, code)
    except DomainError as exc:
        raise _count_failure(citizen_id, exc, "totp.failed") from None
    return AMR_TOTP


def check_recovery_code_login(citizen_id: int, code: str) -> list[str]:
    """Spend a recovery code; returns the session's ``amr``, or DomainError."""
    _refuse_if_blocked(citizen_id)
    try:
        recovery_codes.use_code(citizen_id, code)
    except DomainError as exc:
        raise _count_failure(citizen_id, exc, "recovery_code.failed") from None
    audit.record(
        "recovery_code.used",
        citizen_id=citizen_id,
        codes_left=recovery_codes.codes_left(citizen_id),
    )
    return AMR_RECOVERY_CODE
