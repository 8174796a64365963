"""The local SMS gateway / carrier API the provider talks to during the benchmark: HTTPS
on 127.0.0.1 with a certificate from the run's throw-away CA."""

import threading

import pytest
import requests

from bench.local_ca import issue_loopback_tls
from bench.sms_inbox import SmsInbox
from bench.sms_sink import https_server, tls_context


@pytest.fixture
def sink(tmp_path):
    tls = issue_loopback_tls(tmp_path / "tls")
    httpd = https_server(0, "t0ken", tls_context(str(tls.cert_path), str(tls.key_path)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield SmsInbox(f"https://127.0.0.1:{httpd.server_address[1]}", tls.ca_path)
    httpd.shutdown()
    httpd.server_close()


def test_messages_need_the_token_and_the_newest_one_is_read_back(sink):
    bearer = {"Authorization": "Bearer t0ken"}
    ca = str(sink.ca_path)
    refused = requests.post(
        f"{sink.url}/sms", json={"to": "+84912000001", "text": "x"}, verify=ca, timeout=5
    )
    assert refused.status_code == 401
    for text in ("Mã OTP của bạn là 111111", "Mã OTP của bạn là 222222"):
        sent = requests.post(
            f"{sink.url}/sms",
            json={"to": "+84912000001", "text": text},
            headers=bearer,
            verify=ca,
            timeout=5,
        )
        assert sent.status_code == 200
    assert sink.latest("+84912000001") == (2, "Mã OTP của bạn là 222222")
    assert sink.latest("+84912000002") == (0, "")


def test_every_phone_is_registered_to_its_owner(sink):
    answer = requests.post(
        f"{sink.url}/subscriber",
        json={"phone": "+84912000001", "id_number": "066090100000"},
        headers={"Authorization": "Bearer t0ken"},
        verify=str(sink.ca_path),
        timeout=5,
    )
    assert answer.json() == {"match": True}


def test_the_sink_is_trusted_through_its_own_run_ca_only(sink, tmp_path):
    other_run = issue_loopback_tls(tmp_path / "other-run")
    for verify in (True, str(other_run.ca_path)):  # the public roots, another run's CA
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{sink.url}/health", verify=verify, timeout=5)
    assert requests.get(f"{sink.url}/health", verify=str(sink.ca_path), timeout=5).ok


def test_the_sink_speaks_https_only(sink):
    """The provider's production refusal of an http:// gateway is met, not avoided."""
    assert sink.url.startswith("https://127.0.0.1:")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(sink.url.replace("https:", "http:") + "/health", timeout=5)
