"""Column declarations the models share, as SQLAlchemy's ``Annotated`` types: the integer
key, the times a row was made and changed (UTC), and the link of a row that belongs to a
citizen's account and goes with it.

A model writes ``id: Mapped[IntId]``; keywords it gives ``mapped_column`` beside such a
type (``index=True``, ``unique=True``) are added to the shared declaration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from sqlalchemy import DateTime, ForeignKey, Integer
from sqlalchemy.orm import mapped_column


def utc_now() -> datetime:
    """The current time in UTC (the columns' defaults)."""
    return datetime.now(UTC)


IntId = Annotated[int, mapped_column(Integer, primary_key=True)]
CreatedAt = Annotated[datetime, mapped_column(DateTime(timezone=True), default=utc_now)]
UpdatedAt = Annotated[
    datetime, mapped_column(DateTime(timezone=True), default=utc_now, onupdate=utc_now)
]
CitizenId = Annotated[int, mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"))]
