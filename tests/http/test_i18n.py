"""Page language: Vietnamese by default, English by ``?lang=en`` or ``ui_locales=en``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.conftest import REDIRECT_URI, query_of
from tests.http.driver import Browser

ROOT = Path(__file__).resolve().parents[2]
CATALOG_DIR = ROOT / "translations" / "en" / "LC_MESSAGES"


def html_lang(page: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', page)
    assert match, page[:200]
    return match.group(1)


def choice_page_url(browser: Browser, authorize_url: str) -> str:
    resp = browser.get(authorize_url)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return resp.location


def press_portal_account(browser: Browser, choose_url: str, page: str) -> str:
    flow = query_of(choose_url)["flow"]
    resp = browser.post_form("/login/method", page, {"flow": flow, "method": "password"})
    assert resp.status_code == 302
    return resp.location


@pytest.fixture
def browser(app, outbox):
    return Browser(app, outbox)


def test_pages_are_vietnamese_by_default(browser, oidc_client):
    choose = choice_page_url(browser, browser.authorize_url(oidc_client["client_id"])[0])
    page = browser.get(choose).get_data(as_text=True)
    assert html_lang(page) == "vi"
    assert "Tài khoản cấp bởi Cổng dịch vụ công quốc gia" in page
    assert ">English</a>" in page
    password = browser.get(press_portal_account(browser, choose, page)).get_data(as_text=True)
    assert html_lang(password) == "vi"
    assert "Tên đăng nhập" in password and "Quên mật khẩu" in password


def test_accept_language_does_not_change_the_default(browser, oidc_client):
    choose = choice_page_url(browser, browser.authorize_url(oidc_client["client_id"])[0])
    page = browser.get(choose, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert html_lang(page.get_data(as_text=True)) == "vi"


def test_lang_en_translates_login_pages_and_is_remembered(browser, oidc_client):
    choose = choice_page_url(browser, browser.authorize_url(oidc_client["client_id"])[0])
    page = browser.get(choose + "&lang=en").get_data(as_text=True)
    assert html_lang(page) == "en"
    assert "Account issued by the National Public Service Portal" in page
    assert "Tài khoản cấp bởi" not in page
    assert ">Tiếng Việt</a>" in page
    # The choice persists: the next page, without ?lang, is still English.
    password_url = press_portal_account(browser, choose, page)
    assert "lang=" not in password_url
    password = browser.get(password_url).get_data(as_text=True)
    assert html_lang(password) == "en"
    for label in ("User name", "Password", "Sign in", "Forgot password", "Register"):
        assert label in password
    assert "Tên đăng nhập" not in password


def test_language_switch_link_keeps_the_page_and_switches_back(browser, oidc_client):
    choose = choice_page_url(browser, browser.authorize_url(oidc_client["client_id"])[0])
    page = browser.get(choose + "&lang=en").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" lang="vi" hreflang="vi">Tiếng Việt</a>', page)
    assert link, "no switch link in the footer"
    href = link.group(1).replace("&amp;", "&")
    assert href.startswith("/login?") and query_of(href) == {
        "flow": query_of(choose)["flow"],
        "lang": "vi",
    }
    back = browser.get(href).get_data(as_text=True)
    assert html_lang(back) == "vi"
    assert "Tài khoản cấp bởi Cổng dịch vụ công quốc gia" in back


def test_unknown_lang_value_is_ignored(browser, oidc_client):
    choose = choice_page_url(browser, browser.authorize_url(oidc_client["client_id"])[0])
    page = browser.get(choose + "&lang=fr").get_data(as_text=True)
    assert html_lang(page) == "vi"
    browser.get(choose + "&lang=en")
    page = browser.get(choose + "&lang=xx").get_data(as_text=True)
    assert html_lang(page) == "en"  # a bad value neither switches nor forgets the choice


def test_ui_locales_en_gives_english_login_pages(browser, oidc_client):
    url = browser.authorize_url(oidc_client["client_id"], ui_locales="en-GB vi")[0]
    choose = choice_page_url(browser, url)
    page = browser.get(choose).get_data(as_text=True)
    assert html_lang(page) == "en"
    assert "Account issued by the National Public Service Portal" in page
    password = browser.get(press_portal_account(browser, choose, page)).get_data(as_text=True)
    assert html_lang(password) == "en" and "User name" in password


def test_ui_locales_without_a_supported_language_keeps_vietnamese(browser, oidc_client):
    url = browser.authorize_url(oidc_client["client_id"], ui_locales="fr de")[0]
    page = browser.get(choice_page_url(browser, url)).get_data(as_text=True)
    assert html_lang(page) == "vi"


def test_registration_details_page_in_english(browser):
    resp = browser.get("/register?lang=en")
    while resp.status_code == 302:
        resp = browser.get(resp.location)
    page = resp.get_data(as_text=True)
    if 'name="id_number"' not in page:  # the choice of account kind comes first
        action = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
        resp = browser.post_form(
            action.replace("&amp;", "&"), page, {"kind": "citizen", "method": "mobile"}
        )
        page = browser.get(resp.location).get_data(as_text=True)
    assert html_lang(page) == "en"
    for label in (
        "Register with a mobile subscription",
        "ID number (CMND/CCCD)",
        "Full name",
        "Date of birth",
        "Gender",
        "Male",
        "Female",
        "Mobile phone number",
        "Email",
    ):
        assert label in page, label
    assert "Họ và tên" not in page


def test_problem_messages_are_translated_with_their_numbers(browser, citizen, oidc_client):
    password_url = browser.start_login(browser.authorize_url(oidc_client["client_id"])[0])
    browser.get(password_url + "&lang=en")  # the driver reads the Vietnamese choice page
    resp = browser.submit_password(password_url, citizen["id_number"], "wrong-password-1")
    assert resp.status_code >= 400
    assert "Wrong user name or password." in resp.get_data(as_text=True)
    resp = browser.submit_password(password_url, citizen["id_number"], citizen["password"])
    code = browser.outbox.last_otp(citizen["phone_e164"])
    resp = browser.submit_otp(resp.location, "000000" if code != "000000" else "111111")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert re.search(r"Wrong one-time code \(OTP\)\. You have \d+ tries left\.", page)
    assert "Resend OTP" in page and "Gửi lại OTP" not in page
    assert "<h1>Enter the one-time code (OTP)</h1>" in page


def test_consent_page_in_english(app, browser, citizen):
    from idp.oidc.clients import create_client

    with app.app_context():
        client_id, _secret = create_client(
            name="Cổng DVC Đắk Lắk",
            redirect_uris=[REDIRECT_URI],
            scope="openid profile phone",
            trusted=False,
        )
    password_url = browser.start_login(browser.authorize_url(client_id)[0])
    browser.get(password_url + "&lang=en")  # the driver reads the Vietnamese choice page
    resp = browser.submit_password(password_url, citizen["id_number"], citizen["password"])
    resp = browser.submit_otp(resp.location, browser.outbox.last_otp(citizen["phone_e164"]))
    while resp.status_code == 302 and not resp.location.startswith("/consent"):
        resp = browser.get(resp.location)
    assert resp.status_code == 302 and resp.location.startswith("/consent"), resp.location
    page = browser.get(resp.location).get_data(as_text=True)
    assert html_lang(page) == "en"
    assert "Consent to share information" in page
    assert "<strong>Cổng DVC Đắk Lắk</strong> asks to receive" in page
    for item in ("Full name", "Date of birth", "Phone number"):
        assert f"<li>{item}</li>" in page
    approve = page.index('value="approve"')
    assert approve < page.index('value="deny"') and ">Allow</button>" in page


def test_compiled_catalog_matches_the_po_file(tmp_path):
    from babel.messages.mofile import write_mo

    with open(CATALOG_DIR / "messages.po", "rb") as po_file:
        source = read_po(po_file)
    with open(tmp_path / "messages.mo", "wb") as fresh:
        write_mo(fresh, source)
    with (
        open(tmp_path / "messages.mo", "rb") as fresh,
        open(CATALOG_DIR / "messages.mo", "rb") as committed,
    ):
        expected, actual = read_mo(fresh), read_mo(committed)
    pairs = {m.id: m.string for m in expected if m.id}
    assert pairs == {m.id: m.string for m in actual if m.id}, "run: pybabel compile -d translations"
    assert all(pairs.values()), "every msgid has an English translation"


def _fixed_number_problems():
    from idp.citizens.birth_date import DOB_TOO_OLD, DOB_TOO_YOUNG
    from idp.complaints.filing import DESCRIPTION_TOO_LONG, DESCRIPTION_TOO_SHORT
    from idp.oidc.registration_tokens import LIFETIME_INVALID

    return [
        DESCRIPTION_TOO_SHORT,
        DESCRIPTION_TOO_LONG,
        DOB_TOO_OLD,
        DOB_TOO_YOUNG,
        LIFETIME_INVALID,
    ]


VIETNAMESE_LETTER = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1ea0-\u1ef9]")


@pytest.mark.parametrize("index", range(5))
def test_messages_with_fixed_numbers_are_in_the_catalog(app, index):
    """Their msgids keep {placeholders} (an f-string is not extracted), so English pages
    show English with the numbers filled in."""
    from flask import session

    from webapp.i18n import translated

    problem = _fixed_number_problems()[index]
    assert "{" not in problem.message
    with app.test_request_context("/"):
        session["lang"] = "en"
        english = translated(problem.message)
    assert english != problem.message and not VIETNAMESE_LETTER.search(english), english
    assert re.search(r"\d", english), english


def test_complaint_description_too_short_in_english(app):
    from tests.http.test_complaint import COMPLAINANT, submit

    http = app.test_client()
    http.get("/complaints/new?lang=en")
    resp = submit(http, {**COMPLAINANT, "description": "quá ngắn"})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    message = re.search(r'<p class="field-error" id="description-error"[^>]*>([^<]*)</p>', page)
    assert message, page
    text = message.group(1)
    assert text == "The complaint details must be at least 20 characters long to be considered."
    assert not VIETNAMESE_LETTER.search(text)
