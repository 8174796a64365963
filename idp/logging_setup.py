"""Logging: plain lines in development, one JSON object per line when ``LOG_JSON`` is on.

Every JSON line carries the request id (``g.request_id``, set by ``idp.request_id``
and echoed in the ``X-Request-Id`` header and the audit trail), so one request can be
followed across the access log, the application log and the audit trail.

``GunicornJsonLogger`` is gunicorn's ``logger_class`` (config/gunicorn.conf.py): its access
log and error log are JSON too. Query strings are never logged: they can carry flow ids.
Whatever else reaches a log line (werkzeug's request lines, a library's message) has its
codes, tokens, hints and passwords redacted (``idp.log_redaction``).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context
from gunicorn.glogging import Logger as GunicornLogger

from idp import log_redaction

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


class GunicornJsonLogger(GunicornLogger):
    """gunicorn's logger with JSON access lines and JSON error lines."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # Access lines are JSON already (see ``access``); error lines get the formatter.
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: dict, request_time: Any) -> None:
        if not self.cfg.accesslog and not self.cfg.logconfig_dict:
            return
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        headers = dict((k.lower(), v) for k, v in (resp.headers or []))
        entry = {
            "ts": _timestamp(datetime.now(UTC).timestamp()),
            "remote": environ.get("REMOTE_ADDR", "-"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "status": int(status) if str(status).isdigit() else status,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "request_id": headers.get("x-request-id"),
            "user_agent": environ.get("HTTP_USER_AGENT"),
        }
        try:
            self.access_log.info(json.dumps(entry, ensure_ascii=False))
        except Exception:
            self.exception("could not write the access log")
