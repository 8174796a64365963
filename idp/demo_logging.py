"""``idp demo`` runs the provider, the portal and the VNeID emulator in one process: each
log line says which one wrote it (``[provider]`` / ``[portal]`` / ``[vneid]``), with the
full level name.

Each server's request handler names the thread serving the request, so everything logged
while serving it (werkzeug's request line, the app's own lines, its libraries') carries
the label of the server it came from. Lines from any other thread belong to the provider,
which owns the main thread.
"""

from __future__ import annotations

import logging
import threading

from werkzeug.serving import WSGIRequestHandler

from webapp.log_redaction import RedactingFormatter

PROVIDER = "provider"
PORTAL = "portal"
VNEID = "vneid"
LINE_FORMAT = "%(asctime)s [%(server)s] %(levelname)s %(name)s: %(message)s"


def labelled_request_handler(server: str) -> type[WSGIRequestHandler]:
    """A werkzeug request handler whose threads are named after ``server``."""

    class LabelledRequestHandler(WSGIRequestHandler):
        def handle(self) -> None:
            threading.current_thread().name = f"{server}-request"
            super().handle()

    LabelledRequestHandler.__name__ = f"{server.title()}RequestHandler"
    return LabelledRequestHandler


class ServerLabel(logging.Filter):
    """Adds ``record.server``: the server whose thread logged the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.threadName
        record.server = next((s for s in (PORTAL, VNEID) if name.startswith(s)), PROVIDER)
        return True


def label_log_lines() -> None:
    """Give every handler of the root logger the labelled, redacted line format."""
    for handler in logging.getLogger().handlers:
        handler.setFormatter(RedactingFormatter(LINE_FORMAT))
        if not any(isinstance(f, ServerLabel) for f in handler.filters):
            handler.addFilter(ServerLabel())
