"""Prometheus metrics: requests, latency, and the security events operators watch.

``count(name)`` adds one to a named counter (``COUNTERS`` lists them); audit events drive
them through ``observe_audit_event``, which ``idp.audit.record`` calls, so a new audit
event needs no metrics code to be counted. Requests are counted by endpoint and status
and timed by endpoint (the endpoint name, never the raw path, keeps label sets small).

Under granian each worker is a process: with ``PROMETHEUS_MULTIPROC_DIR`` set
(``webapp.server`` empties it when the server starts), ``/metrics`` adds up every worker's
values, those of workers that were replaced included (counters and histograms only: a
gauge would need its dead workers' files removed). ``METRICS_ALLOWED_IPS`` restricts who
may read ``/metrics``.
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from idp.address_list import AddressList

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Each process writes its values there; the folder must exist before the first metric.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

REQUESTS = Counter("idp_http_requests", "HTTP requests answered", ["endpoint", "method", "status"])
LATENCY = Histogram(
    "idp_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
AUDIT_EVENTS = Counter("idp_audit_events", "Audit trail events by name", ["event"])
LOGINS = Counter("idp_logins", "Login attempts by result", ["result"])
OTP_SENT = Counter("idp_otp_sent", "SMS one-time passwords sent")
OTP_FAILED = Counter("idp_otp_failed", "Wrong or expired one-time passwords entered")
TOKENS_ISSUED = Counter("idp_tokens_issued", "Token responses issued", ["grant_type"])
LOCKOUTS = Counter("idp_lockouts", "Accounts locked after repeated wrong passwords")

#: The named counters ``count`` knows.
COUNTERS = {
    "login_success": LOGINS.labels(result="success"),
    "login_failure": LOGINS.labels(result="failure"),
    "otp_sent": OTP_SENT,
    "otp_failed": OTP_FAILED,
    "lockout": LOCKOUTS,
}

#: Audit events that also move a named counter.
AUDIT_COUNTERS = {
    "login.success": "login_success",
    "login.failed": "login_failure",
    "login.refused_locked_out": "login_failure",
    "login.refused_disabled": "login_failure",
    "otp.sent": "otp_sent",
    "otp.failed": "otp_failed",
    "login.lockout": "lockout",
}


def count(name: str) -> None:
    """Add one to the named counter (a key of ``COUNTERS``)."""
    COUNTERS[name].inc()


def observe_audit_event(event: str) -> None:
    """Count one audit event, and the named counter it stands for."""
    AUDIT_EVENTS.labels(event=event).inc()
    name = AUDIT_COUNTERS.get(event)
    if name is not None:
        count(name)


def token_issued(grant_type: str | None) -> None:
    """Count one token response of ``grant_type``."""
    TOKENS_ISSUED.labels(grant_type=grant_type or "unknown").inc()


# -- request instrumentation -------------------------------------------------------------


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    endpoint = request.endpoint or "unmatched"
    REQUESTS.labels(endpoint=endpoint, method=request.method, status=response.status_code).inc()
    if started is not None:
        LATENCY.labels(endpoint=endpoint).observe(time.perf_counter() - started)
    return response


# -- exposition ----------------------------------------------------------------------------

bp = Blueprint("metrics", __name__)


def exposition() -> bytes:
    """Every metric in the text format: all workers' when ``PROMETHEUS_MULTIPROC_DIR`` is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus scrape endpoint, for the addresses in ``METRICS_ALLOWED_IPS`` (all if empty)."""
    allowed = current_app.extensions["idp_metrics_allowed"]
    if allowed and request.remote_addr not in allowed:
        abort(403)
    response = Response(exposition(), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Time and count every request and serve ``/metrics``."""
    app.extensions["idp_metrics_allowed"] = AddressList.parse(
        "METRICS_ALLOWED_IPS", app.config["METRICS_ALLOWED_IPS"]
    )
    # First of the before-request hooks, so time spent in the others (CSRF, limits) counts.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_observe)
    app.register_blueprint(bp)
