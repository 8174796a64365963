"""Rate limits per client IP: pages answer a Vietnamese 429, protocol endpoints JSON (the
per-client limits of the protocol endpoints: test_client_rate_limits.py)."""

from __future__ import annotations

import pytest

from idp.settings import SettingsError
from tests.conftest import REAL_REDIS, csrf_of, query_of
from tests.http.driver import Browser


def _password_url(browser: Browser, client_id: str) -> str:
    url, _ = browser.authorize_url(client_id)
    return browser.start_login(url)


def _post_password(browser: Browser, password_url: str, **kw):
    page = browser.get(password_url).get_data(as_text=True)
    return browser.post_form(
        password_url, page, {"username": "066090009999", "password": "saimatkhau1"}, **kw
    )


def _token(http, ip: str | None = None):
    """A token request without client credentials: a failed client authentication."""
    headers = {"X-Forwarded-For": ip} if ip else {}
    return http.post("/oauth2/token", data={"grant_type": "authorization_code"}, headers=headers)


def test_login_password_post_is_limited_per_ip_with_a_vietnamese_page(
    app_factory, outbox, oidc_client
):
    app = app_factory(RATE_LIMIT_LOGIN_PASSWORD="3/minute")
    browser = Browser(app, outbox)
    password_url = _password_url(browser, oidc_client["client_id"])
    for _ in range(3):
        assert _post_password(browser, password_url).status_code == 400  # wrong password
    resp = _post_password(browser, password_url)
    assert resp.status_code == 429
    html = resp.get_data(as_text=True)
    assert "Bạn thao tác quá nhiều lần trong thời gian ngắn" in html
    assert 'data-code="rate_limited"' in html
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    # Only POSTs count: the page itself still opens.
    assert browser.get(password_url).status_code == 200


def test_token_endpoint_answers_json_slow_down(app_factory):
    http = app_factory(RATE_LIMIT_CLIENT_AUTH_FAILURES="2/minute").test_client()
    assert _token(http).status_code == 401
    assert _token(http).status_code == 401
    resp = _token(http)
    assert resp.status_code == 429
    assert resp.get_json()["error"] == "slow_down"
    assert "failed authentications from this address" in resp.get_json()["error_description"]
    assert resp.headers["Cache-Control"] == "no-store"
    assert int(resp.headers["Retry-After"]) >= 1
    # Another endpoint has its own counter.
    assert http.get("/.well-known/openid-configuration").status_code == 200


def test_limits_key_on_the_real_client_behind_a_trusted_proxy(app_factory):
    http = app_factory(
        RATE_LIMIT_CLIENT_AUTH_FAILURES="1/minute", TRUSTED_PROXIES="127.0.0.1"
    ).test_client()
    assert _token(http, "203.0.113.10").status_code != 429
    assert _token(http, "203.0.113.10").status_code == 429
    assert _token(http, "203.0.113.11").status_code != 429  # another citizen, another count


def test_forwarded_for_from_an_untrusted_peer_does_not_change_the_key(app_factory):
    http = app_factory(RATE_LIMIT_CLIENT_AUTH_FAILURES="1/minute", TRUSTED_PROXIES="").test_client()
    assert _token(http, "203.0.113.20").status_code != 429
    assert _token(http, "203.0.113.21").status_code == 429  # still 127.0.0.1


def test_limits_can_be_switched_off_for_tests(app_factory):
    http = app_factory(
        RATE_LIMIT_CLIENT_AUTH_FAILURES="1/minute", RATE_LIMITS_ENABLED=False
    ).test_client()
    assert all(_token(http).status_code != 429 for _ in range(5))


@pytest.mark.parametrize("name", ["CLIENT_AUTH_FAILURES", "TOKEN_PER_CLIENT", "LOGIN_PASSWORD"])
def test_a_malformed_limit_stops_the_provider_at_start(app_factory, name):
    with pytest.raises(SettingsError, match=f"RATE_LIMIT_{name}"):
        app_factory(**{f"RATE_LIMIT_{name}": "lots per minute"})


