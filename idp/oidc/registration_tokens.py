"""The two credentials of dynamic registration, stored only as keyed hashes.

- Initial access tokens (RFC 7591 §3): what an agency shows to register a client.
  Operators issue them (``idp registration-tokens create`` or the console). Each is
  **single-use**: it registers one client and is then spent. It expires after
  ``REGISTRATION_TOKEN_SECONDS`` unless issued with another lifetime. Spending is one
  conditional UPDATE in the transaction that inserts the client, so two concurrent
  registrations with one token yield one client, and a refused registration (bad
  metadata) leaves the token unspent.
- Registration access tokens (RFC 7592 §3): one per dynamically registered client, for
  reading, replacing and deleting its registration; gone when the client is deleted.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import DateTime, String, update
from sqlalchemy.orm import Mapped, mapped_column

from idp import audit
from idp.columns import CreatedAt, IntId, utc_now
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.oidc.models import keyed_hash

MIN_LIFETIME_SECONDS = 60
MAX_LIFETIME_SECONDS = 90 * 86400

LIFETIME_INVALID = Problem(
    "registration_token.lifetime",
    "Thời hạn của mã đăng ký phải từ {min_seconds} giây đến {max_days} ngày.",
    "expires_in",
).format(min_seconds=MIN_LIFETIME_SECONDS, max_days=MAX_LIFETIME_SECONDS // 86400)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite is naive


class InitialAccessToken(db.Model):
    __tablename__ = "initial_access_token"

    id: Mapped[IntId]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(128))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by_client_id: Mapped[str | None] = mapped_column(String(64))

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and _aware(self.expires_at) > utc_now()


def issue_token(actor: str, expires_in: int | None = None) -> tuple[str, InitialAccessToken]:
    """A new single-use initial access token (its value is returned once, never stored)."""
    if expires_in is None:
        expires_in = current_app.config["REGISTRATION_TOKEN_SECONDS"]
    if not MIN_LIFETIME_SECONDS <= expires_in <= MAX_LIFETIME_SECONDS:
        raise DomainError(LIFETIME_INVALID)
    value = secrets.token_urlsafe(32)
    row = InitialAccessToken(
        token_hash=keyed_hash(value),
        expires_at=utc_now() + timedelta(seconds=expires_in),
        created_by=actor,
    )
    db.session.add(row)
    db.session.commit()
    audit.record(
        "registration_token.issued",
        actor=actor,
        token_id=row.id,
        expires_at=row.expires_at.isoformat(),
    )
    return value, row


def find_usable_token(value: str) -> InitialAccessToken | None:
    """The unspent, unexpired token with this value, or None."""
    if not value or len(value) > 256:
        return None
    row = db.session.scalar(db.select(InitialAccessToken).filter_by(token_hash=keyed_hash(value)))
    return row if row is not None and row.is_usable else None


def spend_token(token: InitialAccessToken, client_id: str) -> bool:
    """Mark the token spent in the current transaction (the caller commits); False if
    another request spent it first or it expired meanwhile."""
    result = db.session.execute(
        update(InitialAccessToken)
        .where(
            InitialAccessToken.id == token.id,
            InitialAccessToken.used_at.is_(None),
            InitialAccessToken.expires_at > utc_now(),
        )
        .values(used_at=utc_now(), used_by_client_id=client_id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def recent_tokens(limit: int = 50) -> list[InitialAccessToken]:
    """The newest tokens first (for the console; values are never shown again)."""
    query = db.select(InitialAccessToken).order_by(InitialAccessToken.id.desc()).limit(limit)
    return list(db.session.scalars(query))


class RegistrationAccessToken(db.Model):
    __tablename__ = "registration_access_token"

    id: Mapped[IntId]
    client_id: Mapped[str] = mapped_column(String(48), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[CreatedAt]


def add_registration_access(client_id: str) -> str:
    """A new registration access token for the client, added to the current transaction
    (the caller commits); its value is returned once."""
    value = secrets.token_urlsafe(32)
    db.session.add(RegistrationAccessToken(client_id=client_id, token_hash=keyed_hash(value)))
    return value


def client_id_for_access(value: str) -> str | None:
    """The client a registration access token manages, or None."""
    if not value or len(value) > 256:
        return None
    query = db.select(RegistrationAccessToken.client_id).filter_by(token_hash=keyed_hash(value))
    return db.session.scalar(query)


def has_registration_access(client_id: str) -> bool:
    """Whether the client registered itself (and can still manage its registration)."""
    query = db.select(RegistrationAccessToken.id).filter_by(client_id=client_id)
    return db.session.scalar(query) is not None


def revoke_registration_access(client_id: str) -> None:
    """The client's registration access token stops working (the caller commits)."""
    db.session.execute(
        db.delete(RegistrationAccessToken).where(RegistrationAccessToken.client_id == client_id)
    )
