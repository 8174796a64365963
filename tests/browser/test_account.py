"""Issue [7/8] in a real browser: the citizen's own account at the provider (profile,
e-mail, phone change, connected agencies, sessions, history, authenticator app), on a
phone-sized screen, with screenshots in docs/screenshots/account-*.png."""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, scroll_width, shoot
from tests.browser.steps import (
    choose_portal_account,
    confirm_otp,
    fits_phone,
    log_in,
    submit_password,
)
from tests.conftest import CITIZEN

MASKED = "091****678"
NEW_PHONE = {"typed": "0987 654 321", "e164": "+84987654321", "masked": "098****321"}


def csp_errors(page) -> list[str]:
    """Collect the page's Content-Security-Policy violations from the console."""
    found: list[str] = []
    page.on(
        "console",
        lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return found


def sign_in_to_account(page, provider, citizen: dict) -> None:
    """/account without a session: the login (guide part 2, steps 4-6), then back."""
    page.goto(f"{provider.url}/account")
    expect(page).to_have_url(re.compile(r"/login\?flow="))
    log_in(page, provider, citizen, MASKED)
    expect(page).to_have_url(f"{provider.url}/account")


def test_account_profile_agencies_sessions_and_history(page, provider, relying_party):
    violations = csp_errors(page)
    citizen = provider.create_citizen(**CITIZEN)
    page.goto(f"{relying_party.url}/login")  # an agency receives data first
    log_in(page, provider, citizen, MASKED)
    expect(page.locator("#name")).to_have_text("Nguyễn Văn An")

    page.goto(provider.url)
    page.get_by_role("link", name="Tài khoản của tôi").click()
    expect(page.get_by_role("heading", name="Tài khoản của tôi")).to_be_visible()
    profile = page.locator("#profile")
    expect(profile).to_contain_text("Nguyễn Văn An")
    expect(profile).to_contain_text("066******234")
    expect(profile).to_contain_text(MASKED)
    expect(profile).not_to_contain_text(CITIZEN["id_number"])

    page.get_by_label("Địa chỉ thư điện tử").fill("khong-hop-le")
    page.get_by_role("button", name="Cập nhật thư điện tử").click()
    expect(page.get_by_role("alert")).to_contain_text("Địa chỉ thư điện tử không hợp lệ")
    page.get_by_label("Địa chỉ thư điện tử").fill("an.nguyen@example.vn")
    page.get_by_role("button", name="Cập nhật thư điện tử").click()
    expect(page.get_by_role("status")).to_have_text("Đã cập nhật thư điện tử.")
    expect(profile).to_contain_text("an.nguyen@example.vn")
    assert fits_phone(page)
    shoot(page, "account-profile")

    page.get_by_role("link", name="Cơ quan đã kết nối").click()
    agency = page.locator("section.agency").first
    expect(agency.get_by_role("heading")).to_have_text("Cổng thử nghiệm")
    expect(agency).to_contain_text("Họ và tên")
    expect(agency).to_contain_text("Đang có quyền truy cập")
    assert fits_phone(page)
    shoot(page, "account-agencies")
    agency.get_by_role("button", name="Thu hồi quyền truy cập").click()
    expect(page.get_by_role("status")).to_contain_text("Đã thu hồi quyền truy cập")
    expect(agency).to_contain_text("Không còn quyền truy cập")

    page.get_by_role("link", name="Phiên đăng nhập").click()
    session = page.locator("section.session").first
    expect(session.get_by_role("heading")).to_contain_text("Headless Chrome trên Linux")
    expect(session).to_contain_text("Mạng nội bộ")
    expect(page.get_by_role("button", name="Đăng xuất khỏi tất cả thiết bị")).to_be_visible()
    assert fits_phone(page)
    shoot(page, "account-sessions")

    page.get_by_role("link", name="Lịch sử đăng nhập").click()
    history = page.locator("#history")
    expect(history.locator("li").first).to_contain_text("Thu hồi quyền truy cập của cơ quan")
    expect(history).to_contain_text("Đăng nhập thành công")
    expect(history).to_contain_text("Gửi mã OTP qua SMS")
    assert fits_phone(page)
    shoot(page, "account-history")

    page.get_by_role("link", name="Phiên đăng nhập").click()
    page.get_by_role("button", name="Đăng xuất khỏi tất cả thiết bị").click()
    expect(page.get_by_role("status")).to_contain_text("Bạn đã đăng xuất khỏi tất cả thiết bị")
    page.goto(f"{provider.url}/account")
    expect(page).to_have_url(re.compile(r"/login\?flow="))
    assert violations == []


def test_account_phone_change_with_both_numbers(page, provider):
    citizen = provider.create_citizen(**CITIZEN)
    provider.import_subscribers((NEW_PHONE["typed"], CITIZEN["id_number"]))
    sign_in_to_account(page, provider, citizen)
    page.get_by_role("link", name="Đổi số điện thoại").click()
    page.get_by_label("Số điện thoại di động mới").fill("0977 000 111")  # not "chính chủ"
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page.get_by_role("alert")).to_contain_text("chưa được đăng ký chính chủ")
    page.get_by_label("Số điện thoại di động mới").fill(NEW_PHONE["typed"])
    assert fits_phone(page)
    shoot(page, "account-phone")
    page.get_by_role("button", name="Tiếp tục").click()

    expect(page.get_by_role("heading", name="Xác nhận số điện thoại cũ")).to_be_visible()
    confirm_otp(page, provider, citizen["e164"], MASKED)
    expect(page.get_by_role("heading", name="Xác nhận số điện thoại mới")).to_be_visible()
    assert fits_phone(page)
    shoot(page, "account-phone-otp")
    confirm_otp(page, provider, NEW_PHONE["e164"], NEW_PHONE["masked"])
    expect(page.get_by_role("status")).to_contain_text("Đã đổi số điện thoại.")
    expect(page.locator("#profile")).to_contain_text(NEW_PHONE["masked"])


