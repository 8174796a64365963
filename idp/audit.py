"""The audit trail: every security event, written to the database.

Within a request an event joins the caller's unit of work: ``record()`` adds the row to
the session, and the caller's own commit writes it with the change it audits. Rows that
no commit picked up by the end of the request are committed once by an after-request
hook; rows whose transaction was rolled back (a failed login attempt, a view that raised)
are written again in a fresh transaction, so none is lost. Outside a request (CLI,
background work) ``record()`` commits at once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import JSON, Integer, String, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column

from idp import metrics
from idp.columns import CreatedAt, IntId
from idp.extensions import db

log = logging.getLogger("idp.audit")

# Keys that must never reach the audit trail or the log, whatever a caller passes.
_SECRET_KEYS = {"password", "password_confirm", "otp", "code", "client_secret", "token"}


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[IntId]
    at: Mapped[CreatedAt] = mapped_column(index=True)
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
    if_committed: bool = False,
    **details: Any,
) -> None:
    """Record one audit event. Never raises: a failing audit write is logged instead.

    In a request the row is written by the caller's next commit, or at the end of the
    request; outside one it is committed at once. A row recorded before a rollback is
    written all the same (a refused attempt stays audited), unless ``if_committed``: the
    event is the change the caller is about to commit, and without that commit it did not
    happen."""
    clean = {k: v for k, v in details.items() if k not in _SECRET_KEYS}
    row = AuditEvent(
        at=datetime.now(UTC),
        event=event,
        citizen_id=citizen_id,
        client_id=client_id,
        actor=actor,
        details=clean,
    )
    row.if_committed = if_committed  # not a column: read by write_pending
    in_request = has_request_context()
    if in_request:
        row.ip = request.remote_addr
        row.user_agent = (request.user_agent.string or "")[:256]
        row.request_id = g.get("request_id")
    log.info("audit %s citizen=%s client=%s %s", event, citizen_id, client_id, clean)
    metrics.observe_audit_event(event)
    if in_request:
        try:
            db.session.add(row)
        except Exception:  # pragma: no cover - a broken session: written at the end
            log.debug("audit row not added to the session", exc_info=True)
        rows = g.get(_ROWS)
        if rows is None:
            rows = []
            setattr(g, _ROWS, rows)
        rows.append(row)
        return
    try:
        db.session.add(row)
        db.session.commit()
    except Exception:  # pragma: no cover - logged, never breaks the caller
        db.session.rollback()
        log.exception("audit write failed for %s", event)


# The request's audit rows not yet known to be committed (on ``flask.g``).
_ROWS = "_audit_rows"
_COLUMNS = ("at", "event", "citizen_id", "client_id", "actor", "ip", "user_agent", "request_id")


def _copy(row: AuditEvent) -> AuditEvent:
    """A fresh row with ``row``'s content, for a row whose transaction was rolled back."""
    copy = AuditEvent(**{name: getattr(row, name) for name in _COLUMNS})
    copy.details = dict(row.details or {})
    return copy


def _note_commit(session: Session) -> None:
    """After a commit in a request, forget the audit rows it wrote."""
    if not has_request_context():
        return
    rows = g.get(_ROWS)
    if rows:
        rows[:] = [r for r in rows if not (_state(r).persistent and _state(r).session is session)]


def _state(row: AuditEvent) -> Any:
    return sa_inspect(row)


def write_pending(*, keep_caller_work: bool = True) -> None:
    """Write the request's audit rows that no commit has picked up, in one commit.

    Rows still in the session (added or flushed) are committed with whatever the caller
    left pending when ``keep_caller_work``; otherwise the session is rolled back first.
    Rows whose transaction was rolled back are written as fresh copies. If that commit
    fails, the audit rows alone are written in a fresh transaction. Never raises."""
    rows = g.pop(_ROWS, None)
    if not rows:
        return
    session = db.session()  # the request's Session itself, not the scoped proxy
    try:
        if not keep_caller_work:
            session.rollback()
        unwritten = []
        for row in rows:
            state = _state(row)
            if state.persistent and state.session is session:
                continue  # flushed in the open transaction: this commit writes it
            if state.pending and state.session is session:
                session.expunge(row)  # added again below, so that rows keep their order
                unwritten.append(row)
            elif not getattr(row, "if_committed", False):
                unwritten.append(_copy(row))  # its transaction was rolled back
        session.add_all(unwritten)
        session.commit()
        return
    except Exception as exc:
        try:
            session.rollback()
        except Exception:  # pragma: no cover - a dead connection
            log.debug("rollback before the audit retry failed", exc_info=True)
        if isinstance(exc, OperationalError | InterfaceError):
            # The database cannot be reached: a retry would only delay the 503 page. The
            # events are in the log (record() logged each one).
            log.error("audit write failed (database unavailable) for %s", _events(rows))
            return
        log.warning("audit rows not written with the request's work; retrying alone")
    try:
        session.add_all([_copy(row) for row in rows if not getattr(row, "if_committed", False)])
        session.commit()
    except Exception:
        session.rollback()
        log.exception("audit write failed for %s", _events(rows))


def _events(rows: list[AuditEvent]) -> str:
    return ", ".join(row.event for row in rows)


def _after_request(response: Response) -> Response:
    # A server error's half-done work is not committed; its audit rows are.
    write_pending(keep_caller_work=response.status_code < 500)
    return response


def _teardown_request(exc: BaseException | None) -> None:
    # Only when the after-request hook did not run: an exception escaped the view.
    write_pending(keep_caller_work=exc is None)


def init_app(app: Flask) -> None:
    """Commit each request's audit rows that no commit of the caller picked up."""
    app.after_request(_after_request)
    app.teardown_request(_teardown_request)
    if not event.contains(Session, "after_commit", _note_commit):
        event.listen(Session, "after_commit", _note_commit)
