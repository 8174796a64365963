"""A scriptable HTTP server on 127.0.0.1 standing in for a client's own server (its
jwks_uri, sector_identifier_uri or backchannel_logout_uri) in outbound-request tests.

``answer(path, status, body, headers)`` sets what a path answers; every request is kept
in ``requests`` (method, path, Host header, body) so tests can show what was (not) asked.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.live import free_port


@dataclass
class Seen:
    method: str
    path: str
    host: str
    body: bytes


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    declare_length: bool = True


class LoopbackHttp:
    """``with LoopbackHttp() as server:`` serves until the block ends."""

    def __init__(self):
        self.answers: dict[str, Answer] = {}
        self.requests: list[Seen] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                owner.requests.append(
                    Seen(self.command, self.path, self.headers.get("Host", ""), body)
                )
                answer = owner.answers.get(self.path, Answer(404, b""))
                self.send_response(answer.status)
                headers = dict(answer.headers)
                if answer.declare_length:
                    headers["Content-Length"] = str(len(answer.body))
                else:
                    headers["Connection"] = "close"  # the body ends when the connection does
                    self.close_connection = True
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = _handle

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def answer(
        self, path: str, status: int = 200, body=b"", declare_length: bool = True, **headers: str
    ) -> str:
        """Make ``path`` answer; a non-bytes ``body`` is sent as JSON; without
        ``declare_length`` no Content-Length is sent. Returns the path's URL."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        named = {k.replace("_", "-"): v for k, v in headers.items()}
        self.answers[path] = Answer(status, raw, named, declare_length)
        return self.url(path)

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]

    def __enter__(self) -> LoopbackHttp:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never answers (for timeouts)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)  # connections complete in the backlog; nothing is ever read
        self.port = self.sock.getsockname()[1]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()


class FakeClock:
    """A monotonic clock that moves only when told (``advance``)."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
