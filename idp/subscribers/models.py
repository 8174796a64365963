"""The "chính chủ" registry: which identity number each mobile number is registered to."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.extensions import db


def _now() -> datetime:
    return datetime.now(UTC)


class Subscriber(db.Model):
    """One mobile subscription as the carrier registered it: phone (E.164) → identity number."""

    __tablename__ = "subscriber"

    phone: Mapped[str] = mapped_column(String(16), primary_key=True)
    id_number: Mapped[str] = mapped_column(String(12), index=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=_now, onupdate=_now
    )
