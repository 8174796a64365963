"""The audit trail: every security event, written to the database in its own transaction."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from idp import metrics
from idp.extensions import db

log = logging.getLogger("idp.audit")

# Keys that must never reach the audit trail or the log, whatever a caller passes.
_SECRET_KEYS = {"password", "password_confirm", "otp", "code", "client_secret", "token"}


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC), index=True
    )
    event: Mapped[str] = mapped_column(String(64), index=True)
    citizen_id: Mapped[int | None] = mapped_column(Integer, index=True)
    client_id: Mapped[str | None] = mapped_column(String(64), index=True)
    actor: Mapped[str | None] = mapped_column(String(128))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    event: str,
    *,
    citizen_id: int | None = None,
    client_id: str | None = None,
    actor: str | None = None,
    **details: Any,
) -> None:
    """Write one audit event. Never raises: a failing audit write is logged instead."""
    clean = {k: v for k, v in details.items() if k not in _SECRET_KEYS}
    row = AuditEvent(
        event=event,
        citizen_id=citizen_id,
        client_id=client_id,
        actor=actor,
        details=clean,
    )
    if has_request_context():
        row.ip = request.remote_addr
        row.user_agent = (request.user_agent.string or "")[:256]
        row.request_id = g.get("request_id")
    log.info("audit %s citizen=%s client=%s %s", event, citizen_id, client_id, clean)
    metrics.observe_audit_event(event)
    try:
        db.session.add(row)
        db.session.commit()
    except Exception:  # pragma: no cover - logged, never breaks the citizen's request
        db.session.rollback()
        log.exception("audit write failed for %s", event)
