"""PostgreSQL restarts or stops under a running provider: requests made while it is down
get the 503 page (never a 500, never half an account); once it is back the very next
requests succeed on fresh connections (pool pre-ping), the provider never restarted."""

from __future__ import annotations

import pytest

from tests.conftest import CITIZEN
from tests.http.driver import Browser
from tests.http.registration_driver import (
    NEWCOMER,
    NEWCOMER_E164,
    PASSWORD,
    RegistrationBrowser,
    citizens_with,
    import_registry,
)

pytestmark = pytest.mark.servers

UNAVAILABLE_TEXT = "Hệ thống đang tạm thời gián đoạn"


@pytest.fixture
def app(app_factory, private_postgres):
    return app_factory(DATABASE_URL=private_postgres.url)


def _login(browser: Browser, citizen: dict):
    choose = browser.get("/login").location
    page = browser.get(choose).get_data(as_text=True)
    flow = choose.split("flow=", 1)[1]
    password_url = browser.post_form(
        "/login/method", page, {"flow": flow, "method": "password"}
    ).location
    resp = browser.submit_password(password_url, citizen["id_number"], citizen["password"])
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return browser.submit_otp(resp.location, browser.outbox.last_otp(citizen["phone_e164"]))


def test_requests_after_a_postgres_restart_succeed(app, outbox, citizen, private_postgres):
    http = app.test_client()
    assert http.get("/readyz").status_code == 200  # the pool now holds a connection

    private_postgres.restart()  # every pooled connection is now dead

    assert http.get("/readyz").status_code == 200
    resp = _login(Browser(app, outbox), citizen)
    assert resp.status_code == 302 and resp.location == "/login/done"


def test_postgres_down_mid_login_answers_503_then_the_same_flow_goes_on(
    app, outbox, citizen, private_postgres
):
    browser = Browser(app, outbox)
    choose = browser.get("/login").location
    page = browser.get(choose).get_data(as_text=True)
    flow = choose.split("flow=", 1)[1]
    password_url = browser.post_form(
        "/login/method", page, {"flow": flow, "method": "password"}
    ).location
    page = browser.get(password_url).get_data(as_text=True)
    form = {"username": CITIZEN["id_number"], "password": CITIZEN["password"]}

    private_postgres.stop()
    resp = browser.post_form(password_url, page, form)
    assert resp.status_code == 503
    assert UNAVAILABLE_TEXT in resp.get_data(as_text=True)
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["not_ready"] == ["database"]

    private_postgres.start()
    resp = browser.post_form(password_url, page, form)  # the flow lives in Redis: go on
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    resp = browser.submit_otp(resp.location, outbox.last_otp(citizen["phone_e164"]))
    assert resp.status_code == 302 and resp.location == "/login/done"


def test_postgres_down_at_account_creation_leaves_no_half_account(app, outbox, private_postgres):
    import_registry(app, (NEWCOMER["phone"], NEWCOMER["id_number"]))
    browser = RegistrationBrowser(app, outbox)
    password_url = browser.up_to_password(NEWCOMER, NEWCOMER_E164)
    page = browser.get(password_url).get_data(as_text=True)
    form = {"password": PASSWORD, "password_confirm": PASSWORD}

    private_postgres.stop()
    resp = browser.post(password_url, page, form)
    assert resp.status_code == 503
    assert UNAVAILABLE_TEXT in resp.get_data(as_text=True)

    private_postgres.start()
    assert citizens_with(app, NEWCOMER["id_number"]) == []
    # The flow was ended before the write (so a double submit cannot make two accounts):
    # the same step now says so clearly, and a new registration succeeds, once.
    resp = browser.post(password_url, page, form)
    assert 400 <= resp.status_code < 500
    assert citizens_with(app, NEWCOMER["id_number"]) == []
    resp = browser.register(NEWCOMER, NEWCOMER_E164)
    assert resp.status_code == 302 and resp.location == "/register/done"
    [account] = citizens_with(app, NEWCOMER["id_number"])
    assert account.phone == NEWCOMER_E164 and account.password_hash.startswith("$argon2id$")
