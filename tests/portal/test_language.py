"""The portal keeps the citizen's language (issue 9, item 14): it asks the provider for it
(``ui_locales``, and ``lang`` on the registration link), keeps it through signing in and
out, and its banner name and ``<title>`` are in it too."""

from __future__ import annotations

import re

import pytest

from tests.portal.citizen_browser import query_of

pytestmark = pytest.mark.servers

ENGLISH_NAME = "Dak Lak Province Administrative Procedures Information System"
VIETNAMESE_NAME = "Hệ thống thông tin giải quyết thủ tục hành chính tỉnh Đắk Lắk"


def title_of(html: str) -> str:
    return re.search(r"<title>([^<]*)</title>", html).group(1)


def test_english_is_kept_through_login_and_logout_and_sent_to_the_provider(
    provider, portals, citizen, browser, outbox
):
    portal = portals()
    home = browser.get(portal.url + "/?lang=en")
    assert '<html lang="en">' in home.text
    assert title_of(home.text) == ENGLISH_NAME and f"<strong>{ENGLISH_NAME}</strong>" in home.text
    assert VIETNAMESE_NAME not in home.text

    page = browser.get(portal.url + "/login/national")
    authorize = next(u for u in browser.visited if "/oauth2/authorize?" in u)
    assert query_of(authorize)["ui_locales"] == "en"
    assert '<html lang="en">' in page.text  # the provider's pages follow
    page = browser.submit(page, button="Account issued by the National Public Service Portal")
    page = browser.submit(page, {"username": citizen["id_number"], "password": citizen["password"]})
    home = browser.submit(page, {"otp": outbox.last_otp(citizen["phone_e164"])}, "Confirm")

    assert home.url == portal.url + "/"
    assert '<html lang="en">' in home.text and "Hello" in home.text
    assert title_of(home.text) == ENGLISH_NAME
    account = browser.get(portal.url + "/account")
    assert title_of(account.text) == f"Account information - {ENGLISH_NAME}"

    after = browser.submit(home, button="Sign out")
    end_session = next(u for u in browser.visited if "/oauth2/logout?" in u)
    assert query_of(end_session)["ui_locales"] == "en"
    assert after.url.startswith(portal.url + "/?state=")
    assert '<html lang="en">' in after.text
    assert "You have signed out of the provincial public service portal" in after.text


def test_vietnamese_stays_the_default_and_is_sent_too(provider, portals, browser):
    portal = portals()
    home = browser.get(portal.url + "/")
    assert '<html lang="vi">' in home.text and title_of(home.text) == VIETNAMESE_NAME
    browser.get(portal.url + "/login/national")
    authorize = next(u for u in browser.visited if "/oauth2/authorize?" in u)
    assert query_of(authorize)["ui_locales"] == "vi"


def test_the_registration_link_carries_the_language(provider, portals, browser):
    portal = portals()
    browser.get(portal.url + "/?lang=en")
    page = browser.get(portal.url + "/register")
    register = next(u for u in browser.visited if u.startswith(provider.url + "/register?"))
    assert query_of(register)["lang"] == "en"
    assert '<html lang="en">' in page.text
    assert "ui_locales=en" in query_of(register)["return_to"]


def test_a_custom_name_without_an_english_one_is_shown_on_every_page(provider, portals, browser):
    portal = portals("Cổng DVC tỉnh Đắk Lắk", PORTAL_NAME="Cổng Sở Tư pháp", PORTAL_NAME_EN="")
    home = browser.get(portal.url + "/?lang=en")
    assert title_of(home.text) == "Cổng Sở Tư pháp"
    assert "<strong>Cổng Sở Tư pháp</strong>" in home.text and ENGLISH_NAME not in home.text
