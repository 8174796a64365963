"""Upstream providers and the identities linked through them, as stored in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from idp.columns import CitizenId, CreatedAt, IntId
from idp.extensions import db


class Upstream(db.Model):
    """An upstream OpenID provider citizens may sign in with (``idp upstreams add``)."""

    __tablename__ = "upstream"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret_sealed: Mapped[str] = mapped_column(Text)  # idp.sealed_secrets
    scope: Mapped[str] = mapped_column(String(255), default="openid profile phone")
    id_number_claim: Mapped[str] = mapped_column(String(64))
    name_claim: Mapped[str | None] = mapped_column(String(64))
    birthdate_claim: Mapped[str | None] = mapped_column(String(64))
    phone_claim: Mapped[str | None] = mapped_column(String(64))
    acr: Mapped[str] = mapped_column(String(16), default="LoA2")
    create_accounts: Mapped[bool] = mapped_column(Boolean, default=False)
    link_without_password: Mapped[bool] = mapped_column(Boolean, default=False)
    logout_upstream: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[CreatedAt]


class UpstreamLink(db.Model):
    """An upstream identity ``(issuer, sub)`` linked to one citizen.

    The unique constraints are the takeover guard: an upstream identity belongs to at most
    one citizen, and a citizen has at most one identity at each upstream.
    """

    __tablename__ = "upstream_link"
    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_upstream_link_identity"),
        UniqueConstraint("upstream", "citizen_id", name="uq_upstream_link_citizen"),
    )

    id: Mapped[IntId]
    upstream: Mapped[str] = mapped_column(
        ForeignKey("upstream.name", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    citizen_id: Mapped[CitizenId] = mapped_column(index=True)
    created_at: Mapped[CreatedAt]
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
