"""A database that cannot be reached answers 503 "try again", like a Redis outage, not 500.

SQLAlchemy raises ``OperationalError`` (server down, restarting, connection dropped) or
``InterfaceError`` (a connection closed under us) when PostgreSQL goes away. The request's
transaction is rolled back, so nothing half-written remains, and the citizen sees the
same "temporarily unavailable" page as for any backing service (``ServiceUnavailable``
in ``idp.error_pages``). Once the database is back, the next request gets a live
connection without a restart: before a pooled connection is used, its socket is polled
(no round trip): a server that restarted or dropped it has already sent its goodbye or
closed the socket, so anything to read on an idle connection means it is dead. One idle
for ``DATABASE_PING_IDLE_SECONDS`` or more (where a silent network failure could hide) is
also pinged. SQLAlchemy's ``pool_pre_ping`` would ping before *every* use, a round trip
per request that busy connections (used again within milliseconds) do not need.
"""

from __future__ import annotations

import logging
import select
import time

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from idp.errors import ServiceUnavailable
from idp.extensions import db

log = logging.getLogger("idp.database_outage")


def _unavailable(exc: Exception):
    log.error("database unavailable: %s", str(exc).splitlines()[0] if str(exc) else exc)
    try:
        db.session.rollback()
    except Exception:  # the connection is already gone; the session is discarded anyway
        log.debug("rollback after a database outage failed", exc_info=True)
    return current_app.handle_user_exception(ServiceUnavailable("database"))


def ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Before handing out a pooled connection, discard it if the server has spoken or
    hung up while it was idle, and ping it if it was idle for ``idle_seconds`` or more; the
    pool then tries a fresh connection."""

    @event.listens_for(engine, "checkin")
    def _note_idle_since(dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None:
            return
        try:
            readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
        except (OSError, ValueError) as exc:
            raise DisconnectionError(str(exc)) from exc
        if readable:
            raise DisconnectionError("the server closed this idle connection")
        if time.monotonic() - idle_since < idle_seconds:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            # The ping opened a transaction (the driver is not in autocommit): end it, or
            # the connection goes out "in transaction" and cannot be switched to
            # autocommit for the hot paths' reads (idp.oidc.reads).
            dbapi_connection.rollback()
        except Exception as exc:
            # SQLAlchemy answers DisconnectionError by invalidating this connection and
            # retrying the checkout with a new one.
            raise DisconnectionError(str(exc)) from exc


def init_app(app: Flask) -> None:
    """Answer database outages with the 503 page (or JSON on protocol endpoints), and
    replace dead pooled connections after an outage."""
    app.register_error_handler(OperationalError, _unavailable)
    app.register_error_handler(InterfaceError, _unavailable)
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            ping_idle_connections(db.engine, app.config["DATABASE_PING_IDLE_SECONDS"])
