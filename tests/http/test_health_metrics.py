"""Health (/healthz, /readyz), Prometheus metrics (/metrics) and JSON logs with request ids."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from idp.errors import ServiceUnavailable
from idp.services import services
from tests.conftest import query_of
from tests.http.driver import Browser
from tests.http.test_code_flow import redeem
from webapp.logging_setup import AccessLog, json_handler

# The access log's JSON fields (one line per request), whichever server runs the app.
ACCESS_LOG_FIELDS = {
    "ts",
    "remote",
    "method",
    "path",
    "status",
    "bytes",
    "duration_ms",
    "request_id",
    "user_agent",
}

ROOT = Path(__file__).resolve().parents[2]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# -- health ------------------------------------------------------------------------------


def test_healthz_answers_without_touching_dependencies(app, monkeypatch):
    def down():
        raise ServiceUnavailable("redis")

    with app.app_context():
        monkeypatch.setattr(services().store, "ping", down)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}
    assert resp.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_when_database_store_and_keys_are(app):
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "store": "ok", "keys": "ok"},
    }


def test_readyz_names_a_store_that_does_not_answer(app, monkeypatch):
    def down():
        raise ServiceUnavailable("redis")

    with app.app_context():
        monkeypatch.setattr(services().store, "ping", down)
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "not_ready"
    assert body["not_ready"] == ["store"]
    assert body["checks"]["database"] == "ok"


def test_readyz_names_missing_signing_keys(app_factory, tmp_path):
    app_factory()
    app = app_factory(IDP_KEYS_DIR=str(tmp_path / "no-keys"))
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["not_ready"] == ["keys"]


def test_readyz_names_an_unreachable_database(app_factory):
    app_factory()  # the test's own database, created
    app = app_factory(DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["not_ready"] == ["database"]


def test_a_database_outage_is_a_503_page_not_a_500(app_factory, outbox):
    app_factory()
    app = app_factory(DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    browser = Browser(app, outbox)
    resp = browser.get("/login")
    page_url = resp.location
    flow = query_of(page_url)["flow"]
    page = browser.get(page_url).get_data(as_text=True)
    password_url = browser.post_form(
        "/login/method", page, {"flow": flow, "method": "password"}
    ).location
    page = browser.get(password_url).get_data(as_text=True)
    resp = browser.post_form(
        password_url, page, {"username": "066090001234", "password": "matkhau2026"}
    )
    assert resp.status_code == 503
    assert "Hệ thống đang tạm thời gián đoạn" in resp.get_data(as_text=True)
    token = app.test_client().post(
        "/oauth2/token",
        data={"grant_type": "authorization_code", "code": "x"},
        auth=("some-client", "its-secret"),
    )
    assert token.status_code == 503
    assert token.get_json()["error"] == "temporarily_unavailable"


# -- metrics -----------------------------------------------------------------------------


def test_metrics_count_requests_by_endpoint_and_status(app):
    http = app.test_client()
    labels = {"endpoint": "health.healthz", "method": "GET", "status": "200"}
    before = sample("idp_http_requests_total", **labels)
    timed = sample("idp_http_request_duration_seconds_count", endpoint="health.healthz")
    http.get("/healthz")
    http.get("/healthz")
    assert sample("idp_http_requests_total", **labels) == before + 2
    assert sample("idp_http_request_duration_seconds_count", endpoint="health.healthz") == (
        timed + 2
    )
    missing = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    before_404 = sample("idp_http_requests_total", **missing)
    http.get("/no/such/page")
    assert sample("idp_http_requests_total", **missing) == before_404 + 1

    resp = http.get("/metrics")
    assert resp.status_code == 200
    assert resp.mimetype == "text/plain"
    text = resp.get_data(as_text=True)
    assert 'idp_http_requests_total{endpoint="health.healthz",method="GET",status="200"}' in text
    assert "idp_http_request_duration_seconds_bucket" in text


def test_audit_events_and_tokens_drive_the_security_counters(app, outbox, citizen, oidc_client):
    browser = Browser(app, outbox)
    success = sample("idp_logins_total", result="success")
    failure = sample("idp_logins_total", result="failure")
    sent = sample("idp_otp_sent_total")
    failed = sample("idp_otp_failed_total")
    issued = sample("idp_tokens_issued_total", grant_type="authorization_code")
    events = sample("idp_audit_events_total", event="login.success")

    url, req = browser.authorize_url(oidc_client["client_id"])
    password_url = browser.start_login(url)
    assert browser.submit_password(password_url, citizen["id_number"], "saimatkhau9").status_code
    otp_url = browser.submit_password(
        password_url, citizen["id_number"], citizen["password"]
    ).location
    code = outbox.last_otp(citizen["phone_e164"])
    wrong = "000000" if code != "000000" else "111111"
    assert browser.submit_otp(otp_url, wrong).status_code == 400
    resume = browser.submit_otp(otp_url, code).location
    resp = browser.get(resume)
    if resp.status_code == 302 and "/consent" in resp.location:
        resp = browser.decide_consent(resp.location)
    params = query_of(resp.location)
    assert redeem(browser.http, oidc_client, params["code"], req["verifier"]).status_code == 200

    assert sample("idp_logins_total", result="success") == success + 1
    assert sample("idp_logins_total", result="failure") == failure + 1
    assert sample("idp_otp_sent_total") == sent + 1
    assert sample("idp_otp_failed_total") == failed + 1
    assert sample("idp_tokens_issued_total", grant_type="authorization_code") == issued + 1
    assert sample("idp_audit_events_total", event="login.success") == events + 1


def test_lockouts_are_counted(app_factory, outbox, citizen, oidc_client):
    app = app_factory(LOCKOUT_THRESHOLD=2)
    browser = Browser(app, outbox)
    before = sample("idp_lockouts_total")
    url, _ = browser.authorize_url(oidc_client["client_id"])
    password_url = browser.start_login(url)
    for _ in range(2):
        browser.submit_password(password_url, citizen["id_number"], "saimatkhau9")
    assert sample("idp_lockouts_total") == before + 1


def test_metrics_can_be_restricted_to_some_addresses(app_factory):
    closed = app_factory(METRICS_ALLOWED_IPS="10.0.0.0/8").test_client()
    assert closed.get("/metrics").status_code == 403
    assert closed.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    opened = app_factory(METRICS_ALLOWED_IPS="127.0.0.1, ::1").test_client()
    assert opened.get("/metrics").status_code == 200


def test_server_workers_add_up_in_multiprocess_mode(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "IDP_ENV": "test"}
    count = "from idp import metrics; metrics.count('login_success'); metrics.count('lockout')"
    for _ in range(2):  # two "workers", each its own process
        subprocess.run([sys.executable, "-c", count], env=env, cwd=ROOT, check=True)
    out = subprocess.run(
        [sys.executable, "-c", "from idp import metrics; print(metrics.exposition().decode())"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert 'idp_logins_total{result="success"} 2.0' in out
    assert "idp_lockouts_total 2.0" in out


# -- logs --------------------------------------------------------------------------------


def test_json_log_lines_carry_the_request_id(app):
    stream = io.StringIO()
    log = logging.getLogger("idp.test_json_logs")
    log.addHandler(json_handler(stream))
    log.setLevel(logging.INFO)
    log.propagate = False
    with app.test_request_context(headers={"X-Request-Id": "req-2026-abc"}):
        app.preprocess_request()  # security_headers takes the request id
        log.info("Đăng nhập thành công")
        try:
            raise ValueError("hỏng")
        except ValueError:
            log.exception("lỗi")
    log.info("outside a request")
    first, second, third = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "Đăng nhập thành công"
    assert first["request_id"] == "req-2026-abc"
    assert first["level"] == "INFO" and first["logger"] == "idp.test_json_logs"
    assert first["ts"].endswith("+00:00")
    assert second["request_id"] == "req-2026-abc" and "ValueError: hỏng" in second["exc"]
    assert "request_id" not in third


def test_access_log_is_one_json_object_without_query_strings():
    stream = io.StringIO()

    def app(environ, start_response):
        start_response("302 FOUND", [("X-Request-Id", "abc123"), ("Location", "/")])
        return [b"moved", b" on"]

    logged = AccessLog(app, stream=stream)
    environ = {
        "REMOTE_ADDR": "198.51.100.7",
        "REQUEST_METHOD": "GET",
        "PATH_INFO": '/login"x',
        "QUERY_STRING": "flow=secret-flow-id",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    body = logged(environ, lambda status, headers, exc_info=None: None)
    assert b"".join(body) == b"moved on"
    assert stream.getvalue() == ""  # streamed: written once the body is sent (close)
    body.close()
    entry = json.loads(stream.getvalue().strip())
    assert set(entry) == ACCESS_LOG_FIELDS
    assert entry["status"] == 302 and entry["bytes"] == 8
    assert entry["remote"] == "198.51.100.7"
    assert entry["path"] == '/login"x'
    assert entry["request_id"] == "abc123"
    assert entry["user_agent"] == "Mozilla/5.0" and entry["duration_ms"] >= 0
    assert "secret-flow-id" not in stream.getvalue()


def test_access_log_writes_a_response_of_known_length_when_the_app_returns_it():
    stream = io.StringIO()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Length", "5")])
        return [b"hello"]

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "idp.request_id": "rid-1"}
    body = AccessLog(app, stream=stream)(environ, lambda *args: None)
    entry = json.loads(stream.getvalue())
    assert (entry["status"], entry["bytes"], entry["request_id"]) == (200, 5, "rid-1")
    assert body == [b"hello"]  # handed to the server as it is
    AccessLog(app, stream=stream)({**environ, "REQUEST_METHOD": "HEAD"}, lambda *a: None)
    assert json.loads(stream.getvalue().splitlines()[1])["bytes"] == 0


def test_access_log_writes_a_500_line_when_the_app_raises():
    stream = io.StringIO()

    def app(environ, start_response):
        raise RuntimeError("boom")

    logged = AccessLog(app, stream=stream)
    with pytest.raises(RuntimeError):
        logged({"REQUEST_METHOD": "GET", "PATH_INFO": "/"}, None)
    assert json.loads(stream.getvalue())["status"] == 500
