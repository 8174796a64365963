"""Steps a citizen takes in the browser, shared by the journeys (labels from the guide)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, scroll_width
from tests.conftest import NEWCOMER as REGISTRATION_FORM
from tests.conftest import NEWCOMER_E164, NEWCOMER_PASSWORD

PORTAL_ACCOUNT = "Tài khoản cấp bởi Cổng dịch vụ công quốc gia"
NATIONAL_LOGIN = "Đăng nhập Cổng DVC Quốc gia"
OTP_SENT = "Mã OTP đã được gửi đến số điện thoại"
PASSWORD = re.compile(r"^Mật khẩu")  # not "Nhập lại mật khẩu"

NEWCOMER = {
    **REGISTRATION_FORM,
    "gender": "Nữ",  # the label the form's select shows
    "e164": NEWCOMER_E164,
    "masked": "098****321",
    "password": NEWCOMER_PASSWORD,
}


def fits_phone(page: Page) -> bool:
    """Nothing on the page is wider than a 360 px phone screen."""
    return scroll_width(page) <= PHONE["width"]


def choose_portal_account(page: Page) -> None:
    """Guide part 2, step 4: the provider's choice page."""
    page.get_by_role("button", name=PORTAL_ACCOUNT).click()
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()


def submit_password(page: Page, username: str, password: str) -> None:
    """Guide part 2, step 5: user name (CMND/CCCD) and password, "Đăng nhập"."""
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()


def confirm_otp(page: Page, provider, phone_e164: str, masked: str) -> None:
    """Guide part 2, step 6: the OTP from the SMS outbox, "Xác nhận"."""
    expect(page.get_by_text(OTP_SENT)).to_contain_text(masked)
    page.get_by_label("Mã OTP").fill(provider.outbox.last_otp(phone_e164))
    page.get_by_role("button", name="Xác nhận").click()


def log_in(page: Page, provider, citizen: dict, masked: str) -> None:
    """Steps 4-6 from the provider's choice page, for a citizen with ``e164`` set."""
    choose_portal_account(page)
    submit_password(page, citizen["id_number"], citizen["password"])
    confirm_otp(page, provider, citizen["e164"], masked)


def open_details_form(page: Page, provider) -> None:
    """Guide part 1, step 3 at the provider: "Công dân" (already chosen), "Thuê bao di động"."""
    page.goto(f"{provider.url}/register")
    expect(page.get_by_label("Công dân")).to_be_checked()
    page.get_by_role("button", name="Thuê bao di động").click()
    expect(page).to_have_url(re.compile(r"/register/details\?flow="))


def fill_details(page: Page, person: dict, **changes) -> None:
    """Guide part 1, step 4: the details form (``gender`` is the label "Nam" or "Nữ")."""
    values = {**person, **changes}
    page.get_by_label("Số CMND/CCCD").fill(values["id_number"])
    page.get_by_label("Họ và tên").fill(values["full_name"])
    page.get_by_label("Ngày sinh").fill(values["date_of_birth"])
    page.get_by_label(values["gender"], exact=True).check()
    page.get_by_label("Số điện thoại di động").fill(values["phone"])


def press_register(page: Page) -> None:
    """ "Đăng ký" (the details form and the password form)."""
    page.get_by_role("button", name="Đăng ký", exact=True).click()


def fill_new_password(page: Page, password: str, confirmation: str | None = None) -> None:
    """Guide part 1, step 6: the password and its confirmation."""
    page.get_by_label(PASSWORD).fill(password)
    page.get_by_label("Nhập lại mật khẩu").fill(password if confirmation is None else confirmation)


def register(page: Page, provider, person: dict) -> None:
    """Guide part 1, steps 3-6 at the provider, from its registration choice page."""
    expect(page.get_by_label("Công dân")).to_be_checked()
    page.get_by_role("button", name="Thuê bao di động").click()
    fill_details(page, person)
    press_register(page)
    confirm_otp(page, provider, person["e164"], person["masked"])
    fill_new_password(page, person["password"])
    press_register(page)


def at_portal(portal) -> re.Pattern:
    return re.compile(rf"^{re.escape(portal.url)}/")


def start_national_login(page, portal) -> None:
    """Guide part 2, steps 1-3: the portal, "Đăng nhập", "Đăng nhập Cổng DVC Quốc gia"."""
    page.goto(portal.url)
    page.get_by_role("link", name="Đăng nhập", exact=True).click()
    page.get_by_role("link", name=NATIONAL_LOGIN).click()


def expect_signed_in(page, portal, name: str, id_number: str) -> None:
    expect(page).to_have_url(at_portal(portal))
    expect(page.locator("#citizen-name")).to_have_text(name)
    masked = id_number[:3] + "*" * (len(id_number) - 6) + id_number[-3:]
    expect(page.locator("#citizen-id-number")).to_have_text(masked)
