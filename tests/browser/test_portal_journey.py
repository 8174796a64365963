"""Issue [3/8] in a real browser: the Đắk Lắk portal delegates login and registration to the
provider (guide parts 1 and 2 from step 1), signs in a second portal without typing, and
logs out of every portal at once (RP-Initiated + Back-Channel Logout)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, scroll_width, shoot
from tests.browser.steps import (
    NATIONAL_LOGIN,
    NEWCOMER,
    PORTAL_ACCOUNT,
    at_portal,
    expect_signed_in,
    fits_phone,
    log_in,
    register,
    start_national_login,
)
from tests.conftest import CITIZEN

LOGGED_OUT = "Bạn đã đăng xuất khỏi cổng dịch vụ công tỉnh và Cổng Dịch vụ công Quốc gia."
MASKED_PHONE = "091****678"


def expect_signed_out(page) -> None:
    expect(page.get_by_role("link", name="Đăng nhập", exact=True)).to_be_visible()
    expect(page.locator("#citizen-name")).to_have_count(0)


def test_login_from_the_portal_and_back(page, provider, portal):
    citizen = provider.create_citizen(**CITIZEN)
    page.goto(portal.url)
    expect(page.get_by_role("link", name="Đăng ký", exact=True)).to_be_visible()
    assert fits_phone(page)
    shoot(page, "portal-1-home")
    page.get_by_role("link", name="Đăng nhập", exact=True).click()

    expect(page.get_by_role("link", name=NATIONAL_LOGIN)).to_be_visible()
    assert fits_phone(page)
    shoot(page, "portal-2-login")
    page.get_by_role("link", name=NATIONAL_LOGIN).click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.url)}/login\?flow="))
    expect(page.get_by_role("button", name=PORTAL_ACCOUNT)).to_be_visible()
    log_in(page, provider, citizen, MASKED_PHONE)

    expect_signed_in(page, portal, "Nguyễn Văn An", citizen["id_number"])
    expect(page.locator("#sign-in-method")).to_have_text("Mật khẩu + OTP qua SMS")
    assert fits_phone(page)
    shoot(page, "portal-3-signed-in")

    page.get_by_role("link", name="Thông tin tài khoản").click()
    expect(page.get_by_role("heading", name="Thông tin tài khoản")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Nguyễn Văn An")
    expect(page.locator("dl.facts")).to_contain_text(MASKED_PHONE)
    assert citizen["id_number"] not in page.content()
    assert fits_phone(page)
    shoot(page, "portal-4-account")


def test_portal_signed_in_on_a_desktop(new_page, provider, portal):
    citizen = provider.create_citizen(**CITIZEN)
    page = new_page(DESKTOP)
    start_national_login(page, portal)
    log_in(page, provider, citizen, MASKED_PHONE)
    expect_signed_in(page, portal, "Nguyễn Văn An", citizen["id_number"])
    assert scroll_width(page) <= DESKTOP["width"]
    shoot(page, "portal-signed-in-desktop")


def test_registration_from_the_portal_comes_back_signed_in(page, provider, portal):
    provider.import_subscribers((NEWCOMER["phone"], NEWCOMER["id_number"]))
    page.goto(portal.url)
    page.get_by_role("link", name="Đăng ký", exact=True).click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.url)}/register/method\?flow="))
    register(page, provider, NEWCOMER)

    # The provider says the account was created, once, before going back to the portal.
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.url)}/register/done$"))
    expect(page.get_by_role("heading", name="Đăng ký thành công")).to_be_visible()
    assert fits_phone(page)
    shoot(page, "portal-5a-registered-notice")
    page.get_by_role("link", name="Tiếp tục đến Hệ thống thông tin giải quyết thủ tục").click()

    expect_signed_in(page, portal, NEWCOMER["full_name"], NEWCOMER["id_number"])
    assert fits_phone(page)
    shoot(page, "portal-5-registered")


def test_second_portal_signs_in_without_typing(page, provider, portal_factory):
    citizen = provider.create_citizen(**CITIZEN)
    daklak = portal_factory()
    other = portal_factory("Cổng dịch vụ công tỉnh Khánh Hòa")
    start_national_login(page, daklak)
    log_in(page, provider, citizen, MASKED_PHONE)
    expect_signed_in(page, daklak, "Nguyễn Văn An", citizen["id_number"])
    sent = len(provider.outbox.messages())

    start_national_login(page, other)

    expect_signed_in(page, other, "Nguyễn Văn An", citizen["id_number"])
    expect(page.get_by_role("banner")).to_contain_text("Khánh Hòa")
    assert len(provider.outbox.messages()) == sent
    shoot(page, "portal-6-second-portal-sso")
    # Each portal keeps its own session cookie on the shared host.
    page.goto(daklak.url)
    expect_signed_in(page, daklak, "Nguyễn Văn An", citizen["id_number"])


def test_logout_at_one_portal_logs_out_of_all(page, provider, portal_factory):
    citizen = provider.create_citizen(**CITIZEN)
    daklak = portal_factory()
    other = portal_factory("Cổng dịch vụ công tỉnh Khánh Hòa")
    start_national_login(page, daklak)
    log_in(page, provider, citizen, MASKED_PHONE)
    expect_signed_in(page, daklak, "Nguyễn Văn An", citizen["id_number"])
    start_national_login(page, other)
    expect_signed_in(page, other, "Nguyễn Văn An", citizen["id_number"])

    page.goto(daklak.url)
    page.get_by_role("button", name="Đăng xuất").click()

    expect(page).to_have_url(at_portal(daklak))
    expect(page.get_by_role("status")).to_have_text(LOGGED_OUT)
    expect_signed_out(page)
    assert fits_phone(page)
    shoot(page, "portal-7-logged-out")

    # The other portal heard of it over the back channel.
    page.goto(other.url)
    expect_signed_out(page)
    # And the provider's session is gone: signing in again asks for the password.
    page.get_by_role("link", name="Đăng nhập", exact=True).click()
    page.get_by_role("link", name=NATIONAL_LOGIN).click()
    expect(page.get_by_role("button", name=PORTAL_ACCOUNT)).to_be_visible()
