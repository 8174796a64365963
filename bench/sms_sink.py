"""A local SMS gateway and carrier API for the benchmark, on 127.0.0.1 only, over HTTPS.

The provider runs with ``SMS_BACKEND=http`` and ``SUBSCRIBER_CHECK=http`` pointed here:

- ``POST /sms`` (``Authorization: Bearer <token>``, ``{"to", "text"}``) records a message;
- ``POST /subscriber`` answers ``{"match": true}`` (every bench phone is "chính chủ");
- ``GET /sms/latest?to=<E.164>`` gives the login driver ``{"seq", "text"}`` of the newest
  message to that phone, so it can read the OTP as the citizen would;
- ``GET /health`` answers 200 once the sink is listening.

Run as its own process (``BENCH_SMS_TOKEN=... python -m bench.sms_sink PORT CERT KEY``, the
certificate from bench.local_ca) so that its answers do not wait on the load generator's
threads. It speaks HTTPS because the provider refuses an ``http://`` gateway in production.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class MessageLog:
    """The newest message per phone, numbered in arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seq = 0
        self._latest: dict[str, tuple[int, str]] = {}

    def record(self, to: str, text: str) -> int:
        """Keep ``text`` as the newest message to ``to``; returns its number."""
        with self._lock:
            self._seq += 1
            self._latest[to] = (self._seq, text)
            return self._seq

    def latest(self, to: str) -> tuple[int, str] | None:
        """The number and text of the newest message to ``to``, if any."""
        with self._lock:
            return self._latest.get(to)


def make_handler(log: MessageLog, token: str) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to ``log`` that accepts messages sent with ``token``."""

    class SinkHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30

        def setup(self) -> None:
            super().setup()
            # The listening socket defers the TLS handshake (see serve) to this thread.
            if isinstance(self.connection, ssl.SSLSocket):
                self.connection.do_handshake()

        def log_message(self, format: str, *args) -> None:
            return

        def _answer(self, status: int, body: dict) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _json_body(self) -> dict:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return {}
            return body if isinstance(body, dict) else {}

        def do_POST(self) -> None:
            body = self._json_body()
            if self.headers.get("Authorization") != f"Bearer {token}":
                self._answer(401, {"error": "unauthorized"})
            elif self.path == "/sms" and body.get("to") and body.get("text"):
                self._answer(200, {"accepted": True, "seq": log.record(body["to"], body["text"])})
            elif self.path == "/subscriber":
                self._answer(200, {"match": True})
            else:
                self._answer(400, {"error": "bad request"})

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/health":
                self._answer(200, {"ok": True})
                return
            to = parse_qs(url.query).get("to", [""])[0]
            found = log.latest(to) if url.path == "/sms/latest" else None
            if found is None:
                self._answer(404, {"error": "no message"})
            else:
                self._answer(200, {"seq": found[0], "text": found[1]})

    return SinkHandler


def tls_context(cert_path: str, key_path: str) -> ssl.SSLContext:
    """A TLS 1.2+ server context with the sink's certificate and key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_path, key_path)
    return context


def https_server(port: int, token: str, context: ssl.SSLContext) -> ThreadingHTTPServer:
    """The sink bound to 127.0.0.1:``port`` (0: any free port), speaking HTTPS."""
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(MessageLog(), token))
    server.daemon_threads = True
    # Handshakes happen in each connection's thread, so one slow client cannot hold up
    # the accepting loop.
    server.socket = context.wrap_socket(
        server.socket, server_side=True, do_handshake_on_connect=False
    )
    return server


def serve(port: int, token: str, cert_path: str, key_path: str) -> None:
    """Serve the sink over HTTPS on 127.0.0.1:``port`` until the process is stopped."""
    server = https_server(port, token, tls_context(cert_path, key_path))
    print(f"sms sink listening on https://127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]), os.environ["BENCH_SMS_TOKEN"], sys.argv[2], sys.argv[3])
