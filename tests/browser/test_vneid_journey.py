"""Federation in a real browser: from the Đắk Lắk portal, "Đăng nhập Cổng DVC Quốc gia",
the VNeID button on the provider's login choice, the VNeID emulator's own login, and back
to the portal signed in with an account made from VNeID's claims."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from idp import vneid_emulator as emulator
from tests.browser.conftest import shoot
from tests.browser.steps import (
    PORTAL_ACCOUNT,
    confirm_otp,
    expect_signed_in,
    fits_phone,
    start_national_login,
    submit_password,
)
from tests.federation.emulator import start_emulator

_, NEWCOMER = emulator.CITIZENS


def test_sign_in_to_the_portal_with_vneid(page, provider, portal, tmp_path, clock):
    vneid, server = start_emulator(tmp_path / "vneid", provider.url, clock)
    try:
        emulator.configure_provider(provider.app, vneid.issuer, vneid.secret)
        start_national_login(page, portal)
        expect(page.get_by_role("button", name=PORTAL_ACCOUNT)).to_be_visible()
        expect(page.get_by_role("button", name=emulator.LABEL)).to_be_visible()
        assert fits_phone(page)
        shoot(page, "vneid-1-login-choice")
        page.get_by_role("button", name=emulator.LABEL).click()

        expect(page).to_have_url(re.compile(rf"^{re.escape(vneid.issuer)}/login\?flow="))
        page.get_by_role("button", name=PORTAL_ACCOUNT).click()  # the emulator's own choice
        submit_password(page, NEWCOMER["id_number"], NEWCOMER["password"])
        masked = NEWCOMER["phone"][:3] + "****" + NEWCOMER["phone"][-3:]
        confirm_otp(page, vneid, "+84" + NEWCOMER["phone"][1:], masked)

        expect_signed_in(page, portal, NEWCOMER["full_name"], NEWCOMER["id_number"])
        expect(page.locator("#sign-in-method")).to_have_text(
            "Tài khoản định danh điện tử (mức độ đảm bảo LoA2)"
        )
        shoot(page, "vneid-2-portal-signed-in")

        # The account made from VNeID's claims lists VNeID among its linked identities.
        page.goto(f"{provider.url}/account/linked-identities")
        expect(page.get_by_role("heading", name="Tài khoản liên kết", level=1)).to_be_visible()
        expect(page.get_by_role("heading", name=emulator.LABEL)).to_be_visible()
        expect(page.get_by_role("button", name="Hủy liên kết")).to_be_visible()
        assert fits_phone(page)
        shoot(page, "vneid-3-linked-identities")
    finally:
        server.stop()
