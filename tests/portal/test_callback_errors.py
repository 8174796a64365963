"""What comes back to the portal's redirect URI when something is wrong: a clear Vietnamese
page with "Thử lại", never a 500, and nobody signed in."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.portal.citizen_browser import query_of
from tests.portal.conftest import portal_settings, sign_in

pytestmark = pytest.mark.servers


def started_login(browser, portal) -> dict:
    """Start a login at the portal, stop at the provider; the authorization request."""
    response = browser.http.get(portal.url + "/login/national", allow_redirects=False)
    assert response.status_code == 302
    return query_of(response.headers["Location"])


def callback(browser, portal, **params):
    return browser.get(f"{portal.url}/callback?{urlencode(params)}")


def assert_problem(page, code: str, status: int = 400) -> None:
    assert page.status_code == status, page.text[:600]
    assert f'data-code="{code}"' in page.text
    assert "Thử lại" in page.text


@pytest.mark.parametrize("state", [None, "", "forged-state"])
def test_a_wrong_or_missing_state_is_refused(provider, portals, browser, state):
    portal = portals()
    started_login(browser, portal)
    params = {"code": "c", "iss": provider.url}
    if state is not None:
        params["state"] = state
    assert_problem(callback(browser, portal, **params), "portal.state_invalid")


def test_a_state_from_another_browser_is_refused(provider, portals, browser):
    from tests.portal.citizen_browser import CitizenBrowser

    portal = portals()
    state = started_login(CitizenBrowser(), portal)["state"]
    page = callback(browser, portal, code="c", state=state, iss=provider.url)
    assert_problem(page, "portal.state_invalid")


@pytest.mark.parametrize("iss", ["https://evil.example", None])
def test_a_wrong_or_missing_issuer_is_refused(provider, portals, browser, iss):
    portal = portals()
    request = started_login(browser, portal)
    params = {"code": "c", "state": request["state"]}
    if iss:
        params["iss"] = iss
    assert_problem(callback(browser, portal, **params), "portal.issuer_mismatch")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        ("access_denied", "portal.access_denied"),
        ("login_required", "portal.login_required"),
        ("server_error", "portal.authorization_failed"),
    ],
)
def test_an_error_response_becomes_its_own_page(provider, portals, browser, error, code):
    portal = portals()
    request = started_login(browser, portal)
    page = callback(browser, portal, error=error, state=request["state"], iss=provider.url)
    assert_problem(page, code)


def test_a_callback_works_once(provider, portals, citizen, browser, outbox):
    portal = portals()
    sign_in(browser, portal, citizen, outbox)
    used = next(u for u in browser.visited if u.startswith(portal.url + "/callback"))
    assert_problem(browser.get(used), "portal.state_invalid")


def test_a_tampered_code_is_refused_by_the_token_endpoint(
    provider, portals, citizen, browser, outbox
):
    portal = portals()

    def tamper(location: str) -> str:
        if not location.startswith(portal.url + "/callback"):
            return location
        params = query_of(location)
        params["code"] = params["code"][:-3] + "xyz"
        return f"{portal.url}/callback?{urlencode(params)}"

    browser.rewrite_location = tamper
    page = sign_in(browser, portal, citizen, outbox)
    assert_problem(page, "portal.token_request_failed")
    assert (portal.session_of(browser) or {}).get("citizen") is None


def test_a_missing_code_is_refused(provider, portals, browser):
    portal = portals()
    request = started_login(browser, portal)
    page = callback(browser, portal, state=request["state"], iss=provider.url)
    assert_problem(page, "portal.callback_invalid")


def test_a_wrong_client_secret_is_a_token_endpoint_error(
    provider, portals, citizen, browser, outbox
):
    portal = portals(PORTAL_CLIENT_SECRET="not-the-secret")
    page = sign_in(browser, portal, citizen, outbox)
    assert_problem(page, "portal.token_request_failed")


def test_an_unreachable_provider_gives_a_try_again_page(browser):
    from portal import create_portal_app
    from tests.live import LiveServer, free_port

    port, closed = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    settings = portal_settings(f"http://127.0.0.1:{closed}", base, "some-client", "secret")
    with LiveServer(create_portal_app(settings), port):
        page = browser.get(base + "/login/national")
        assert_problem(page, "portal.provider_unreachable", 503)
        assert_problem(browser.get(base + "/register"), "portal.provider_unreachable", 503)
        assert "Đăng nhập" in browser.get(base + "/").text


def test_a_provider_with_another_issuer_is_not_trusted(provider, portals, browser):
    portal = portals(PORTAL_ISSUER=provider.url.replace("127.0.0.1", "localhost"))
    page = browser.get(portal.url + "/login/national")
    assert page.status_code in (502, 503)
    assert "Thử lại" in page.text


def test_unknown_pages_and_methods_get_vietnamese_pages(provider, portals, browser):
    portal = portals()
    assert "Không tìm thấy" in browser.get(portal.url + "/khong-co").text
    response = browser.http.get(portal.url + "/logout")
    assert response.status_code == 405
    no_csrf = browser.http.post(portal.url + "/logout", allow_redirects=False)
    assert no_csrf.status_code == 400 and "Thử lại" in no_csrf.text