def test_account_password_change(page, provider):
    citizen = provider.create_citizen(**CITIZEN)
    sign_in_to_account(page, provider, citizen)
    page.get_by_role("link", name="Đổi mật khẩu").click()
    page.get_by_label("Mật khẩu hiện tại").fill("saimatkhau1")
    page.get_by_label("Mật khẩu mới", exact=True).fill("matkhaumoi2027")
    page.get_by_label("Nhập lại mật khẩu mới").fill("matkhaumoi2027")
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.get_by_role("alert")).to_contain_text("Mật khẩu hiện tại không đúng.")
    expect(page.get_by_label("Mật khẩu hiện tại")).to_have_attribute("aria-invalid", "true")
    assert fits_phone(page)
    shoot(page, "account-password")
    page.get_by_label("Mật khẩu hiện tại").fill(CITIZEN["password"])
    page.get_by_label("Mật khẩu mới", exact=True).fill("matkhaumoi2027")
    page.get_by_label("Nhập lại mật khẩu mới").fill("matkhaumoi2027")
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.get_by_role("status")).to_contain_text("Đã đổi mật khẩu.")


def test_authenticator_app_setup_then_login_with_it(page, new_page, provider):
    violations = csp_errors(page)
    citizen = provider.create_citizen(**CITIZEN)
    sign_in_to_account(page, provider, citizen)
    page.get_by_role("link", name="Ứng dụng xác thực").click()
    page.get_by_role("button", name="Cài đặt ứng dụng xác thực").click()
    qr = page.locator("#totp-qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # CSP allows data:
    secret = page.locator("#totp-secret").inner_text()
    assert fits_phone(page)
    shoot(page, "account-authenticator-setup")
    page.get_by_label("Mã xác thực").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Xác nhận").click()
    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    assert fits_phone(page)
    shoot(page, "account-recovery-codes")
    first_code = codes.first.inner_text()
    page.get_by_role("link", name="Tôi đã lưu các mã").click()
    expect(page.locator("#codes-left")).to_have_text("10")

    other = new_page()  # another phone: the login offers the app
    other.goto(f"{provider.url}/account/history")
    choose_portal_account(other)
    submit_password(other, CITIZEN["id_number"], CITIZEN["password"])
    expect(other.get_by_role("heading", name="Chọn cách xác thực")).to_be_visible()
    assert fits_phone(other)
    shoot(other, "account-login-second-factor")
    other.get_by_role("button", name="Ứng dụng xác thực").click()
    other.get_by_label("Mã xác thực").fill(pyotp.TOTP(secret).at(time.time() + 30))
    assert fits_phone(other)
    shoot(other, "account-login-totp")
    other.get_by_role("button", name="Xác nhận").click()
    expect(other).to_have_url(f"{provider.url}/account/history")
    expect(other.locator("#history li").first).to_contain_text("Đăng nhập thành công")

    third = new_page(DESKTOP)  # and a recovery code, once
    third.goto(f"{provider.url}/account")
    choose_portal_account(third)
    submit_password(third, CITIZEN["id_number"], CITIZEN["password"])
    third.get_by_role("button", name="Ứng dụng xác thực").click()
    third.get_by_label("Mã khôi phục").fill(first_code)
    third.get_by_role("button", name="Dùng mã khôi phục").click()
    expect(third).to_have_url(f"{provider.url}/account")
    assert scroll_width(third) <= DESKTOP["width"]
    page.reload()
    expect(page.locator("#codes-left")).to_have_text("9")
    assert violations == []
