"""The portal's "Đăng ký": the provider's registration (user guide part 1), then back at
the portal signed in as the new citizen, over real HTTP."""

from __future__ import annotations

import pytest

from tests.conftest import NEWCOMER, NEWCOMER_E164, NEWCOMER_PASSWORD
from tests.portal.citizen_browser import query_of

pytestmark = pytest.mark.servers

NEW_CITIZEN = {**NEWCOMER, "phone": NEWCOMER_E164.replace("+84", "0")}
PASSWORD = NEWCOMER_PASSWORD


@pytest.fixture
def subscriber(provider):
    """The new citizen's phone is registered in her own name ("chính chủ")."""
    from idp.subscribers.csv_import import import_subscribers

    with provider.app.app_context():
        import_subscribers(
            ["phone,id_number", f"{NEW_CITIZEN['phone']},{NEW_CITIZEN['id_number']}"],
            actor="test",
        )


def test_register_at_the_provider_and_come_back_signed_in(
    provider, portals, subscriber, browser, outbox
):
    portal = portals()
    home = browser.get(portal.url + "/")

    page = browser.click(home, "Đăng ký")
    register = next(u for u in browser.visited if "/register?" in u)
    assert register.startswith(provider.url + "/register?")
    assert query_of(register)["return_to"].startswith("/oauth2/authorize?")
    page = browser.submit(page, button="Thuê bao di động")
    page = browser.submit(page, NEW_CITIZEN, button="Đăng ký")
    assert page.status_code == 200, page.text[:800]
    page = browser.submit(page, {"otp": outbox.last_otp("+84987654321")}, button="Xác nhận")
    page = browser.submit(page, {"password": PASSWORD, "password_confirm": PASSWORD}, "Đăng ký")
    # Said once, by the provider, before going back: the account was created.
    assert page.url == provider.url + "/register/done" and "Đăng ký thành công" in page.text
    page = browser.click(page, "Tiếp tục đến Cổng DVC tỉnh Đắk Lắk")

    assert page.url == portal.url + "/", browser.visited[-4:]
    assert "Trần Thị Bình" in page.text and "066******345" in page.text
    assert "Mật khẩu + OTP qua SMS" in page.text
    callback = next(u for u in browser.visited if u.startswith(portal.url + "/callback"))
    assert query_of(callback)["iss"] == provider.url
