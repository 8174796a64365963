"""Issue [9/13] item 13 in a real browser: after "Gửi lại OTP" and after the "already has
an account" answer, reloading, switching the language and Back work (POST/redirect/GET):
no 405, no "resubmit the form?", no second SMS."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.steps import (
    NEWCOMER,
    OTP_SENT,
    choose_portal_account,
    fill_details,
    open_details_form,
    press_register,
    submit_password,
)
from tests.conftest import CITIZEN

TOO_EARLY = "trước khi yêu cầu gửi lại mã OTP"


def test_reload_and_language_switch_after_resend(page, provider, relying_party):
    citizen = provider.create_citizen(**CITIZEN)
    page.clock.install()
    page.goto(f"{relying_party.url}/login")
    choose_portal_account(page)
    submit_password(page, citizen["id_number"], citizen["password"])
    expect(page.get_by_text(OTP_SENT)).to_be_visible()
    page.clock.run_for(61_000)  # the button's cooldown; the server's clock has not moved

    page.get_by_role("button", name="Gửi lại OTP").click()
    expect(page.get_by_role("alert")).to_contain_text(TOO_EARLY)
    expect(page).to_have_url(re.compile(r"/login/otp\?flow=[^&]+$"))

    answer = page.reload()
    assert answer.status == 200 and answer.request.method == "GET"
    expect(page.get_by_text(OTP_SENT)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)  # said once

    with page.expect_navigation() as switched:
        page.get_by_role("link", name="English").click()
    assert switched.value.status == 200
    expect(page.get_by_role("button", name="Resend OTP")).to_be_visible()
    assert len(provider.outbox.messages()) == 1  # neither the reload nor the switch sent

    page.get_by_label("One-time code (OTP)").fill(provider.outbox.last_otp(citizen["e164"]))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#name")).to_have_text("Nguyễn Văn An")


def test_back_from_the_existing_account_page_returns_to_the_form(page, provider):
    provider.create_citizen(**CITIZEN)
    provider.import_subscribers((CITIZEN["phone"], CITIZEN["id_number"]))
    open_details_form(page, provider)
    fill_details(page, {**CITIZEN, "gender": "Nam"})
    press_register(page)
    expect(page).to_have_url(re.compile(r"/register/exists\?flow="))
    expect(page.get_by_role("link", name="khiếu nại")).to_be_visible()

    answer = page.reload()
    assert answer.status == 200 and answer.request.method == "GET"
    expect(page.get_by_role("link", name="Quên mật khẩu")).to_be_visible()

    page.go_back()  # the details form again, not "Confirm Form Resubmission"
    expect(page).to_have_url(re.compile(r"/register/details\?flow="))
    expect(page.get_by_label("Số CMND/CCCD")).to_be_visible()
    fill_details(page, NEWCOMER)  # a corrected number goes on as usual
    provider.import_subscribers((NEWCOMER["phone"], NEWCOMER["id_number"]))
    press_register(page)
    expect(page.get_by_text(OTP_SENT)).to_contain_text(NEWCOMER["masked"])
