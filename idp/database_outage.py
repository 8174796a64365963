"""A database that cannot be reached answers 503 "try again", like a Redis outage, not 500.

SQLAlchemy raises ``OperationalError`` (server down, restarting, connection dropped) or
``InterfaceError`` (a connection closed under us) when PostgreSQL goes away. The request's
transaction is rolled back, so nothing half-written remains, and the citizen sees the
same "temporarily unavailable" page as for any backing service (``ServiceUnavailable``
in ``idp.error_pages``). The pool's pre-ping replaces dead connections on the next
request once the database is back, without restarting the provider.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from sqlalchemy.exc import InterfaceError, OperationalError

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


def init_app(app: Flask) -> None:
    """Answer database outages with the 503 page (or JSON on protocol endpoints)."""
    app.register_error_handler(OperationalError, _unavailable)
    app.register_error_handler(InterfaceError, _unavailable)
