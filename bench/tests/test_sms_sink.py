"""The local SMS gateway / carrier API the provider talks to during the benchmark."""

import threading
from http.server import ThreadingHTTPServer

import pytest
import requests

from bench.sms_sink import MessageLog, make_handler


@pytest.fixture
def sink():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(MessageLog(), "t0ken"))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_messages_need_the_token_and_the_newest_one_is_read_back(sink):
    bearer = {"Authorization": "Bearer t0ken"}
    refused = requests.post(f"{sink}/sms", json={"to": "+84912000001", "text": "x"}, timeout=5)
    assert refused.status_code == 401
    for text in ("Mã OTP của bạn là 111111", "Mã OTP của bạn là 222222"):
        sent = requests.post(
            f"{sink}/sms", json={"to": "+84912000001", "text": text}, headers=bearer, timeout=5
        )
        assert sent.status_code == 200
    latest = requests.get(f"{sink}/sms/latest", params={"to": "+84912000001"}, timeout=5)
    assert latest.json() == {"seq": 2, "text": "Mã OTP của bạn là 222222"}
    missing = requests.get(f"{sink}/sms/latest", params={"to": "+84912000002"}, timeout=5)
    assert missing.status_code == 404


def test_every_phone_is_registered_to_its_owner(sink):
    answer = requests.post(
        f"{sink}/subscriber",
        json={"phone": "+84912000001", "id_number": "066090100000"},
        headers={"Authorization": "Bearer t0ken"},
        timeout=5,
    )
    assert answer.json() == {"match": True}
