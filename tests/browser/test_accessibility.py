"""Issue [9/13] in Chromium: what a screen reader user, a keyboard user and someone with
shaky fingers meet (items 17, 28, 29, 30, 31). Every page these tests visit is also
audited by axe-core (``tests/browser/accessibility.py``)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shoot
from tests.browser.steps import (
    NEWCOMER,
    choose_portal_account,
    confirm_otp,
    fill_details,
    fill_new_password,
    fits_phone,
    log_in,
    open_details_form,
    press_register,
    submit_password,
)
from tests.conftest import CITIZEN

MASKED = "091****678"
ERROR_TITLE = re.compile(r"^Lỗi: ")


def focused_id(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def expect_error_summary_in_focus(page) -> None:
    """The summary is announced (role=alert), has the focus and the title says "Lỗi"."""
    summary = page.locator("#error-summary")
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_focused()
    assert focused_id(page) == "error-summary"
    expect(page).to_have_title(ERROR_TITLE)


def test_details_form_errors_are_summarised_focused_and_beside_each_field(page, provider):
    open_details_form(page, provider)
    expect(page).not_to_have_title(ERROR_TITLE)
    page.get_by_label("Số CMND/CCCD").fill(NEWCOMER["id_number"])
    page.get_by_label("Họ và tên").fill(NEWCOMER["full_name"])
    page.get_by_label("Ngày sinh").fill("1994-03-08")  # disagrees with the CCCD
    page.get_by_label("Số điện thoại di động").fill("0123")  # no gender chosen
    press_register(page)

    expect_error_summary_in_focus(page)
    summary = page.locator("#error-summary")
    # One link per field in error, in the order the form shows the fields.
    expect(summary.get_by_role("link")).to_have_count(3)
    hrefs = summary.get_by_role("link").evaluate_all("links => links.map(a => a.hash)")
    assert hrefs == ["#id_number", "#gender", "#phone"]
    # "Giới tính": the radios are invalid, the group is described by the message.
    for radio in (page.get_by_label("Nam", exact=True), page.get_by_label("Nữ", exact=True)):
        expect(radio).to_have_attribute("aria-invalid", "true")
    fieldset = page.get_by_role("group", name="Giới tính")
    expect(fieldset).not_to_have_attribute("aria-invalid", re.compile("."))
    expect(fieldset).to_have_accessible_description(re.compile("giới tính"))
    # The fieldset looks like the other fields: no browser border, its legend a label.
    look = fieldset.evaluate(
        """f => ({border: getComputedStyle(f).borderTopWidth,
                 legend: getComputedStyle(f.querySelector('legend')).fontWeight,
                 label: getComputedStyle(document.querySelector('label[for=phone]')).fontWeight})"""
    )
    assert look["border"] == "0px" and look["legend"] == look["label"]
    # A summary link takes the keyboard to its field.
    summary.get_by_role("link", name=re.compile("Số điện thoại")).click()
    expect(page.get_by_label("Số điện thoại di động")).to_be_focused()
    assert fits_phone(page)
    shoot(page, "register-2-details-errors")


def test_password_step_error_is_beside_the_field_and_focused(page, provider):
    provider.import_subscribers((NEWCOMER["phone"], NEWCOMER["id_number"]))
    open_details_form(page, provider)
    fill_details(page, NEWCOMER)
    press_register(page)
    confirm_otp(page, provider, NEWCOMER["e164"], NEWCOMER["masked"])
    expect(page).to_have_url(re.compile(r"/register/password\?flow="))
    fill_new_password(page, NEWCOMER["password"], NEWCOMER["password"] + "x")
    press_register(page)

    expect_error_summary_in_focus(page)
    confirm = page.get_by_label("Nhập lại mật khẩu")
    expect(confirm).to_have_attribute("aria-invalid", "true")
    expect(confirm).to_have_accessible_description(
        "Mật khẩu nhập lại không khớp với mật khẩu đã nhập."
    )
    expect(page.locator("#password_confirm-error")).to_be_visible()
    assert fits_phone(page)
    shoot(page, "register-5-password-errors")


def test_account_password_change_error_is_beside_the_field(page, provider):
    citizen = provider.create_citizen(**CITIZEN)
    page.goto(f"{provider.url}/account/password")
    log_in(page, provider, citizen, MASKED)
    page.get_by_label("Mật khẩu hiện tại").fill("saimatkhau1")
    page.get_by_label("Mật khẩu mới", exact=True).fill("matkhaumoi2027")
    page.get_by_label("Nhập lại mật khẩu mới").fill("matkhaumoi2027")
    page.get_by_role("button", name="Đổi mật khẩu").click()

    expect_error_summary_in_focus(page)
    current = page.get_by_label("Mật khẩu hiện tại")
    expect(current).to_have_accessible_description(re.compile(r"^Mật khẩu hiện tại không đúng\."))
    # Item 31: the tab of the section is marked, and looks marked.
    tab = page.get_by_role("navigation", name="Tài khoản của tôi").get_by_role(
        "link", name="Thông tin tài khoản"
    )
    expect(tab).to_have_attribute("aria-current", "true")


def test_complaint_form_with_errors_moves_focus_to_its_summary(page, provider):
    page.goto(f"{provider.url}/complaints/new")
    page.get_by_role("button", name="Gửi khiếu nại").click()

    expect_error_summary_in_focus(page)
    expect(page.locator("#error-summary")).to_contain_text("Nếu đã chọn tệp minh chứng")
    expect(page.get_by_label("Họ và tên")).to_have_attribute("aria-invalid", "true")


def test_console_sign_in_error_takes_focus(page, provider):
    page.goto(f"{provider.url}/console/login")
    page.get_by_label("Tên đăng nhập").fill("khong.ton.tai")
    page.get_by_label("Mật khẩu").fill("saimatkhau")
    page.get_by_role("button", name="Tiếp tục").click()
    expect_error_summary_in_focus(page)


def test_otp_countdown_and_resend_wait_are_announced(page, provider):
    citizen = provider.create_citizen(**CITIZEN)
    page.clock.install()
    page.goto(f"{provider.url}/account")
    choose_portal_account(page)
    submit_password(page, citizen["id_number"], citizen["password"])

    resend = page.get_by_role("button", name="Gửi lại OTP")
    announcer = page.locator("#otp-announcer")
    expect(resend).to_be_disabled()
    expect(resend).to_have_accessible_description(re.compile(r"sau \d+ giây"))
    expect(announcer).to_have_attribute("aria-live", "polite")
    expect(announcer).to_have_text("")

    page.clock.run_for(61_000)  # the page's clock only
    expect(resend).to_be_enabled()
    expect(announcer).to_contain_text("Bạn có thể nhấn “Gửi lại OTP” để nhận mã mới.")
    expect(resend).not_to_have_attribute("aria-describedby", re.compile("."))

    page.clock.run_for(60_000)  # a whole minute passes on the countdown: said once
    expect(announcer).to_have_text(re.compile(r"^Mã có hiệu lực trong \d phút 0 giây\.$"))

    page.clock.run_for(300_000)
    expect(announcer).to_have_text("Mã OTP đã hết hạn. Vui lòng nhấn “Gửi lại OTP”.")


def footer_link_sizes(page) -> list[dict]:
    return page.locator("footer a").evaluate_all(
        """links => links.map(a => {
          const r = a.getBoundingClientRect();
          return {text: a.textContent, width: r.width, height: r.height};
        })"""
    )


@pytest.mark.parametrize("where", ["provider", "portal", "console"])
def test_footer_links_are_at_least_24_px_targets(page, provider, portal, where):
    url = {
        "provider": f"{provider.url}/",
        "portal": f"{portal.url}/",
        "console": f"{provider.url}/console/login",
    }[where]
    page.goto(url)
    sizes = footer_link_sizes(page)
    assert sizes, "the footer has links"
    if where == "provider":  # the test settings show the development SMS page's link
        assert len(sizes) == 2
    for size in sizes:
        assert size["width"] >= 24 and size["height"] >= 24, size


def test_account_tabs_show_the_open_one(page, provider):
    citizen = provider.create_citizen(**CITIZEN)
    page.goto(f"{provider.url}/account")
    log_in(page, provider, citizen, MASKED)
    nav = page.get_by_role("navigation", name="Tài khoản của tôi")
    tabs = {
        "Thông tin tài khoản": "/account",
        "Cơ quan đã kết nối": "/account/agencies",
        "Phiên đăng nhập": "/account/sessions",
        "Lịch sử đăng nhập": "/account/history",
        "Ứng dụng xác thực": "/account/authenticator",
    }
    for name, path in tabs.items():
        page.goto(f"{provider.url}{path}")
        current = nav.locator('[aria-current="page"]')
        expect(current).to_have_count(1)
        expect(current).to_have_text(name)
        looks = nav.get_by_role("link").evaluate_all(
            """links => links.map(a => [a.textContent.trim(), getComputedStyle(a).borderBottomWidth,
                                        getComputedStyle(a).fontWeight])"""
        )
        marked = [text for text, border, weight in looks if border != "0px" and weight == "700"]
        assert marked == [name]
    assert fits_phone(page)
    shoot(page, "account-authenticator-tab")
