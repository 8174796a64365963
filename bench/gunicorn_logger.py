"""gunicorn's logger with JSON access and error lines, for the ceiling's gunicorn candidates
(bench/gunicorn.conf.py): the same fields as the provider's access log
(``webapp.logging_setup.AccessLog``), so every candidate pays for the same log line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

from webapp.logging_setup import JsonFormatter


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
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
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
