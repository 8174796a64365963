"""Logging: plain lines in development, one JSON object per line when ``LOG_JSON`` is on.

Every JSON line carries the request id (``g.request_id``, set by ``webapp.request_id``
and echoed in the ``X-Request-Id`` header and the audit trail), so one request can be
followed across the access log, the application log and the audit trail.

``AccessLog`` writes the server's access log (granian's own is off, ``webapp.server``) and
granian's lines are JSON too (config/granian-logging.json). Query strings are never
logged: they can carry flow ids. Whatever else reaches a log line (werkzeug's request
lines, a library's message) has its codes, tokens, hints and passwords redacted
(``webapp.log_redaction``).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context

from webapp import log_redaction

_MARK = "_idp_json_handler"


def _timestamp(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


class RequestIdFilter(logging.Filter):
    """Attach the current request's id (or None outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, message, request_id, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exc"] = log_redaction.redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def json_handler(stream: Any = None) -> logging.Handler:
    """A stream handler writing JSON lines with request ids."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    setattr(handler, _MARK, True)
    return handler


# Libraries' start-up chatter, shown only at DEBUG.
_CHATTY_LOGGERS = ("alembic.runtime.plugins",)


def configure_logging(json_logs: bool, level: int | str = logging.INFO) -> None:
    """Set up the root logger once per process (JSON lines or plain text), at ``level``."""
    log_redaction.install()
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    root = logging.getLogger()
    if json_logs:
        if not any(getattr(h, _MARK, False) for h in root.handlers):
            root.addHandler(json_handler())
    elif not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(log_redaction.RedactingFormatter(logging.BASIC_FORMAT))
        root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)


class AccessLog:
    """WSGI middleware: one JSON access line per request on stdout (the server's own
    access log is off). Fields: ts, remote, method, path (never the query string), status,
    bytes, duration_ms, request_id, user_agent. ``remote`` is read after the app ran, so
    behind a trusted proxy it is the client's address (idp.proxy).

    A response with ``Content-Length`` (every one Flask builds in memory) is logged as soon
    as the app returns it; a streamed one when the server has sent it (``close``), its
    bytes counted on the way. Lines go straight to the stream, one write and flush each
    under a lock: about half the cost of the logging module's path."""

    def __init__(self, app: Any, stream: Any = None):
        self.app = app
        self.stream = stream or sys.stdout
        self.lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Any) -> Any:
        started = time.perf_counter()
        response: list = []

        def start(status: str, headers: list, exc_info: Any = None) -> Any:
            response[:] = [status, headers]
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, start)
        except BaseException:
            self.log(environ, "500", [], None, started)
            raise
        status, headers = response or ("500", [])
        for name, value in headers:
            if name.lower() == "content-length" and value.isdigit():
                sent = 0 if environ.get("REQUEST_METHOD") == "HEAD" else int(value)
                self.log(environ, status, headers, sent, started)
                return body
        return _LoggedBody(body, lambda sent: self.log(environ, status, headers, sent, started))

    def log(
        self, environ: dict, status: str, headers: list, sent: int | None, started: float
    ) -> None:
        code = status.split(None, 1)[0]
        request_id = environ.get("idp.request_id")
        if request_id is None:
            request_id = next((v for k, v in headers if k.lower() == "x-request-id"), None)
        entry = {
            "ts": _timestamp(time.time()),
            "remote": environ.get("REMOTE_ADDR", "-"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "status": int(code) if code.isdigit() else code,
            "bytes": sent,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "request_id": request_id,
            "user_agent": environ.get("HTTP_USER_AGENT"),
        }
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        try:
            with self.lock:
                self.stream.write(line)
                self.stream.flush()
        except Exception:  # a log line must never fail the request
            logging.getLogger(__name__).exception("could not write the access log")


class _LoggedBody:
    """The response body, counted while the server sends it; logged on ``close``."""

    __slots__ = ("body", "done", "sent")

    def __init__(self, body: Any, done: Any):
        self.body = body
        self.done = done
        self.sent = 0

    def __iter__(self) -> Any:
        for chunk in self.body:
            self.sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            done, self.done = self.done, None
            if done is not None:
                done(self.sent)
