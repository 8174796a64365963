"""The citizen's authenticator app (TOTP, RFC 6238): enrolment, code checks, removal.

- Enrolment makes a fresh secret, shown as a QR code (an SVG ``data:`` URI: the CSP
  allows ``img-src data:`` and no inline script) and as text; it is confirmed by a first
  valid code, which also issues the recovery codes.
- A code is accepted for the current 30-second step or one either side (clock drift),
  and only for a step later than the last one accepted: the conditional UPDATE of
  ``last_step`` refuses a replayed code atomically, even when two requests carry it at
  the same moment on two replicas, and it survives a restart (unlike a store entry).
- The secret is encrypted at rest with Fernet under a key derived from ``SECRET_KEY``
  (HKDF, ``idp.sealed_secrets``), so a database copy alone cannot generate codes.
  Changing ``SECRET_KEY`` makes every enrolled app unusable: citizens then sign in with
  SMS and enrol again.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pyotp
import qrcode
import qrcode.image.svg
from sqlalchemy import delete

from idp import audit
from idp.account import recovery_codes
from idp.account.models import AuthenticatorApp, RecoveryCode
from idp.citizens.identity_number import mask_identity_number
from idp.citizens.models import Citizen
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.sealed_secrets import CITIZEN_TOTP, seal, unseal
from idp.services import clock
from idp.totp_codes import accept_totp, step_claim

ISSUER_NAME = "Cổng DVC Quốc gia"

TOTP_INVALID = Problem(
    "totp.invalid",
    "Mã xác thực không đúng hoặc đã hết hạn. Vui lòng nhập mã 6 chữ số đang hiển thị "
    "trên ứng dụng xác thực.",
    "otp",
)
TOTP_REPLAYED = Problem(
    "totp.replayed",
    "Mã xác thực này đã được sử dụng. Vui lòng chờ ứng dụng hiển thị mã mới rồi nhập lại.",
    "otp",
)
TOTP_NOT_ENABLED = Problem("totp.not_enabled", "Tài khoản chưa cài đặt ứng dụng xác thực.")
TOTP_ALREADY_ENABLED = Problem(
    "totp.already_enabled",
    "Tài khoản đã cài đặt ứng dụng xác thực. Muốn đổi sang ứng dụng khác, vui lòng tắt "
    "ứng dụng hiện tại trước.",
)
TOTP_NO_ENROLMENT = Problem(
    "totp.no_enrolment",
    "Chưa bắt đầu cài đặt hoặc phiên cài đặt đã hết hạn. Vui lòng bấm “Cài đặt ứng dụng "
    "xác thực” để nhận mã QR mới.",
)
TOTP_SECRET_UNREADABLE = Problem(
    "totp.secret_unreadable",
    "Không đọc được khóa của ứng dụng xác thực (khóa hệ thống đã thay đổi). Vui lòng đăng "
    "nhập bằng mã OTP qua SMS, rồi cài đặt lại ứng dụng xác thực.",
    "otp",
)


@dataclass(frozen=True)
class Enrolment:
    """What the set-up page shows: the secret as text and as a QR code."""

    secret: str
    uri: str
    qr_data_uri: str


def _seal(secret: str) -> str:
    return seal(secret, CITIZEN_TOTP)


def _open(sealed: str) -> str:
    secret = unseal(sealed, CITIZEN_TOTP)
    if secret is None:
        raise DomainError(TOTP_SECRET_UNREADABLE)
    return secret


def authenticator_of(citizen_id: int) -> AuthenticatorApp | None:
    """The citizen's authenticator app row (confirmed or still being set up)."""
    return db.session.scalar(db.select(AuthenticatorApp).filter_by(citizen_id=citizen_id))


def has_authenticator(citizen_id: int) -> bool:
    """Whether the citizen may use an authenticator app at login."""
    app = authenticator_of(citizen_id)
    return app is not None and app.is_confirmed


def _enrolment(citizen: Citizen, secret: str) -> Enrolment:
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=mask_identity_number(citizen.id_number), issuer_name=ISSUER_NAME
    )
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    qr = "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()
    return Enrolment(secret=secret, uri=uri, qr_data_uri=qr)


def start_enrolment(citizen: Citizen) -> Enrolment:
    """A fresh secret for the citizen (replacing an unfinished set-up)."""
    app = authenticator_of(citizen.id)
    if app is not None and app.is_confirmed:
        raise DomainError(TOTP_ALREADY_ENABLED)
    secret = pyotp.random_base32(32)
    if app is None:
        app = AuthenticatorApp(citizen_id=citizen.id, secret=_seal(secret))
        db.session.add(app)
    else:
        app.secret, app.last_step = _seal(secret), 0
    db.session.commit()
    return _enrolment(citizen, secret)


def pending_enrolment(citizen: Citizen) -> Enrolment | None:
    """The unfinished set-up's secret and QR code, to show again; None if there is none."""
    app = authenticator_of(citizen.id)
    if app is None or app.is_confirmed:
        return None
    try:
        return _enrolment(citizen, _open(app.secret))
    except DomainError:
        return None


def _accept(app: AuthenticatorApp, code: str, now: float | None) -> int:
    """Record the code's step if it is right and newer than the last one (caller commits)."""

    claim = step_claim(app, "last_step")
    return accept_totp(lambda: _open(app.secret), code, claim, TOTP_INVALID, TOTP_REPLAYED, now)


def confirm_enrolment(citizen: Citizen, code: str, now: float | None = None) -> list[str]:
    """Confirm the set-up with a first valid code; returns the new recovery codes."""
    app = authenticator_of(citizen.id)
    if app is None:
        raise DomainError(TOTP_NO_ENROLMENT)
    if app.is_confirmed:
        raise DomainError(TOTP_ALREADY_ENABLED)
    _accept(app, code, now)
    app.confirmed_at = clock().utcnow()
    codes = recovery_codes.replace_codes(citizen.id)
    db.session.commit()
    audit.record("totp.enrolled", citizen_id=citizen.id, recovery_codes=len(codes))
    return codes


def accept_login_code(citizen_id: int, code: str, now: float | None = None) -> None:
    """Accept a code from the citizen's confirmed app once; DomainError if not."""
    app = authenticator_of(citizen_id)
    if app is None or not app.is_confirmed:
        raise DomainError(TOTP_NOT_ENABLED)
    _accept(app, code, now)
    db.session.commit()


def disable(citizen: Citizen) -> None:
    """Remove the app and every recovery code; SMS is the only second factor again."""
    app = authenticator_of(citizen.id)
    if app is None:
        raise DomainError(TOTP_NOT_ENABLED)
    db.session.delete(app)
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.citizen_id == citizen.id))
    db.session.commit()
    audit.record("totp.disabled", citizen_id=citizen.id)


def renew_recovery_codes(citizen: Citizen) -> list[str]:
    """Ten new recovery codes (the old ones stop working); needs a confirmed app."""
    if not has_authenticator(citizen.id):
        raise DomainError(TOTP_NOT_ENABLED)
    codes = recovery_codes.replace_codes(citizen.id)
    db.session.commit()
    audit.record("recovery_codes.renewed", citizen_id=citizen.id, recovery_codes=len(codes))
    return codes
