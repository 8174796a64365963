"""Liveness and readiness for load balancers and orchestrators.

- ``/healthz``: the process answers; it touches no dependency, so a database outage
  never gets healthy replicas restarted.
- ``/readyz``: this replica can serve citizens: the database answers ``SELECT 1``, the
  state store answers a ping, and signing keys are loaded. Otherwise 503 with a JSON body
  naming each dependency that is not ready, so the load balancer takes the replica out
  of rotation until it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from idp.extensions import db
from idp.services import services

log = logging.getLogger("idp.health")

bp = Blueprint("health", __name__)


def _database() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    finally:
        db.session.rollback()


def _store() -> bool:
    services().store.ping()
    return True


def _keys() -> bool:
    return services().keys.ready()


#: What readiness needs, by the name the 503 body reports.
CHECKS: dict[str, Callable[[], bool]] = {
    "database": _database,
    "store": _store,
    "keys": _keys,
}


def readiness() -> dict[str, str]:
    """Each check's result: ``"ok"`` or ``"unavailable"``."""
    results = {}
    for name, check in CHECKS.items():
        try:
            ok = check()
        except Exception as exc:  # any failure means "not ready", whatever raised it
            log.warning("readiness check %s failed: %s", name, exc)
            ok = False
        results[name] = "ok" if ok else "unavailable"
    return results


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive."""
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready to serve: 200, or 503 naming what is not ready."""
    checks = readiness()
    failing = [name for name, result in checks.items() if result != "ok"]
    body = {"status": "not_ready" if failing else "ready", "checks": checks}
    if failing:
        body["not_ready"] = failing
    return _no_store(jsonify(body)), 503 if failing else 200
