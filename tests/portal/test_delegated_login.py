"""Two servers on loopback: the portal delegates login to the provider, and SSO reaches a
second portal with nothing but redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.portal.citizen_browser import query_of
from tests.portal.conftest import sign_in

pytestmark = pytest.mark.servers


def test_delegated_login_brings_the_citizen_back_signed_in(
    provider, portals, citizen, browser, outbox
):
    portal = portals()
    home = sign_in(browser, portal, citizen, outbox)

    assert home.url == portal.url + "/"
    assert "Xin chào" in home.text and "Nguyễn Văn An" in home.text
    assert "066******234" in home.text
    assert "066090001234" not in home.text
    assert "Mật khẩu + OTP qua SMS" in home.text

    authorize = next(u for u in browser.visited if "/oauth2/authorize?" in u)
    params = query_of(authorize)
    assert authorize.startswith(provider.url + "/oauth2/authorize?")
    assert set("openid profile phone citizen_id".split()) <= set(params["scope"].split())
    assert params["acr_values"] == "LoA1"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["state"] and params["nonce"]
    assert params["redirect_uri"] == portal.url + "/callback"
    callback = next(u for u in browser.visited if u.startswith(portal.url + "/callback"))
    assert query_of(callback)["iss"] == provider.url
    assert query_of(callback)["state"] == params["state"]


def test_the_browser_holds_only_a_random_session_id(provider, portals, citizen, browser, outbox):
    portal = portals()
    started = browser.http.get(portal.url + "/login/national", allow_redirects=False, timeout=10)
    set_cookie = started.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie and "Path=/" in set_cookie
    sign_in(browser, portal, citizen, outbox)
    name = portal.app.config["PORTAL_COOKIE_NAME"]
    value = browser.http.cookies.get(name)
    assert len(value) == 43 and "." not in value  # random id, no signed data
    session = portal.session_of(browser)
    assert session["citizen"]["name"] == "Nguyễn Văn An"
    assert session["tokens"]["access_token"] and session["tokens"]["id_token"]
    assert session["tokens"]["access_token"] not in value


def test_signing_in_again_replaces_the_session_id(provider, portals, citizen, browser, outbox):
    portal = portals()
    browser.get(portal.url + "/login/national")  # an anonymous session exists now
    name = portal.app.config["PORTAL_COOKIE_NAME"]
    planted = browser.http.cookies.get(name)
    assert planted
    browser.http.cookies.clear()
    browser.http.cookies.set(name, planted, domain="127.0.0.1", path="/")
    sign_in(browser, portal, citizen, outbox)
    assert browser.http.cookies.get(name) != planted
    assert portal.store.get(f"session:{planted}") is None


def test_a_second_portal_signs_in_with_only_redirects(provider, portals, citizen, browser, outbox):
    first, second = portals("Cổng tỉnh thứ nhất"), portals("Cổng tỉnh thứ hai")
    sign_in(browser, first, citizen, outbox)
    sent = len(outbox.messages())
    browser.visited.clear()

    home = browser.get(second.url + "/login/national")

    assert home.url == second.url + "/" and "Nguyễn Văn An" in home.text
    hosts = [urlsplit(u).netloc for u in browser.visited]
    assert urlsplit(provider.url).netloc in hosts
    assert not any("/login?" in u or "/login/password" in u for u in browser.visited)
    assert len(outbox.messages()) == sent  # no new OTP: single sign-on
    assert (
        first.session_of(browser)["citizen"]["sid"] == second.session_of(browser)["citizen"]["sid"]
    )


def test_account_page_reads_userinfo_with_the_access_token(
    provider, portals, citizen, browser, outbox
):
    portal = portals()
    sign_in(browser, portal, citizen, outbox)
    page = browser.get(portal.url + "/account")
    assert page.status_code == 200
    assert "Thông tin tài khoản" in page.text and "091****678" in page.text


def expire_access_token(portal, browser, **changes) -> dict:
    """Make the portal's stored access token expired (and apply ``changes``)."""
    session = portal.session_of(browser)
    tokens = {**session["tokens"], "expires_at": 1, **changes}
    cookie = browser.http.cookies.get(portal.app.config["PORTAL_COOKIE_NAME"])
    assert portal.store.replace(f"session:{cookie}", {"data": {**session, "tokens": tokens}})
    return session["tokens"]


def test_an_expired_access_token_is_refreshed_with_the_refresh_token(
    provider, portals, citizen, browser, outbox
):
    portal = portals()
    sign_in(browser, portal, citizen, outbox)
    before = expire_access_token(portal, browser)
    assert before["refresh_token"]  # a first-party portal gets one
    browser.visited.clear()

    page = browser.get(portal.url + "/account")

    assert page.status_code == 200 and "Thông tin tài khoản" in page.text
    assert not any("/oauth2/authorize" in u for u in browser.visited)
    after = portal.session_of(browser)["tokens"]
    assert after["access_token"] != before["access_token"]
    assert after["expires_at"] > 1
    assert after["id_token"] == before["id_token"]  # kept for id_token_hint


@pytest.mark.parametrize("refresh_token", [None, "refused-by-the-provider"])
def test_without_a_usable_refresh_token_the_citizen_signs_in_again_silently(
    provider, portals, citizen, browser, outbox, refresh_token
):
    portal = portals()
    sign_in(browser, portal, citizen, outbox)
    before = expire_access_token(portal, browser, refresh_token=refresh_token)
    sent = len(outbox.messages())
    browser.visited.clear()

    page = browser.get(portal.url + "/account")

    assert page.url == portal.url + "/account" and "Thông tin tài khoản" in page.text
    assert any("/oauth2/authorize" in u for u in browser.visited)
    assert len(outbox.messages()) == sent  # the provider session made it a redirect
    assert portal.session_of(browser)["tokens"]["access_token"] != before["access_token"]


def test_a_refresh_already_in_progress_is_not_spent_twice(
    provider, portals, citizen, browser, outbox
):
    portal = portals()
    sign_in(browser, portal, citizen, outbox)
    before = expire_access_token(portal, browser)
    cookie = browser.http.cookies.get(portal.app.config["PORTAL_COOKIE_NAME"])
    portal.store.set(f"refreshing:{cookie}", {"at": 1}, 15)  # another request is refreshing

    page = browser.get(portal.url + "/account")

    assert page.status_code == 409 and 'data-code="portal.refresh_in_progress"' in page.text
    assert "Thử lại" in page.text
    assert portal.session_of(browser)["tokens"]["refresh_token"] == before["refresh_token"]
    portal.store.delete(f"refreshing:{cookie}")
    assert browser.get(portal.url + "/account").status_code == 200
