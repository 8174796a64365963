"""Issue [2/8] in a real browser: registering a citizen account with a mobile subscriber
number (guide part 1, steps 3-6), then logging in with it (guide part 2)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import shoot
from tests.browser.steps import (
    NEWCOMER,
    fill_details,
    fill_new_password,
    fits_phone,
    log_in,
    open_details_form,
    press_register,
)
from tests.conftest import CITIZEN


def test_registration_journey_then_login_with_the_new_account(
    page, new_page, provider, relying_party
):
    provider.import_subscribers((NEWCOMER["phone"], NEWCOMER["id_number"]))

    page.goto(f"{provider.url}/register")
    expect(page).to_have_url(re.compile(r"/register/method\?flow="))
    expect(page.get_by_label("Công dân")).to_be_checked()
    assert fits_phone(page)
    shoot(page, "register-1-choose")
    page.get_by_role("button", name="Thuê bao di động").click()

    # Step 4 with two mistakes: each field says what is wrong, nothing is sent.
    fill_details(page, NEWCOMER, date_of_birth="1994-03-08", phone="0123")
    press_register(page)
    expect(page.locator("#id_number-error")).to_contain_text("năm sinh")
    expect(page.locator("#phone-error")).to_contain_text("Số điện thoại không hợp lệ")
    expect(page.get_by_label("Số CMND/CCCD")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Họ và tên")).to_have_value(NEWCOMER["full_name"])
    assert provider.outbox.messages() == []
    assert fits_phone(page)
    shoot(page, "register-2-details-errors")

    fill_details(page, NEWCOMER)
    page.get_by_label("Thư điện tử").fill("binh.tran@example.vn")
    assert fits_phone(page)
    shoot(page, "register-3-details")
    press_register(page)

    # Step 5: the OTP sent to the phone being registered.
    expect(page).to_have_url(re.compile(r"/register/otp\?flow="))
    expect(page.get_by_text("Mã OTP đã được gửi đến số điện thoại")).to_contain_text(
        NEWCOMER["masked"]
    )
    expect(page.get_by_role("button", name="Gửi lại OTP")).to_be_disabled()
    page.get_by_label("Mã OTP").fill(provider.outbox.last_otp(NEWCOMER["e164"]))
    assert fits_phone(page)
    shoot(page, "register-4-otp")
    page.get_by_role("button", name="Xác nhận").click()

    # Step 6: the password; a mismatched confirmation is caught first.
    expect(page).to_have_url(re.compile(r"/register/password\?flow="))
    fill_new_password(page, NEWCOMER["password"], NEWCOMER["password"] + "x")
    press_register(page)
    expect(page.get_by_role("alert")).to_be_visible()
    fill_new_password(page, NEWCOMER["password"])
    assert fits_phone(page)
    shoot(page, "register-5-password")
    press_register(page)

    expect(page.get_by_role("heading", name="Đăng ký thành công")).to_be_visible()
    expect(page.get_by_text("Xin chào")).to_contain_text(NEWCOMER["full_name"])
    assert fits_phone(page)
    shoot(page, "register-6-done")

    # Guide part 2 with the new account, in another browser: user name, password, OTP.
    other = new_page()
    other.goto(f"{relying_party.url}/login")
    log_in(other, provider, NEWCOMER, NEWCOMER["masked"])
    expect(other.locator("#name")).to_have_text(NEWCOMER["full_name"])
    expect(other.locator("#acr")).to_have_text("LoA1")


def test_phone_not_registered_to_the_citizen_is_refused(page, provider):
    provider.import_subscribers((NEWCOMER["phone"], "066090001234"))
    open_details_form(page, provider)

    fill_details(page, NEWCOMER)
    press_register(page)

    expect(page.locator("#phone-error")).to_contain_text("chưa được đăng ký chính chủ")
    expect(page.get_by_label("Số điện thoại di động")).to_have_value(NEWCOMER["phone"])
    assert provider.outbox.messages() == []
    shoot(page, "register-not-own-phone")


def test_existing_account_is_reported_with_recovery_and_complaint_links(page, provider):
    provider.create_citizen(**CITIZEN)
    provider.import_subscribers((CITIZEN["phone"], CITIZEN["id_number"]))
    open_details_form(page, provider)

    fill_details(page, {**CITIZEN, "gender": "Nam"})
    press_register(page)

    expect(page.get_by_role("alert")).to_have_text(
        "Số CMND/CCCD này đã có tài khoản trên Cổng Dịch vụ công Quốc gia."
    )
    expect(page.get_by_role("link", name="Quên mật khẩu")).to_be_visible()
    expect(page.get_by_role("link", name="khiếu nại")).to_be_visible()
    assert provider.outbox.messages() == []
    assert fits_phone(page)
    shoot(page, "register-exists")
