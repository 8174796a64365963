"""Operator accounts of the console, as stored in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.columns import CreatedAt, IntId
from idp.extensions import db

OPERATOR = "operator"  # every console action
AUDITOR = "auditor"  # read only: lists and audit search
ROLES = (OPERATOR, AUDITOR)


class Operator(db.Model):
    __tablename__ = "operator"

    id: Mapped[IntId]
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Fernet token of the base32 secret, under a key derived from SECRET_KEY
    # (idp.sealed_secrets); never the secret in clear.
    totp_secret: Mapped[str] = mapped_column(String(255))
    # False until the first valid code from the authenticator app confirms enrolment.
    totp_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The last accepted TOTP time-step: a code is never accepted twice (RFC 6238 §5.2).
    last_totp_step: Mapped[int] = mapped_column(Integer, default=0)
    # Failed sign-ins and the lock are counted in the store by name, not here
    # (idp.console.sign_in_rules), alike for names without an operator.
    created_at: Mapped[CreatedAt]
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def can_change(self) -> bool:
        """Whether this operator may change anything (auditors only read)."""
        return self.role == OPERATOR
