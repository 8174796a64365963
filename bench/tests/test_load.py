"""wrk with bench/wrk/requests.lua against a local recording server (needs wrk)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.load import LoadShape, http_request, run_wrk


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[str]
    lock = threading.Lock()

    def log_message(self, *args) -> None:
        return

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        with self.lock:
            self.seen.append(self.path + ("|" + body.decode() if body else ""))
        status = 404 if self.path.startswith("/missing") else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = _answer
    do_POST = _answer


@pytest.fixture
def server():
    handler = type("Recorder", (_Recorder,), {"seen": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler.seen
    httpd.shutdown()


def test_one_request_is_repeated_and_counted(server):
    base, seen = server
    result = run_wrk(base, [http_request("GET", base + "/discovery")], LoadShape(4, 1, 1))
    assert result.requests > 10
    assert result.errors == 0 and result.exhausted == 0
    assert set(seen) == {"/discovery"}
    assert 0 < result.p50_ms <= result.p99_ms


def test_one_use_requests_go_out_once_each_across_threads_until_they_run_out(server):
    base, seen = server
    requests = [
        http_request("POST", base + "/token", {"Content-Type": "text/plain"}, f"c{i}".encode())
        for i in range(40)
    ]
    result = run_wrk(base, requests, LoadShape(connections=4, threads=2, seconds=1))
    used = [entry for entry in seen if entry != "/token|c38" and entry != "/token|c39"]
    assert len(used) == len(set(used)), "a one-use request was sent twice"
    # wrk calls request() once before the run to inspect it: the first request is never sent.
    assert {f"/token|c{i}" for i in range(1, 40)} <= set(seen)
    assert result.exhausted > 0


def test_error_statuses_are_not_counted_as_served(server):
    base, _ = server
    result = run_wrk(base, [http_request("GET", base + "/missing")], LoadShape(2, 1, 1))
    assert result.requests > 0
    assert result.status_errors == result.requests
    assert result.ok_per_second == 0
