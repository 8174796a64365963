"""Real HTTP servers on 127.0.0.1 for two-server and browser tests.

``LiveServer(app)`` serves a WSGI app from a background thread on a free loopback port
(werkzeug's threaded server), so the provider and one or more portals talk over real
HTTP exactly as they would in production. Every address is on 127.0.0.1.
"""

from __future__ import annotations

import socket
import threading

from werkzeug.serving import make_server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A threaded WSGI server for ``app`` on ``127.0.0.1:port`` until ``stop()``."""

    def __init__(self, app, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = make_server("127.0.0.1", self.port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
