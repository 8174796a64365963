"""Issue [9/13] item 19 in a real browser: from the provider's /account the citizen goes
back to the portal that sent them, or signs out, which ends the portal's session too
(back-channel logout through the provider's one sign-out path)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.steps import fits_phone, log_in
from tests.conftest import CITIZEN

PORTAL_NAME = "Hệ thống thông tin giải quyết thủ tục hành chính tỉnh Đắk Lắk"


def test_back_to_the_agency_and_sign_out_from_the_account_page(page, provider, portal):
    citizen = provider.create_citizen(**CITIZEN)
    page.goto(portal.url)
    page.get_by_role("link", name="Đăng nhập", exact=True).click()
    page.get_by_role("link", name="Đăng nhập Cổng DVC Quốc gia").click()
    log_in(page, provider, citizen, "091****678")
    expect(page.locator("#citizen-name")).to_have_text("Nguyễn Văn An")

    page.goto(f"{provider.url}/account")
    back = page.get_by_role("link", name=f"Quay lại {PORTAL_NAME}")
    expect(back).to_have_attribute("href", f"{portal.url}/")
    assert fits_phone(page)
    back.click()
    expect(page.locator("#citizen-name")).to_have_text("Nguyễn Văn An")  # still signed in

    page.goto(f"{provider.url}/account/sessions")
    sign_out = page.locator('form[action="/account/sign-out"]').get_by_role("button")
    expect(sign_out).to_have_text("Đăng xuất")
    sign_out.click()
    expect(page).to_have_url(f"{provider.url}/account/signed-out")
    expect(page.get_by_role("status")).to_have_text("Bạn đã đăng xuất khỏi thiết bị này.")
    page.reload()  # a GET: no form to resubmit
    expect(page.get_by_role("status")).to_have_text("Bạn đã đăng xuất khỏi thiết bị này.")

    page.get_by_role("link", name=f"Quay lại {PORTAL_NAME}").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(portal.url)}/$"))
    expect(page.locator("#citizen-name")).to_have_count(0)  # ended by back-channel logout
    page.goto(f"{provider.url}/account")
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.url)}/login\?flow="))
