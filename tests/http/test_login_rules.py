"""Login rules: OTP tries, expiry and resend; lockout; no account enumeration."""

from __future__ import annotations

import time

import pytest

from tests.conftest import csrf_of
from tests.http.driver import Browser

GENERIC = "Tên đăng nhập hoặc mật khẩu không đúng."


@pytest.fixture
def browser(app, outbox):
    return Browser(app, outbox)


def to_otp_step(browser, citizen, oidc_client) -> str:
    url, _ = browser.authorize_url(oidc_client["client_id"])
    password_url = browser.start_login(url)
    resp = browser.submit_password(password_url, citizen["id_number"], citizen["password"])
    assert resp.status_code == 302
    return resp.location


def test_wrong_otp_five_times_kills_the_code(browser, citizen, oidc_client):
    otp_url = to_otp_step(browser, citizen, oidc_client)
    good = browser.outbox.last_otp()
    wrong = "000000" if good != "000000" else "111111"
    for tries_left in (4, 3, 2, 1):
        resp = browser.submit_otp(otp_url, wrong)
        assert resp.status_code == 400
        assert f"còn {tries_left} lần" in resp.get_data(as_text=True)
    resp = browser.submit_otp(otp_url, wrong)
    assert "5 lần" in resp.get_data(as_text=True)
    resp = browser.submit_otp(otp_url, good)  # the right code no longer works
    assert resp.status_code == 400
    assert "Gửi lại OTP" in resp.get_data(as_text=True)


def test_correct_code_after_four_wrong_tries_is_accepted(browser, citizen, oidc_client):
    otp_url = to_otp_step(browser, citizen, oidc_client)
    good = browser.outbox.last_otp()
    wrong = "000000" if good != "000000" else "111111"
    for _ in range(4):
        browser.submit_otp(otp_url, wrong)
    assert browser.submit_otp(otp_url, good).status_code == 302


def test_expired_otp_is_refused(app_factory, outbox, citizen, oidc_client):
    browser = Browser(app_factory(OTP_TTL_SECONDS=1), outbox)
    otp_url = to_otp_step(browser, citizen, oidc_client)
    code = outbox.last_otp()
    time.sleep(1.5)
    resp = browser.submit_otp(otp_url, code)
    assert resp.status_code == 400
    assert "hết hạn" in resp.get_data(as_text=True)


def test_resend_inside_cooldown_is_refused_then_allowed(app_factory, outbox, citizen, oidc_client):
    browser = Browser(app_factory(OTP_RESEND_COOLDOWN_SECONDS=4), outbox)
    otp_url = to_otp_step(browser, citizen, oidc_client)
    first = outbox.last_otp()
    resend_url = otp_url.replace("/login/otp", "/login/otp/resend")
    page = browser.get(otp_url).get_data(as_text=True)
    # Refused or not, "Gửi lại OTP" redirects to the OTP page, which says so once.
    resp = browser.post_form(resend_url, page, {})
    assert resp.status_code == 303 and resp.location == otp_url
    resp = browser.get(otp_url)
    assert resp.status_code == 429 and "trước khi yêu cầu gửi lại" in resp.get_data(as_text=True)
    assert browser.get(otp_url).status_code == 200  # said once
    time.sleep(4.5)
    resp = browser.post_form(resend_url, page, {})
    assert resp.status_code == 303 and resp.location == otp_url
    assert "Mã OTP mới đã được gửi." in browser.get(otp_url).get_data(as_text=True)
    second = outbox.last_otp()
    assert len(outbox.messages()) == 2
    if first != second:
        assert browser.submit_otp(otp_url, first).status_code == 400
    assert browser.submit_otp(otp_url, second).status_code == 302


def test_otp_page_shows_masked_phone_and_time_left(browser, citizen, oidc_client):
    otp_url = to_otp_step(browser, citizen, oidc_client)
    html = browser.get(otp_url).get_data(as_text=True)
    assert "091****678" in html
    assert "0912345678" not in html
    assert "Xác nhận" in html and "Gửi lại OTP" in html
    assert "phút" in html


