"""The provider under test starts with production's refusals in force, and its gateway
clients reach the HTTPS sink through the run's CA."""

import threading

import pytest

from bench.local_ca import issue_loopback_tls
from bench.postgres import BenchDatabase
from bench.provider import ProviderUnderTest
from bench.sms_inbox import SmsInbox
from bench.sms_sink import https_server, tls_context
from idp.errors import ServiceUnavailable
from idp.settings import load_settings
from idp.sms.http import HttpGateway
from idp.subscribers.http import CarrierApiCheck


@pytest.fixture
def tls(tmp_path):
    return issue_loopback_tls(tmp_path / "tls")


@pytest.fixture
def sink(tls):
    httpd = https_server(0, "t0ken", tls_context(str(tls.cert_path), str(tls.key_path)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield SmsInbox(f"https://127.0.0.1:{httpd.server_address[1]}", tls.ca_path)
    httpd.shutdown()
    httpd.server_close()


def test_the_bench_environment_passes_the_production_checks(tmp_path, tls, monkeypatch):
    inbox = SmsInbox("https://127.0.0.1:9", tls.ca_path)
    provider = ProviderUnderTest(tmp_path, inbox, "t0ken", BenchDatabase(), front="none")
    for name, value in provider.env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings("production")  # raises SettingsError on any refusal
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SMS_HTTP_URL"].startswith("https://127.0.0.1:")
    assert settings["SUBSCRIBER_HTTP_URL"].startswith("https://127.0.0.1:")
    assert settings["METRICS_ALLOWED_IPS"] == "127.0.0.1"
    assert settings["SHOW_SMS_PAGE"] is False
    assert provider.env["REQUESTS_CA_BUNDLE"] == str(tls.ca_path)


def test_gateway_clients_trust_the_sink_through_requests_ca_bundle(sink, monkeypatch):
    sms = HttpGateway(f"{sink.url}/sms", "t0ken")
    carrier = CarrierApiCheck(f"{sink.url}/subscriber", "t0ken", timeout=5)
    with pytest.raises(ServiceUnavailable):  # public roots only: the sink is not trusted
        sms.send("+84912000001", "Mã OTP của bạn là 123456")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sink.ca_path))
    sms.send("+84912000001", "Mã OTP của bạn là 123456")
    assert sink.latest("+84912000001") == (1, "Mã OTP của bạn là 123456")
    assert carrier.is_registered_to("+84912000001", "066090100000") is True
