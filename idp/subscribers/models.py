"""The "chính chủ" registry: which identity number each mobile number is registered to."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from idp.columns import UpdatedAt
from idp.extensions import db


class Subscriber(db.Model):
    """One mobile subscription as the carrier registered it: phone (E.164) → identity number."""

    __tablename__ = "subscriber"

    phone: Mapped[str] = mapped_column(String(16), primary_key=True)
    id_number: Mapped[str] = mapped_column(String(12), index=True)
    updated_at: Mapped[UpdatedAt]
