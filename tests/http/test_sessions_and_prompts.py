"""Single sign-on, prompt=none / prompt=login, max_age and the session cookie."""

from __future__ import annotations

import pytest

from tests.conftest import REDIRECT_URI, query_of
from tests.http.driver import Browser


@pytest.fixture
def browser(app, outbox):
    return Browser(app, outbox)


def login_once(browser, citizen, oidc_client, **extra):
    url, _ = browser.authorize_url(oidc_client["client_id"], **extra)
    resp = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    assert resp.location.startswith(REDIRECT_URI)
    return resp


def test_session_cookie_flags_and_renewal(browser, citizen, oidc_client):
    browser.http.set_cookie("idp_session", "planted-by-attacker", domain="localhost")
    url, _ = browser.authorize_url(oidc_client["client_id"])
    password_url = browser.start_login(url)
    resp = browser.submit_password(password_url, citizen["id_number"], citizen["password"])
    resp = browser.submit_otp(resp.location, browser.outbox.last_otp(citizen["phone_e164"]))
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("idp_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "planted-by-attacker" not in cookie


def test_second_authorization_is_single_sign_on(browser, citizen, oidc_client):
    login_once(browser, citizen, oidc_client)
    sent = len(browser.outbox.messages())
    url, _ = browser.authorize_url(oidc_client["client_id"], state="second")
    resp = browser.get(url)
    assert resp.status_code == 302
    assert resp.location.startswith(REDIRECT_URI)
    assert query_of(resp.location)["state"] == "second"
    assert "code" in query_of(resp.location)
    assert len(browser.outbox.messages()) == sent  # no new OTP


def test_prompt_none_with_session_returns_a_code(browser, citizen, oidc_client):
    login_once(browser, citizen, oidc_client)
    url, _ = browser.authorize_url(oidc_client["client_id"], prompt="none")
    resp = browser.get(url)
    assert "code" in query_of(resp.location)


def test_prompt_login_asks_again(browser, citizen, oidc_client):
    login_once(browser, citizen, oidc_client)
    url, _ = browser.authorize_url(oidc_client["client_id"], prompt="login")
    resp = browser.get(url)
    assert "/login?flow=" in resp.location
    # and completing that login returns a code (no loop)
    resp = login_once(browser, citizen, oidc_client, prompt="login")
    assert "code" in query_of(resp.location)


def test_max_age_exceeded_asks_again(browser, citizen, oidc_client, clock):
    login_once(browser, citizen, oidc_client)
    clock.advance(1.1)
    url, _ = browser.authorize_url(oidc_client["client_id"], max_age="0")
    assert "/login?flow=" in browser.get(url).location
    url, _ = browser.authorize_url(oidc_client["client_id"], max_age="3600")
    assert "code" in query_of(browser.get(url).location)


def test_flow_is_bound_to_the_browser(app, outbox, citizen, oidc_client):
    alice, mallory = Browser(app, outbox), Browser(app, outbox)
    url, _ = alice.authorize_url(oidc_client["client_id"])
    choose = alice.get(url).location
    resp = mallory.get(choose)
    assert resp.status_code == 400
    assert "hết hạn" in resp.get_data(as_text=True)