def test_registration_details_post_is_limited(app_factory, outbox):
    app = app_factory(RATE_LIMIT_REGISTRATION_DETAILS="2/hour")
    if "registration.details" not in app.view_functions:
        pytest.skip("the registration flow is not registered in the app yet")
    http = app.test_client()
    resp = http.get("/register")
    choose_url = resp.location
    page = http.get(choose_url).get_data(as_text=True)
    flow = query_of(choose_url)["flow"]
    resp = http.post(
        f"/register/method?flow={flow}",
        data={"csrf_token": csrf_of(page), "kind": "citizen", "method": "mobile"},
    )
    details_url = resp.location
    page = http.get(details_url).get_data(as_text=True)
    bad = {"csrf_token": csrf_of(page), "id_number": "123", "full_name": "A"}
    assert http.post(details_url, data=bad).status_code == 400
    assert http.post(details_url, data=bad).status_code == 400
    resp = http.post(details_url, data=bad)
    assert resp.status_code == 429
    assert "Bạn thao tác quá nhiều lần" in resp.get_data(as_text=True)


@pytest.mark.skipif(
    not REAL_REDIS, reason="memory:// counters are per process by design; needs REDIS_URL"
)
def test_two_apps_on_one_redis_share_the_counts(app_factory):
    first = app_factory(RATE_LIMIT_CLIENT_AUTH_FAILURES="3/minute").test_client()
    second = app_factory(RATE_LIMIT_CLIENT_AUTH_FAILURES="3/minute").test_client()
    assert _token(first).status_code != 429
    assert _token(second).status_code != 429
    assert _token(first).status_code != 429
    assert _token(second).status_code == 429


def test_login_second_factor_steps_are_limited(app_factory, outbox, citizen):
    from tests.http.test_account_profile import AccountBrowser
    from tests.http.test_account_totp import (
        choose,
        enrol,
        enter_recovery_code,
        enter_totp,
        to_second_factor,
    )

    app = app_factory(
        RATE_LIMIT_LOGIN_SECOND_FACTOR="1/minute",
        RATE_LIMIT_LOGIN_TOTP="2/minute",
        RATE_LIMIT_LOGIN_RECOVERY_CODE="1/minute",
    )
    enrol(app, outbox, citizen)
    browser = AccountBrowser(app, outbox)
    choice_url = to_second_factor(browser, citizen)
    totp_url = choose(browser, choice_url, "totp").location
    assert choose(browser, choice_url, "totp").status_code == 429
    for _ in range(2):
        assert enter_totp(browser, totp_url, "000000").status_code == 400
    resp = enter_totp(browser, totp_url, "000000")
    assert resp.status_code == 429
    assert 'data-code="rate_limited"' in resp.get_data(as_text=True)
    assert enter_recovery_code(browser, totp_url, "AAAAA-AAAAA").status_code == 400
    assert enter_recovery_code(browser, totp_url, "AAAAA-AAAAA").status_code == 429
    assert browser.get(totp_url).status_code == 200  # only POSTs count


@pytest.mark.parametrize(
    ("setting", "form_page", "action", "data"),
    [
        ("ACCOUNT_PASSWORD", "/account/password", "/account/password", {"current_password": ""}),
        ("ACCOUNT_PHONE", "/account/phone", "/account/phone", {"phone": "12"}),
        ("ACCOUNT_PHONE", "/account/phone/lost", "/account/phone/lost", {"phone": "12"}),
        ("ACCOUNT_EMAIL", "/account", "/account/email", {"email": "khong-hop-le"}),
        ("ACCOUNT_AUTHENTICATOR", "/account/authenticator", "/account/authenticator/confirm", {}),
        (
            "ACCOUNT_AUTHENTICATOR",
            "/account/authenticator",
            "/account/authenticator/disable",
            {"password": "sai"},
        ),
        ("OTP", "/account", "/account/phone/new-otp?flow=khong-co", {"otp": "000000"}),
    ],
)
def test_account_page_posts_are_limited(
    app_factory, outbox, citizen, setting, form_page, action, data
):
    from tests.http.test_account_profile import signed_in_browser

    app = app_factory(**{f"RATE_LIMIT_{setting}": "1/minute"})
    account = signed_in_browser(app, outbox, citizen)
    assert account.submit(form_page, action, data).status_code != 429
    resp = account.submit(form_page, action, data)
    assert resp.status_code == 429
    assert 'data-code="rate_limited"' in resp.get_data(as_text=True)
    assert account.get(form_page).status_code == 200  # only POSTs count


def test_every_named_limit_guards_a_registered_endpoint(app):
    from idp.rate_limits import NAMED_LIMITS

    missing = [
        (limit.name, endpoint)
        for limit in NAMED_LIMITS
        for endpoint in limit.endpoints
        if endpoint not in app.view_functions
    ]
    assert missing == []
