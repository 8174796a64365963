"""Issue [9/13] items 14 and 18 in a real browser: the portal keeps English through the
provider's login and through sign-out, with its name and title in English; the emblem
stays round on a phone; both apps have an icon; the portal shows dates as dd/mm/yyyy."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.steps import fits_phone
from tests.conftest import CITIZEN

ENGLISH_NAME = "Dak Lak Province Administrative Procedures Information System"


def test_english_survives_sign_in_and_sign_out(page, provider, portal):
    citizen = provider.create_citizen(**CITIZEN)
    page.goto(portal.url)
    page.get_by_role("link", name="English").click()
    expect(page).to_have_title(ENGLISH_NAME)
    expect(page.locator("header .brand strong")).to_have_text(ENGLISH_NAME)

    page.get_by_role("link", name="Sign in", exact=True).click()
    page.get_by_role("link", name="Sign in with the National Public Service Portal").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.url)}/login\?flow="))
    expect(page.locator("html")).to_have_attribute("lang", "en")  # ui_locales=en
    page.get_by_role("button", name="Account issued by the National Public Service Portal").click()
    page.get_by_label("User name").fill(citizen["id_number"])
    page.get_by_label("Password").fill(citizen["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_label("One-time code (OTP)").fill(provider.outbox.last_otp(citizen["e164"]))
    page.get_by_role("button", name="Confirm").click()

    expect(page.locator("#citizen-name")).to_have_text("Nguyễn Văn An")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_title(ENGLISH_NAME)
    page.get_by_role("link", name="Account information").click()
    expect(page).to_have_title(f"Account information - {ENGLISH_NAME}")
    expect(page.locator("dl.facts")).to_contain_text("17/05/1990")  # as the provider shows it
    expect(page.locator("dl.facts")).not_to_contain_text("1990-05-17")
    assert fits_phone(page)

    page.goto(portal.url)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You have signed out")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()


def test_the_emblem_is_round_on_a_phone_and_both_apps_have_an_icon(page, provider, portal):
    for url in (portal.url, f"{provider.url}/register"):
        page.goto(url)
        box = page.locator("header .emblem").bounding_box()
        assert box is not None and abs(box["width"] - box["height"]) < 0.5, (url, box)
        icon = page.request.get(re.sub(r"(https?://[^/]+).*", r"\1/favicon.ico", url))
        assert icon.status == 200 and icon.headers["content-type"] == "image/vnd.microsoft.icon"
