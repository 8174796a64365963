"""Leaving /account (issue 9, item 19): "Đăng xuất" on every account page ends the provider
session the one way (tokens revoked, agencies told), and a link goes back to the agency
that sent the citizen, at an address that agency registered."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REDIRECT_URI, query_of
from tests.http.test_account_profile import AccountBrowser, signed_in_browser
from tests.http.test_account_sessions import LogoutReceiver
from tests.http.test_code_flow import redeem
from tests.http.test_sign_out import assert_dead

BACK_LINK = re.compile(r'<a id="back-to-agency" href="([^"]+)">Quay lại ([^<]+)</a>')


@pytest.fixture
def receiver():
    receiver = LogoutReceiver()
    with receiver.server:
        yield receiver


def make_agency(app, name: str, backchannel_logout_uri: str | None = None, **metadata) -> dict:
    from idp.oidc.clients import create_client

    redirect_uris = metadata.pop("redirect_uris", [REDIRECT_URI])
    with app.app_context():
        client_id, secret = create_client(
            name=name,
            redirect_uris=redirect_uris,
            backchannel_logout_uri=backchannel_logout_uri,
            scope="openid profile offline_access",
            trusted=True,
            extra_metadata=metadata or None,
        )
    return {"client_id": client_id, "client_secret": secret, "redirect_uri": redirect_uris[0]}


def sign_in_through(browser: AccountBrowser, citizen: dict, client: dict) -> dict:
    """A login (or single sign-on) for ``client``; the tokens it gets."""
    url, req = browser.authorize_url(
        client["client_id"],
        scope="openid profile offline_access",
        redirect_uri=client.get("redirect_uri", REDIRECT_URI),
    )
    if browser.get("/account").status_code == 200:  # signed in: a redirect only
        resp = browser.get(url)
    else:
        resp = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    code = query_of(resp.location)["code"]
    redirect_uri = client.get("redirect_uri", REDIRECT_URI)
    return redeem(browser.http, client, code, req["verifier"], redirect_uri=redirect_uri).get_json()


def back_link(browser: AccountBrowser) -> tuple[str, str] | None:
    found = BACK_LINK.search(browser.text("/account"))
    return found.groups() if found else None


def test_sign_out_on_the_account_page_ends_the_session_the_one_way(app, outbox, citizen, receiver):
    agency = make_agency(app, "Cổng DVC tỉnh Đắk Lắk", f"{receiver.server.url}/backchannel-logout")
    browser = AccountBrowser(app, outbox)
    tokens = sign_in_through(browser, citizen, agency)
    page = browser.text("/account/history")
    assert 'action="/account/sign-out"' in page and ">Đăng xuất</button>" in page
    resp = browser.submit("/account/history", "/account/sign-out", {})
    assert resp.status_code == 303 and resp.location == "/account/signed-out"
    page = browser.text(resp.location)
    assert "Bạn đã đăng xuất khỏi thiết bị này." in page
    assert 'id="back-to-agency" href="http://127.0.0.1:5001/"' in page
    assert browser.get("/account").status_code == 302  # signed out: to the login
    assert_dead(browser.http, agency, tokens)
    from idp.login_session import sessions_of

    with app.test_request_context():
        assert sessions_of(citizen["id"]) == []
    assert len(receiver.tokens) == 1


def test_the_link_goes_back_to_the_most_recent_agency_at_its_registered_home(app, outbox, citizen):
    with_home = make_agency(app, "Sở Tư pháp", client_uri="https://stp.daklak.gov.vn/dich-vu")
    without_home = make_agency(
        app, "Cổng DVC tỉnh Đắk Lắk", redirect_uris=["https://dichvucong.daklak.gov.vn/callback"]
    )
    browser = AccountBrowser(app, outbox)
    sign_in_through(browser, citizen, with_home)
    assert back_link(browser) == ("https://stp.daklak.gov.vn/dich-vu", "Sở Tư pháp")
    sign_in_through(browser, citizen, without_home)  # single sign-on: the newest agency
    assert back_link(browser) == ("https://dichvucong.daklak.gov.vn/", "Cổng DVC tỉnh Đắk Lắk")
    sign_in_through(browser, citizen, with_home)  # back to the first one
    assert back_link(browser) == ("https://stp.daklak.gov.vn/dich-vu", "Sở Tư pháp")


def test_no_agency_no_link_and_never_an_address_that_is_not_a_web_page(app, outbox, citizen):
    browser = signed_in_browser(app, outbox, citizen)  # signed in at the provider itself
    assert back_link(browser) is None
    hostile = make_agency(app, "Cơ quan lạ", client_uri="javascript:alert(1)")
    sign_in_through(browser, citizen, hostile)
    assert back_link(browser) == ("http://127.0.0.1:5001/", "Cơ quan lạ")


@pytest.mark.parametrize(
    ("metadata", "home"),
    [
        ({"client_uri": "https://a.gov.vn/"}, "https://a.gov.vn/"),
        ({"client_uri": "ftp://a.gov.vn/"}, "http://127.0.0.1:5001/"),
        ({"client_uri": "https:///nohost"}, "http://127.0.0.1:5001/"),
        ({"client_uri": "https://a.gov.vn\\@evil"}, "http://127.0.0.1:5001/"),
        ({}, "http://127.0.0.1:5001/"),
    ],
)
def test_registered_home(app, metadata, home):
    from idp.account.agency_link import registered_home
    from idp.oidc.server import query_client

    client = make_agency(app, "Cơ quan", **metadata)
    with app.app_context():
        assert registered_home(query_client(client["client_id"])) == home
