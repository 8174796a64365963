"""Login rules: OTP tries, expiry and resend; lockout; no account enumeration."""

from __future__ import annotations

import re

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


def test_expired_otp_is_refused(app_factory, outbox, citizen, oidc_client, clock):
    browser = Browser(app_factory(OTP_TTL_SECONDS=1), outbox)
    otp_url = to_otp_step(browser, citizen, oidc_client)
    code = outbox.last_otp()
    clock.advance(1.5)
    resp = browser.submit_otp(otp_url, code)
    assert resp.status_code == 400
    assert "hết hạn" in resp.get_data(as_text=True)


def test_resend_inside_cooldown_is_refused_then_allowed(
    app_factory, outbox, citizen, oidc_client, clock
):
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
    clock.advance(4.5)  # in Redis too: the cooldown is a key's TTL (tests.redis_time)
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


def _from(browser: Browser, ip: str) -> Browser:
    browser.http.environ_base["REMOTE_ADDR"] = ip
    return browser


def _lock(app, outbox, oidc_client, username: str, times: int) -> None:
    """``times`` wrong passwords for ``username``, each from its own address."""
    for i in range(times):
        attacker = _from(Browser(app, outbox), f"203.0.113.{i + 1}")
        password_url = attacker.start_login(attacker.authorize_url(oidc_client["client_id"])[0])
        resp = attacker.submit_password(password_url, username, "saimatkhau1")
        assert resp.status_code == 400 and GENERIC in resp.get_data(as_text=True)


def _otp_page_under_lock(browser: Browser, oidc_client, username: str, password: str):
    password_url = browser.start_login(browser.authorize_url(oidc_client["client_id"])[0])
    resp = browser.submit_password(password_url, username, password)
    assert resp.status_code == 302 and "/login/otp" in resp.location
    return resp.location, browser.get(resp.location).get_data(as_text=True)


def _shape(html: str) -> str:
    """The page without what differs between any two visits (flow id, token, clocks)."""
    html = re.sub(r"flow=[\w-]+", "flow=F", html)
    html = re.sub(r'name="csrf_token" value="[^"]+"', "csrf", html)
    return re.sub(r"\d+", "N", html)


NO_PHONE = "mã OTP đã được gửi đến số điện thoại đã đăng ký của tài khoản"


def test_under_the_lock_the_owner_gets_through_with_password_and_sms_otp(
    app_factory, outbox, citizen, oidc_client
):
    app = app_factory(LOCKOUT_THRESHOLD=3)
    _lock(app, outbox, oidc_client, citizen["id_number"], 3)
    owner = _from(Browser(app, outbox), "192.0.2.10")
    otp_url, page = _otp_page_under_lock(
        owner, oidc_client, citizen["id_number"], citizen["password"]
    )
    assert NO_PHONE in page and "091****678" not in page
    [sms] = outbox.messages()
    assert sms["to"] == citizen["phone_e164"]
    resp = owner.submit_otp(otp_url, outbox.last_otp(citizen["phone_e164"]))
    assert resp.status_code == 302 and "/oauth2/authorize/resume" in resp.location
    with app.app_context():
        from idp.citizens import lockout

        assert not lockout.is_locked(citizen["id_number"])  # a completed login clears it


def test_under_the_lock_a_wrong_password_gets_a_look_alike_step_that_accepts_nothing(
    app_factory, outbox, citizen, oidc_client
):
    app = app_factory(LOCKOUT_THRESHOLD=3)
    _lock(app, outbox, oidc_client, citizen["id_number"], 3)
    attacker = _from(Browser(app, outbox), "203.0.113.99")
    otp_url, wrong_page = _otp_page_under_lock(
        attacker, oidc_client, citizen["id_number"], "saimatkhau1"
    )
    assert outbox.messages() == []  # nothing is sent for a wrong password
    owner = _from(Browser(app, outbox), "192.0.2.10")
    _, right_page = _otp_page_under_lock(
        owner, oidc_client, citizen["id_number"], citizen["password"]
    )
    assert _shape(wrong_page) == _shape(right_page)
    # The owner's real code, or any other, opens nothing on the look-alike step.
    resp = attacker.submit_otp(otp_url, outbox.last_otp(citizen["phone_e164"]))
    assert resp.status_code == 400
    assert attacker.http.get_cookie("idp_session") is None


def test_unknown_user_names_are_locked_and_answered_alike(
    app_factory, outbox, citizen, oidc_client
):
    app = app_factory(LOCKOUT_THRESHOLD=3)
    pages = []
    for username in (citizen["id_number"], "066090009999"):
        _lock(app, outbox, oidc_client, username, 3)
        attacker = _from(Browser(app, outbox), "198.51.100.1")
        pages.append(_otp_page_under_lock(attacker, oidc_client, username, "saimatkhau1")[1])
    assert _shape(pages[0]) == _shape(pages[1])
    assert outbox.messages() == []


def test_lock_doubles_and_is_capped_at_fifteen_minutes(app, citizen):
    from idp.citizens import lockout
    from idp.services import store

    with app.test_request_context():
        lengths = []
        for _ in range(7):
            for _ in range(9):
                assert lockout.register_failure(citizen["id_number"]) is None
            lengths.append(lockout.register_failure(citizen["id_number"]))
            assert lockout.is_locked(citizen["id_number"])
        assert lengths == [60, 120, 240, 480, 900, 900, 900]
        assert 0 < store().ttl(f"lock:{lockout.name_key(citizen['id_number'])}") <= 900


def test_lockout_is_audited(app_factory, outbox, citizen, oidc_client):
    from idp.audit import AuditEvent
    from idp.extensions import db

    app = app_factory(LOCKOUT_THRESHOLD=2)
    _lock(app, outbox, oidc_client, citizen["id_number"], 2)
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent.event)).all()
        assert "login.lockout" in events and "login.failed" in events


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
