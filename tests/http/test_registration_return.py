"""Where registration ends: back to the client or portal that sent the citizen, resuming
a parked authorization request, and never to an address nobody registered."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest

from tests.conftest import REDIRECT_URI, query_of
from tests.http.driver import Browser
from tests.http.registration_driver import (
    NEWCOMER,
    NEWCOMER_E164,
    PASSWORD,
    RegistrationBrowser,
    import_registry,
)
from tests.http.test_code_flow import redeem, verify_id_token


@pytest.fixture
def reg(app, outbox):
    import_registry(app, (NEWCOMER["phone"], NEWCOMER["id_number"]))
    return RegistrationBrowser(app, outbox)


def test_new_account_logs_in_with_password_and_otp(app, reg, outbox, oidc_client):
    reg.register(NEWCOMER, NEWCOMER_E164)
    browser = Browser(app, outbox)
    url, _ = browser.authorize_url(oidc_client["client_id"])
    resp = browser.login(url, NEWCOMER["id_number"], PASSWORD, NEWCOMER_E164)
    assert resp.status_code == 302 and resp.location.startswith(REDIRECT_URI)
    assert "code" in query_of(resp.location)


def test_return_to_a_registered_redirect_uri(app, reg, oidc_client):
    resp = reg.register(NEWCOMER, NEWCOMER_E164, return_to=REDIRECT_URI)
    onward, page = reg.onward(resp)
    assert onward == REDIRECT_URI and ">Tiếp tục</a>" in page  # no client named: plain


def test_return_to_a_post_logout_redirect_uri(app, outbox, oidc_client):
    person = {**NEWCOMER, "id_number": "123456789"}
    import_registry(app, (person["phone"], person["id_number"]))
    browser = RegistrationBrowser(app, outbox)
    resp = browser.register(person, NEWCOMER_E164, return_to="http://127.0.0.1:5001/")
    assert browser.onward(resp)[0] == "http://127.0.0.1:5001/"


@pytest.mark.parametrize(
    "foreign",
    [
        "https://evil.example/callback",
        "//evil.example/callback",
        "/\\evil.example",
        "http://127.0.0.1:5001/callback/../other",
        "javascript:alert(1)",
        REDIRECT_URI + "?x=1",
    ],
)
def test_return_to_a_foreign_address_is_ignored(reg, oidc_client, foreign):
    resp = reg.register(NEWCOMER, NEWCOMER_E164, return_to=foreign)
    assert reg.onward(resp)[0] is None  # "Đăng ký thành công", and no way onward


def test_return_to_the_authorization_endpoint_continues_the_oidc_flow(reg, oidc_client):
    browser = Browser(reg.app, reg.outbox)
    authorize_url, _ = browser.authorize_url(oidc_client["client_id"], prompt="login")
    resp = reg.register(NEWCOMER, NEWCOMER_E164, return_to=authorize_url)
    onward, page = reg.onward(resp)
    assert urlsplit(onward).path == "/oauth2/authorize/resume"
    assert "Tiếp tục đến Cổng DVC thử nghiệm" in page  # the client's registered name
    resp = reg.get(onward)
    assert resp.status_code == 302 and resp.location.startswith(REDIRECT_URI)
    params = query_of(resp.location)
    assert params["state"] == "st-123" and "code" in params


def test_registering_from_the_login_page_resumes_the_parked_request(reg, oidc_client):
    browser = Browser(reg.app, reg.outbox)
    browser.http = reg.http  # one browser: the login flow is bound to it
    authorize_url, req = browser.authorize_url(oidc_client["client_id"])
    password_url = browser.start_login(authorize_url)
    page = reg.get(password_url).get_data(as_text=True)
    link = html.unescape(re.search(r'href="(/register\?[^"]+)"', page).group(1))
    assert query_of(link)["login_flow"] == query_of(password_url)["flow"]

    resp = reg.get(link)
    details_url = reg.choose(resp.location)
    resp = reg.submit_details(details_url, NEWCOMER)
    resp = reg.submit_otp(resp.location, reg.outbox.last_otp(NEWCOMER_E164))
    resp = reg.submit_password(resp.location, PASSWORD)
    onward, page = reg.onward(resp)
    assert urlsplit(onward).path == "/oauth2/authorize/resume"
    assert "Tiếp tục đến Cổng DVC thử nghiệm" in page
    resp = reg.get(onward)
    assert resp.status_code == 302 and resp.location.startswith(REDIRECT_URI)

    params = query_of(resp.location)
    tokens = redeem(reg.http, oidc_client, params["code"], req["verifier"]).get_json()
    claims = verify_id_token(reg.http, tokens["id_token"], oidc_client["client_id"])
    assert claims["acr"] == "LoA1" and claims["amr"] == ["pwd", "sms", "mfa"]
    # The original login flow is finished: its page no longer works.
    assert reg.get(password_url).status_code == 400
