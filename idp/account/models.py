"""The citizen's authenticator app (TOTP) and recovery codes, as stored in the database.

The TOTP secret is encrypted at rest (``idp.account.totp``): unlike a password it cannot
be hashed, because every code check needs it in clear, but a copy of the database alone
(a backup, a replica) must not let anyone generate the citizen's codes. Recovery codes
are single-use random strings, so a keyed hash is enough (``idp.account.recovery_codes``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.columns import CitizenId, CreatedAt, IntId
from idp.extensions import db


class AuthenticatorApp(db.Model):
    """One authenticator app per citizen; usable once ``confirmed_at`` is set."""

    __tablename__ = "authenticator_app"

    id: Mapped[IntId]
    citizen_id: Mapped[CitizenId] = mapped_column(unique=True)
    # Fernet token of the base32 secret, under a key derived from SECRET_KEY.
    secret: Mapped[str] = mapped_column(String(255))
    # None until the first valid code from the app confirms the enrolment.
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last accepted 30-second time-step: a code is never accepted twice (RFC 6238 §5.2).
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[CreatedAt]

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(db.Model):
    """A single-use recovery code (only its keyed hash is kept)."""

    __tablename__ = "recovery_code"

    id: Mapped[IntId]
    citizen_id: Mapped[CitizenId] = mapped_column(index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[CreatedAt]
