"""Complaints and their evidence files as stored in the database.

Evidence is kept in the database (``LargeBinary``) rather than under ``instance/``: every
provider replica sees it without a shared disk, it is written in the same transaction as
the complaint (never a complaint without its files or files without a complaint), and it
is backed up and access-controlled with the rest of the data. Files are small by rule
(at most a few MB each, a few per complaint), so the database copes easily.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from idp.columns import CreatedAt, IntId
from idp.extensions import db

OPEN = "open"
REJECTED = "rejected"
ACCOUNT_LOCKED = "account_locked"
PHONE_CHANGED = "phone_changed"
STATUSES = (OPEN, REJECTED, ACCOUNT_LOCKED, PHONE_CHANGED)

# How an operator closes a complaint (the ``resolution`` column): ``lock-account`` only for
# an ownership dispute, ``change-phone`` only for a phone-change request.
REJECT = "reject"
LOCK_ACCOUNT = "lock-account"
CHANGE_PHONE = "change-phone"
RESOLUTIONS = (REJECT, LOCK_ACCOUNT, CHANGE_PHONE)

# What a complaint is about (the ``kind`` column): someone else holds the identity number,
# or a signed-in citizen asks to change a phone number they no longer have.
OWNERSHIP = "ownership"
PHONE_CHANGE = "phone_change"


class Complaint(db.Model):
    __tablename__ = "complaint"

    id: Mapped[IntId]
    # "KN-<year>-<id, 6 digits>", set in the transaction that inserts the row.
    reference: Mapped[str | None] = mapped_column(String(24), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)
    kind: Mapped[str] = mapped_column(String(16), default=OWNERSHIP, server_default=OWNERSHIP)
    id_number: Mapped[str] = mapped_column(String(12), index=True)
    full_name: Mapped[str] = mapped_column(String(100))
    # The complainant's contact number; for a phone-change request, the requested new number.
    phone: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(254))
    description: Mapped[str] = mapped_column(Text)
    # The account that held the identity number when the complaint was filed or resolved.
    citizen_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[CreatedAt]
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(String(16))  # one of RESOLUTIONS
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(128))

    evidence: Mapped[list[ComplaintEvidence]] = relationship(
        back_populates="complaint",
        cascade="all, delete-orphan",
        order_by="ComplaintEvidence.id",
    )


class ComplaintEvidence(db.Model):
    __tablename__ = "complaint_evidence"

    id: Mapped[IntId]
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Deferred: listing complaints never loads the files themselves.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    complaint: Mapped[Complaint] = relationship(back_populates="evidence")
