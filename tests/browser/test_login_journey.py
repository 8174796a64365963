"""Issue [1/8] in a real browser: a portal sends the citizen to the provider, who logs in
with user name + password + SMS OTP (guide part 2, steps 4-6) and comes back signed in."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, scroll_width, shoot
from tests.browser.steps import (
    PORTAL_ACCOUNT,
    choose_portal_account,
    fits_phone,
    submit_password,
)
from tests.conftest import CITIZEN

WRONG_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."


def open_password_form(page, relying_party) -> None:
    """From the relying party's login link to the provider's user name + password form."""
    page.goto(f"{relying_party.url}/login")
    choose_portal_account(page)


def test_login_journey_from_portal_to_provider_and_back(page, provider, relying_party):
    citizen = provider.create_citizen(**CITIZEN)
    page.goto(f"{relying_party.url}/login")

    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.url)}/login\?flow="))
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    choice = page.get_by_role("button", name=PORTAL_ACCOUNT)
    expect(choice).to_be_visible()
    assert fits_phone(page)
    shoot(page, "login-choose")
    choice.click()

    expect(page).to_have_url(re.compile(r"/login/password\?flow="))
    page.get_by_label("Tên đăng nhập").fill(citizen["id_number"])
    page.get_by_label("Mật khẩu").fill(citizen["password"])
    assert fits_phone(page)
    shoot(page, "login-password")
    page.get_by_role("button", name="Đăng nhập", exact=True).click()

    expect(page).to_have_url(re.compile(r"/login/otp\?flow="))
    expect(page.get_by_text("Mã OTP đã được gửi đến số điện thoại")).to_contain_text("091****678")
    page.get_by_label("Mã OTP").fill(provider.outbox.last_otp(citizen["e164"]))
    assert fits_phone(page)
    shoot(page, "login-otp")
    page.get_by_role("button", name="Xác nhận").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(relying_party.url)}/callback\?"))
    expect(page.locator("#name")).to_have_text("Nguyễn Văn An")
    expect(page.locator("#acr")).to_have_text("LoA1")
    expect(page.locator("#amr")).to_have_text("pwd sms mfa")
    assert page.locator("#sub").inner_text() == citizen["sub"] != citizen["id_number"]
    shoot(page, "login-done")

    # Single sign-on: asking again comes straight back, no form and no new SMS.
    sent = len(provider.outbox.messages())
    page.goto(f"{relying_party.url}/login")
    expect(page).to_have_url(re.compile(rf"^{re.escape(relying_party.url)}/callback\?"))
    expect(page.locator("#name")).to_have_text("Nguyễn Văn An")
    assert len(provider.outbox.messages()) == sent


def test_wrong_password_shows_message_and_sends_no_sms(page, provider, relying_party):
    citizen = provider.create_citizen(**CITIZEN)
    open_password_form(page, relying_party)

    with page.expect_response(re.compile(r"/login/password\?")) as answer:
        submit_password(page, citizen["id_number"], "saimatkhau99")

    assert answer.value.status == 400
    expect(page.get_by_role("alert")).to_have_text(WRONG_CREDENTIALS)
    expect(page.get_by_label("Tên đăng nhập")).to_have_value(citizen["id_number"])
    expect(page.get_by_label("Mật khẩu")).to_have_value("")
    assert provider.outbox.messages() == []
    assert fits_phone(page)
    shoot(page, "login-error")


def test_unknown_user_gets_the_same_message(page, provider, relying_party):
    provider.create_citizen(**CITIZEN)
    open_password_form(page, relying_party)

    submit_password(page, "066090009999", CITIZEN["password"])

    expect(page.get_by_role("alert")).to_have_text(WRONG_CREDENTIALS)
    assert provider.outbox.messages() == []


def test_resend_button_waits_for_the_cooldown_and_server_enforces_it(page, provider, relying_party):
    citizen = provider.create_citizen(**CITIZEN)
    page.clock.install()
    open_password_form(page, relying_party)
    submit_password(page, citizen["id_number"], citizen["password"])

    resend = page.get_by_role("button", name="Gửi lại OTP")
    expect(resend).to_be_disabled()
    expect(page.locator("#resend-wait")).to_contain_text("giây")
    assert fits_phone(page)

    page.clock.run_for(61_000)  # the page's own clock: no real waiting
    expect(resend).to_be_enabled()
    expect(page.locator("#resend-wait")).to_have_text("")

    # The server's clock has not moved: it refuses the early resend and says how long to wait.
    first_code = provider.outbox.last_otp(citizen["e164"])
    # "Gửi lại OTP" redirects back to the OTP page (POST/redirect/GET), which says so.
    with page.expect_response(re.compile(r"/login/otp\?flow=")) as answer:
        resend.click()
    assert answer.value.status == 429
    expect(page.get_by_role("alert")).to_contain_text("trước khi yêu cầu gửi lại mã OTP")
    assert len(provider.outbox.messages()) == 1

    # The first code still works after the refused resend.
    page.get_by_label("Mã OTP").fill(first_code)
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.locator("#name")).to_have_text("Nguyễn Văn An")


def test_wrong_otp_says_how_many_tries_are_left(page, provider, relying_party):
    citizen = provider.create_citizen(**CITIZEN)
    open_password_form(page, relying_party)
    submit_password(page, citizen["id_number"], citizen["password"])
    code = provider.outbox.last_otp(citizen["e164"])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    page.get_by_label("Mã OTP").fill(wrong)
    page.get_by_role("button", name="Xác nhận").click()

    expect(page.get_by_role("alert")).to_have_text("Mã OTP không đúng. Bạn còn 4 lần thử.")
    assert fits_phone(page)
    page.get_by_label("Mã OTP").fill(code)
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.locator("#name")).to_have_text("Nguyễn Văn An")


def test_login_screens_on_a_desktop(new_page, provider, relying_party):
    page = new_page(DESKTOP)
    provider.create_citizen(**CITIZEN)
    page.goto(f"{relying_party.url}/login")
    expect(page.get_by_role("button", name=PORTAL_ACCOUNT)).to_be_visible()
    shoot(page, "login-choose-desktop")
    page.get_by_role("button", name=PORTAL_ACCOUNT).click()
    page.get_by_label("Tên đăng nhập").fill(CITIZEN["id_number"])
    shoot(page, "login-password-desktop")
    assert scroll_width(page) <= DESKTOP["width"]
