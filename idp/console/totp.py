"""Authenticator-app codes (TOTP, RFC 6238) for operators: enrolment and verification.

A code is accepted for the current 30-second step or one step either side (clock
drift), and only for a step later than the last one accepted for that operator: the
conditional UPDATE that records the step is what refuses a replayed code, even when two
requests carry it at the same moment.

The secret is stored sealed like citizens' (Fernet under a key derived from
``SECRET_KEY``, ``idp.sealed_secrets``), so a copy of the database alone cannot generate
an operator's codes. After a change of ``SECRET_KEY`` an operator's secret no longer
opens: the operator is told so and must be created again.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import NoReturn

import pyotp
import qrcode
import qrcode.image.svg
from flask import current_app

from idp.console.models import Operator
from idp.errors import DomainError, Problem
from idp.sealed_secrets import OPERATOR_TOTP, seal, unseal
from idp.totp_codes import accept_totp, step_claim

ISSUER_NAME = "Cổng DVC Quốc gia - Quản trị"

TOTP_INVALID = Problem("console.totp_invalid", "Mã xác thực không đúng hoặc đã hết hạn.", "otp")
TOTP_SECRET_UNREADABLE = Problem(
    "console.totp_secret_unreadable",
    "Không đọc được khóa của ứng dụng xác thực (khóa hệ thống đã thay đổi). Vui lòng nhờ "
    "quản trị viên tạo lại tài khoản vận hành.",
    "otp",
)
TOTP_REPLAYED = Problem(
    "console.totp_replayed",
    "Mã xác thực này đã được sử dụng. Vui lòng chờ mã mới trên ứng dụng xác thực.",
    "otp",
)


def new_sealed_secret() -> str:
    """A random base32 TOTP secret (160 bits), sealed for storing."""
    return seal(pyotp.random_base32(32), OPERATOR_TOTP)


def secret_of(operator: Operator) -> str:
    """The operator's secret in clear; DomainError if it no longer opens."""
    secret = unseal(operator.totp_secret, OPERATOR_TOTP)
    if secret is None:
        raise DomainError(TOTP_SECRET_UNREADABLE)
    return secret


def provisioning_uri(operator: Operator) -> str:
    """The ``otpauth://`` URI an authenticator app scans."""
    return pyotp.TOTP(secret_of(operator)).provisioning_uri(
        name=operator.name, issuer_name=ISSUER_NAME
    )


def qr_data_uri(uri: str) -> str:
    """The URI as an SVG QR code in a ``data:`` URI (the CSP allows ``img-src data:``)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


@lru_cache(maxsize=4)
def _sealed_throwaway(secret_key: str) -> str:
    """A sealed secret nobody holds, one per ``SECRET_KEY`` (``seal`` reads it)."""
    return seal(pyotp.random_base32(32), OPERATOR_TOTP)


def refuse_code(code: str, now: float | None = None) -> NoReturn:
    """Refuse a code without looking at any operator's secret (the look-alike code page,
    or codes while the name's codes are locked), after the work ``accept_code`` does for a
    wrong code: the same checks against a sealed secret nobody holds."""

    def throwaway() -> str:
        secret = unseal(_sealed_throwaway(current_app.config["SECRET_KEY"]), OPERATOR_TOTP)
        return secret or pyotp.random_base32(32)

    accept_totp(throwaway, code, lambda step: False, TOTP_INVALID, TOTP_INVALID, now)
    raise DomainError(TOTP_INVALID)  # pragma: no cover - nobody holds the secret


def accept_code(operator: Operator, code: str, now: float | None = None) -> None:
    """Accept a code once (records its step; the caller commits); DomainError if the code
    is wrong, expired or already used."""

    claim = step_claim(operator, "last_totp_step")
    accept_totp(lambda: secret_of(operator), code, claim, TOTP_INVALID, TOTP_REPLAYED, now)
