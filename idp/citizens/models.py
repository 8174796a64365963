"""The citizen account as stored in the database."""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.columns import CreatedAt, IntId, UpdatedAt
from idp.extensions import db


def new_subject() -> str:
    """An opaque, stable subject identifier: random, never derived from the identity number."""
    return secrets.token_urlsafe(24)


class Citizen(db.Model):
    __tablename__ = "citizen"

    id: Mapped[IntId]
    subject: Mapped[str] = mapped_column(String(64), unique=True, default=new_subject)
    # The unique constraint is what makes two concurrent registrations yield one account.
    id_number: Mapped[str] = mapped_column(String(12), unique=True)
    full_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(6))
    phone: Mapped[str] = mapped_column(String(16), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    # active | locked (by an operator or a resolved complaint) | disabled
    status: Mapped[str] = mapped_column(String(16), default="active")
    phone_verified: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def get_user_id(self) -> int:
        """Authlib's hook: the primary key."""
        return self.id
