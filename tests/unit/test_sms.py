"""SMS gateway backends: console, outbox file, HTTP; the factory; the recent-messages buffer."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from idp.errors import ServiceUnavailable
from idp.sms import (
    ConsoleGateway,
    HttpGateway,
    OutboxGateway,
    RecentMessages,
    RecordingGateway,
    create_gateway,
)

TEXT = "Mã xác thực (OTP) của bạn là 123456, có hiệu lực trong 5 phút."

# -- console ----------------------------------------------------------------------------------


def test_console_logs_the_message(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="idp.sms"):
        ConsoleGateway().send("+84912345678", TEXT)
    [record] = [r for r in caplog.records if r.name == "idp.sms"]
    assert record.levelno == logging.INFO
    assert record.getMessage() == f"SMS to +84912345678 : {TEXT}"


# -- outbox -----------------------------------------------------------------------------------


def read_outbox(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_outbox_appends_one_json_object_per_line(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dir" / "outbox.jsonl"  # missing folders are created
    gateway = OutboxGateway(path)
    gateway.send("+84912345678", TEXT)
    gateway.send("+84987654321", "thứ hai")
    raw = path.read_text(encoding="utf-8")
    assert raw.endswith("\n") and raw.count("\n") == 2
    assert "Mã xác thực" in raw  # not \\u escapes
    first, second = read_outbox(path)
    assert set(first) == {"to", "text", "sent_at"}
    assert first["to"] == "+84912345678" and first["text"] == TEXT
    assert second == {**second, "to": "+84987654321", "text": "thứ hai"}
    sent_at = datetime.fromisoformat(first["sent_at"])
    assert sent_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - sent_at) < timedelta(minutes=1)


def test_outbox_keeps_lines_intact_under_concurrent_writers(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    # One gateway shared, and one per thread (as separate processes would have).
    shared = OutboxGateway(path)
    long_text = "Mã OTP " + "ễ" * 3000

    def writer(n: int) -> None:
        gateway = shared if n % 2 else OutboxGateway(path)
        for i in range(25):
            gateway.send(f"+8491{n:07d}", f"{n}-{i} {long_text}")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    records = read_outbox(path)
    assert len(records) == 500
    assert {r["text"].split()[0] for r in records} == {
        f"{n}-{i}" for n in range(20) for i in range(25)
    }
    assert all(r["text"].endswith(long_text) for r in records)


def test_outbox_that_cannot_be_written_is_unavailable(tmp_path: Path) -> None:
    gateway = OutboxGateway(tmp_path)  # a directory, not a file
    with pytest.raises(ServiceUnavailable) as info:
        gateway.send("+84912345678", TEXT)
    assert info.value.service == "sms"


# -- http -------------------------------------------------------------------------------------


class FakeSmsApi:
    """A tiny gateway on 127.0.0.1 that records requests and answers ``status``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 202
        self.delay = 0.0
        self.connections = 0
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real gateway offers

            def setup(self) -> None:
                api.connections += 1
                super().setup()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                api.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "json": json.loads(body),
                    }
                )
                time.sleep(api.delay)
                self.send_response(api.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms/send"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sms_api() -> Iterator[FakeSmsApi]:
    api = FakeSmsApi()
    yield api
    api.close()


def test_http_posts_json_with_bearer_token(sms_api: FakeSmsApi) -> None:
    HttpGateway(sms_api.url, "s3cret").send("+84912345678", TEXT)
    [request] = sms_api.requests
    assert request["path"] == "/sms/send"
    assert request["headers"]["Authorization"] == "Bearer s3cret"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["json"] == {"to": "+84912345678", "text": TEXT}


def test_http_reuses_its_connection_to_the_gateway(sms_api: FakeSmsApi) -> None:
    gateway = HttpGateway(sms_api.url, "s3cret")
    for _ in range(3):
        gateway.send("+84912345678", TEXT)
    assert len(sms_api.requests) == 3
    assert sms_api.connections == 1  # no new connection (or TLS handshake) per OTP


@pytest.mark.parametrize("status", [500, 503, 401, 400, 302])
def test_http_non_2xx_is_unavailable(sms_api: FakeSmsApi, status: int) -> None:
    sms_api.status = status
    with pytest.raises(ServiceUnavailable) as info:
        HttpGateway(sms_api.url, "t").send("+84912345678", TEXT)
    assert info.value.service == "sms"


def test_http_timeout_is_unavailable(sms_api: FakeSmsApi) -> None:
    sms_api.delay = 1.0
    with pytest.raises(ServiceUnavailable):
        HttpGateway(sms_api.url, "t", timeout=0.2).send("+84912345678", TEXT)


def test_http_refused_connection_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Nothing listens on the port any more.
    with pytest.raises(ServiceUnavailable):
        HttpGateway(f"http://127.0.0.1:{port}/", "t", timeout=2).send("+84912345678", TEXT)


def test_http_failures_do_not_log_the_text(
    sms_api: FakeSmsApi, caplog: pytest.LogCaptureFixture
) -> None:
    sms_api.status = 500
    with caplog.at_level(logging.DEBUG), pytest.raises(ServiceUnavailable):
        HttpGateway(sms_api.url, "t").send("+84912345678", TEXT)
    assert "123456" not in caplog.text


# -- factory ----------------------------------------------------------------------------------


def test_create_gateway_picks_the_backend(tmp_path: Path) -> None:
    assert isinstance(create_gateway("console"), ConsoleGateway)
    outbox = create_gateway("outbox", outbox_path=str(tmp_path / "o.jsonl"))
    assert isinstance(outbox, OutboxGateway)
    http = create_gateway("http", http_url="http://127.0.0.1:9/x", http_token="t")
    assert isinstance(http, HttpGateway)
    assert isinstance(create_gateway(" Console "), ConsoleGateway)


def test_create_gateway_explains_bad_settings() -> None:
    with pytest.raises(ValueError, match="SMS_OUTBOX_PATH"):
        create_gateway("outbox", outbox_path=None)
    with pytest.raises(ValueError, match="SMS_HTTP_URL"):
        create_gateway("http", http_url=None, http_token="t")
    with pytest.raises(ValueError, match="SMS_HTTP_TOKEN"):
        create_gateway("http", http_url="http://x", http_token=None)
    with pytest.raises(ValueError, match="console, outbox, http"):
        create_gateway("carrier-pigeon")


# -- recent messages --------------------------------------------------------------------------


class Capture:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.sent: list[tuple[str, str]] = []

    def send(self, to_e164: str, text: str) -> None:
        if self.fail:
            raise ServiceUnavailable("sms")
        self.sent.append((to_e164, text))


def test_recording_gateway_sends_and_remembers() -> None:
    inner, recent = Capture(), RecentMessages()
    gateway = RecordingGateway(inner, recent)
    gateway.send("+84912345678", "một")
    gateway.send("+84912345678", "hai")
    assert inner.sent == [("+84912345678", "một"), ("+84912345678", "hai")]
    assert [m.text for m in recent.newest_first()] == ["hai", "một"]
    assert recent.newest_first()[0].to == "+84912345678"


def test_recording_gateway_does_not_remember_failed_sends() -> None:
    recent = RecentMessages()
    with pytest.raises(ServiceUnavailable):
        RecordingGateway(Capture(fail=True), recent).send("+84912345678", "x")
    assert len(recent) == 0


def test_recent_messages_keeps_the_last_fifty_under_concurrency() -> None:
    recent = RecentMessages()

    def writer(n: int) -> None:
        for i in range(20):
            recent.add("+84912345678", f"{n}-{i}")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(recent) == 50
    recent.add("+84912345678", "last")
    assert recent.newest_first()[0].text == "last"
    assert len(recent.newest_first()) == 50
    recent.clear()
    assert recent.newest_first() == []