def test_unknown_user_and_wrong_password_look_the_same(browser, citizen, oidc_client):
    url, _ = browser.authorize_url(oidc_client["client_id"])
    password_url = browser.start_login(url)
    wrong = browser.submit_password(password_url, citizen["id_number"], "saimatkhau1")
    unknown = browser.submit_password(password_url, "066090009999", "saimatkhau1")
    assert wrong.status_code == unknown.status_code == 400
    assert GENERIC in wrong.get_data(as_text=True)
    assert GENERIC in unknown.get_data(as_text=True)
    assert browser.outbox.messages() == []


def test_lockout_after_wrong_passwords_revealed_only_with_right_password(
    app, browser, citizen, oidc_client
):
    url, _ = browser.authorize_url(oidc_client["client_id"])
    password_url = browser.start_login(url)
    for _ in range(5):
        resp = browser.submit_password(password_url, citizen["id_number"], "saimatkhau1")
        assert GENERIC in resp.get_data(as_text=True)
    resp = browser.submit_password(password_url, citizen["id_number"], "saimatkhau1")
    assert GENERIC in resp.get_data(as_text=True)  # locked, but a wrong password says nothing
    resp = browser.submit_password(password_url, citizen["id_number"], citizen["password"])
    assert resp.status_code == 400
    assert "tạm thời bị khóa" in resp.get_data(as_text=True)
    assert browser.outbox.messages() == []
    with app.app_context():
        from idp.audit import AuditEvent
        from idp.extensions import db

        events = db.session.scalars(db.select(AuditEvent.event)).all()
        assert "login.lockout" in events and "login.failed" in events


@pytest.fixture
def server_zone():
    """Set the process's local time zone (``TZ``) for one test; restored afterwards."""
    import os

    before = os.environ.get("TZ")

    def set_zone(zone: str) -> None:
        os.environ["TZ"] = zone
        time.tzset()

    yield set_zone
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


# POSIX zone strings (no tz database needed): UTC, UTC-5, UTC+9.
@pytest.mark.parametrize("zone", ["UTC0", "EST5", "JST-9"])
def test_lockout_end_is_shown_in_vietnam_time_whatever_the_server_zone(
    app, browser, citizen, oidc_client, server_zone, zone
):
    from datetime import UTC, datetime

    from idp.accounts.models import Citizen
    from idp.extensions import db

    server_zone(zone)
    with app.app_context():
        db.session.get(Citizen, citizen["id"]).locked_until = datetime(
            2099, 1, 1, 20, 4, tzinfo=UTC
        )
        db.session.commit()
    password_url = browser.start_login(browser.authorize_url(oidc_client["client_id"])[0])
    resp = browser.submit_password(password_url, citizen["id_number"], citizen["password"])
    assert resp.status_code == 400
    # 20:04 UTC on 1 January is 03:04 on 2 January in Vietnam (UTC+7).
    assert "Vui lòng thử lại sau 03:04 ngày 02/01/2099." in resp.get_data(as_text=True)


def test_lockout_grows(app, citizen):
    from datetime import UTC, datetime

    from idp.accounts import lockout
    from idp.accounts.models import Citizen
    from idp.extensions import db

    with app.app_context():
        c = db.session.get(Citizen, citizen["id"])
        now = datetime.now(UTC)
        durations = []
        for _ in range(3):
            for _ in range(5):
                lockout.register_failure(c, now)
            durations.append((c.locked_until - now).total_seconds())
        assert durations == [60, 120, 240]


def test_missing_csrf_token_is_refused(browser, citizen, oidc_client):
    url, _ = browser.authorize_url(oidc_client["client_id"])
    password_url = browser.start_login(url)
    resp = browser.http.post(
        password_url, data={"username": citizen["id_number"], "password": citizen["password"]}
    )
    assert resp.status_code == 400
    assert browser.outbox.messages() == []


def test_pages_carry_security_headers(browser, citizen, oidc_client):
    url, _ = browser.authorize_url(oidc_client["client_id"])
    password_url = browser.start_login(url)
    resp = browser.get(password_url)
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]
    assert resp.headers["Cache-Control"] == "no-store"
    assert csrf_of(resp.get_data(as_text=True))
