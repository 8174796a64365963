"""Consent for third-party agencies, and the OIDC request parameters (prompt, claims,
id_token_hint, login_hint, request objects)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import query_of
from tests.http.driver import Browser
from tests.http.test_code_flow import redeem, verify_id_token
from tests.http.test_token_lifecycle import make_client


@pytest.fixture
def browser(app, outbox):
    return Browser(app, outbox)


@pytest.fixture
def agency(app):
    return make_client(app, name="Sở Tư pháp tỉnh Đắk Lắk", scope="openid profile phone citizen_id")


def sign_in(browser, citizen, client, **extra):
    url, req = browser.authorize_url(client["client_id"], **extra)
    password_url = browser.start_login(url)
    resp = browser.submit_password(password_url, citizen["id_number"], citizen["password"])
    resp = browser.submit_otp(resp.location, browser.outbox.last_otp())
    return browser.get(resp.location), req


def test_consent_page_names_agency_and_each_piece_of_data(browser, citizen, agency):
    resp, _ = sign_in(browser, citizen, agency, scope="openid profile citizen_id")
    assert resp.location.startswith("/consent")
    page = browser.get(resp.location).get_data(as_text=True)
    for label in ("Sở Tư pháp tỉnh Đắk Lắk", "Họ và tên", "Ngày sinh", "Số định danh cá nhân"):
        assert label in page
    assert "Số điện thoại" not in page  # phone was not asked for
    assert page.index('value="approve"') < page.index('value="deny"')


def test_consent_approved_is_remembered_per_scope_set(browser, citizen, agency):
    resp, _ = sign_in(browser, citizen, agency)
    resp = browser.decide_consent(resp.location, "approve")
    assert "code" in query_of(resp.location)
    url, _ = browser.authorize_url(agency["client_id"], scope="openid profile")
    assert "code" in query_of(browser.get(url).location)  # fewer scopes: no page
    url, _ = browser.authorize_url(agency["client_id"], scope="openid profile citizen_id")
    assert browser.get(url).location.startswith("/consent")  # more scopes: asked again
    url, _ = browser.authorize_url(agency["client_id"], scope="openid profile", prompt="consent")
    assert browser.get(url).location.startswith("/consent")


def test_consent_denied_returns_access_denied(browser, citizen, agency):
    resp, _ = sign_in(browser, citizen, agency)
    resp = browser.decide_consent(resp.location, "deny")
    params = query_of(resp.location)
    assert params["error"] == "access_denied" and params["state"] == "st-123"
    assert params["iss"] == "http://127.0.0.1:5000"


def test_prompt_none_without_consent_is_consent_required(browser, citizen, agency, oidc_client):
    url, _ = browser.authorize_url(oidc_client["client_id"])
    browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    url, _ = browser.authorize_url(agency["client_id"], prompt="none")
    assert query_of(browser.get(url).location)["error"] == "consent_required"


def test_claims_parameter_puts_essential_claims_in_id_token_and_userinfo(
    browser, citizen, oidc_client
):
    claims = {"id_token": {"name": {"essential": True}}, "userinfo": {"SoDinhDanh": None}}
    url, req = browser.authorize_url(
        oidc_client["client_id"], scope="openid profile citizen_id", claims=json.dumps(claims)
    )
    resp = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    tokens = redeem(
        browser.http, oidc_client, query_of(resp.location)["code"], req["verifier"]
    ).get_json()
    id_claims = verify_id_token(browser.http, tokens["id_token"], oidc_client["client_id"])
    assert id_claims["name"] == "Nguyễn Văn An"
    info = browser.http.get(
        "/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    ).get_json()
    assert info["SoDinhDanh"] == citizen["id_number"]


def test_claims_beyond_granted_scope_are_not_released(browser, citizen, oidc_client):
    claims = {"id_token": {"phone_number": {"essential": True}}}
    url, req = browser.authorize_url(
        oidc_client["client_id"], scope="openid profile", claims=json.dumps(claims)
    )
    resp = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    tokens = redeem(
        browser.http, oidc_client, query_of(resp.location)["code"], req["verifier"]
    ).get_json()
    id_claims = verify_id_token(browser.http, tokens["id_token"], oidc_client["client_id"])
    assert "phone_number" not in id_claims


@pytest.mark.parametrize("bad", ["{not json", "[1,2]", '{"access_token": {}}', '{"userinfo": 5}'])
def test_malformed_claims_parameter(browser, oidc_client, bad):
    url, _ = browser.authorize_url(oidc_client["client_id"], claims=bad)
    assert query_of(browser.get(url).location)["error"] == "invalid_request"


def test_request_objects_by_reference_are_not_fetched(browser, oidc_client):
    """RFC 9101 by value is supported (tests/http/test_request_objects.py); a request_uri on
    another host is refused on the verified redirect URI, never fetched."""
    url, _ = browser.authorize_url(oidc_client["client_id"], request_uri="https://x.example/r")
    assert query_of(browser.get(url).location)["error"] == "request_uri_not_supported"
    unsigned, _ = browser.authorize_url(
        oidc_client["client_id"], request="eyJhbGciOiJub25lIn0.e30."
    )
    page = browser.get(unsigned)
    assert page.status_code == 400 and "<code>invalid_request_object</code>" in page.get_data(
        as_text=True
    )


def test_unknown_parameters_are_ignored(browser, oidc_client):
    url, _ = browser.authorize_url(oidc_client["client_id"], foo="bar", display="touch")
    assert "/login?flow=" in browser.get(url).location


def test_login_hint_prefills_user_name(browser, oidc_client):
    url, _ = browser.authorize_url(oidc_client["client_id"], login_hint="066090001234")
    password_url = browser.start_login(url)
    assert 'value="066090001234"' in browser.get(password_url).get_data(as_text=True)


def test_id_token_hint_for_another_user_forces_login(app, browser, citizen, oidc_client):
    url, req = browser.authorize_url(oidc_client["client_id"])
    resp = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    tokens = redeem(
        browser.http, oidc_client, query_of(resp.location)["code"], req["verifier"]
    ).get_json()
    url, _ = browser.authorize_url(
        oidc_client["client_id"], prompt="none", id_token_hint=tokens["id_token"]
    )
    assert "code" in query_of(browser.get(url).location)  # same user: fine
    forged = tokens["id_token"][:-4] + (
        "AAAA" if not tokens["id_token"].endswith("AAAA") else "BBBB"
    )
    url, _ = browser.authorize_url(oidc_client["client_id"], prompt="none", id_token_hint=forged)
    assert query_of(browser.get(url).location)["error"] == "login_required"
