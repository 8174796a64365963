"""Forgot password ("Quên mật khẩu") through the real forms: the same answer for a match
and a non-match, and a reset that ends every old session and token."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest

from tests.conftest import CITIZEN, REDIRECT_URI, query_of
from tests.http.driver import Browser
from tests.http.registration_driver import RegistrationBrowser, form_actions
from tests.http.test_code_flow import redeem

NEW_PASSWORD = "matkhaumoi2027"


class RecoveryBrowser(RegistrationBrowser):
    """A browser going through "Quên mật khẩu"."""

    def identify(self, username: str, phone: str):
        resp = self.get("/recovery")
        assert resp.status_code == 302
        page = self.get(resp.location).get_data(as_text=True)
        return self.post(form_actions(page)[0], page, {"username": username, "phone": phone})


@pytest.fixture
def rec(app, outbox):
    return RecoveryBrowser(app, outbox)


def _signed_in_with_tokens(app, outbox, citizen, client) -> tuple[Browser, dict]:
    """A browser signed in at the provider, and the tokens its client got."""
    browser = Browser(app, outbox)
    url, req = browser.authorize_url(client["client_id"])
    resp = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    assert resp.location.startswith(REDIRECT_URI)
    tokens = redeem(browser.http, client, query_of(resp.location)["code"], req["verifier"])
    return browser, tokens.get_json()


def _sessions(app, citizen_id: int) -> list:
    from idp.login_session import sessions_of

    with app.app_context():
        return sessions_of(citizen_id)


def test_login_page_links_to_recovery(app, citizen, oidc_client):
    browser = Browser(app, None)
    url, _ = browser.authorize_url(oidc_client["client_id"])
    page = browser.get(browser.start_login(url)).get_data(as_text=True)
    assert '<a href="/recovery">Quên mật khẩu</a>' in page


def test_reset_ends_old_sessions_and_tokens_and_the_new_password_works(
    app, citizen, outbox, oidc_client, rec
):
    from idp.audit import AuditEvent
    from idp.citizens import lockout
    from idp.extensions import db
    from idp.oidc.models import Token

    browser, tokens = _signed_in_with_tokens(app, outbox, citizen, oidc_client)
    with app.app_context():  # a refresh token issued earlier, and a lock on the user name
        db.session.add(
            Token(
                client_id=oidc_client["client_id"],
                citizen_id=citizen["id"],
                access_token_hash="a" * 64,
                refresh_token_hash="r" * 64,
                expires_in=3600,
                refresh_expires_at=int(time.time()) + 86400,
            )
        )
        db.session.commit()
        for _ in range(10):  # LOCKOUT_THRESHOLD: the user name is under the lock
            lockout.register_failure(citizen["id_number"])
    assert len(_sessions(app, citizen["id"])) == 1

    resp = rec.identify(citizen["id_number"], "091 234 5678")
    assert resp.status_code == 302 and urlsplit(resp.location).path == "/recovery/otp"
    otp_page = rec.get(resp.location).get_data(as_text=True)
    assert "091****678" in otp_page and "Gửi lại OTP" in otp_page
    [sms] = outbox.messages()[-1:]
    assert sms["to"] == "+84912345678" and "lấy lại mật khẩu" in sms["text"]
    resp = rec.submit_otp(resp.location, outbox.last_otp("+84912345678"))
    assert resp.status_code == 302 and urlsplit(resp.location).path == "/recovery/password"
    password_url = resp.location

    resp = rec.submit_password(password_url, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert resp.status_code == 400 and "không khớp" in resp.get_data(as_text=True)
    resp = rec.submit_password(password_url, NEW_PASSWORD)
    assert resp.status_code == 302 and resp.location == "/recovery/done"
    assert "Đặt lại mật khẩu thành công" in rec.get("/recovery/done").get_data(as_text=True)

    assert _sessions(app, citizen["id"]) == []
    with app.app_context():
        rows = db.session.scalars(db.select(Token).filter_by(citizen_id=citizen["id"])).all()
        assert len(rows) == 2 and all(r.access_token_revoked_at for r in rows)
        assert all(r.refresh_token_revoked_at for r in rows if r.refresh_token_hash)
        assert not lockout.is_locked(citizen["id_number"])
        assert lockout.failures(citizen["id_number"]) == 0
        assert db.session.scalar(db.select(AuditEvent).filter_by(event="password.reset"))
    info = browser.http.get(
        "/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.status_code == 401

    again = Browser(app, outbox)
    url, _ = again.authorize_url(oidc_client["client_id"])
    old = again.submit_password(again.start_login(url), citizen["id_number"], CITIZEN["password"])
    assert old.status_code == 400
    resp = again.login(url, citizen["id_number"], NEW_PASSWORD, citizen["phone_e164"])
    assert resp.status_code == 302 and resp.location.startswith(REDIRECT_URI)


def _normalized(page: str) -> str:
    """The page without what differs between any two requests (tokens, ids, clocks)."""
    page = re.sub(r'name="csrf_token" value="[^"]+"', "", page)
    page = re.sub(r"flow=[\w-]+", "flow=", page)
    page = re.sub(r'data-(seconds|wait)="\d+"', "", page)
    page = re.sub(r"\d+ phút \d+ giây|\(sau \d+ giây\)", "", page)
    return page


@pytest.mark.parametrize(
    ("username", "phone"),
    [
        ("066090001234", "0987654321"),  # the account exists, the phone is not its own
        ("066195012345", "0912345678"),  # no such account (the phone is someone's)
        ("123456789", "0987654321"),  # no such account
    ],
)
def test_non_match_gets_the_same_answer_and_no_sms(app, citizen, outbox, rec, username, phone):
    resp = rec.identify(username, phone)
    assert resp.status_code == 302 and urlsplit(resp.location).path == "/recovery/otp"
    otp_url = resp.location
    page = rec.get(otp_url).get_data(as_text=True)
    masked = phone[:3] + "****" + phone[-3:]
    assert masked in page and "Mã có hiệu lực trong" in page
    assert outbox.messages() == []

    # Every code is wrong, with the messages a real wrong code gets; the cooldown holds.
    for left in (4, 3):
        resp = rec.submit_otp(otp_url, "123456")
        assert resp.status_code == 400
        assert f"Mã OTP không đúng. Bạn còn {left} lần thử." in resp.get_data(as_text=True)
    resp = rec.resend_otp(otp_url)
    assert resp.status_code == 429 and "trước khi yêu cầu gửi lại" in resp.get_data(as_text=True)
    assert outbox.messages() == []


def test_match_and_non_match_pages_are_identical(app, citizen, outbox):
    real, fake = RecoveryBrowser(app, outbox), RecoveryBrowser(app, outbox)
    real_resp = real.identify(citizen["id_number"], CITIZEN["phone"])
    fake_resp = fake.identify("066195012345", CITIZEN["phone"])
    assert urlsplit(real_resp.location).path == urlsplit(fake_resp.location).path
    real_page = real.get(real_resp.location).get_data(as_text=True)
    fake_page = fake.get(fake_resp.location).get_data(as_text=True)
    assert _normalized(real_page) == _normalized(fake_page)
    assert len(outbox.messages()) == 1  # only the real one was sent
    for browser, resp in ((real, real_resp), (fake, fake_resp)):
        wrong = browser.submit_otp(resp.location, "12345")  # not 6 digits: not a try
        assert "Mã OTP gồm đúng 6 chữ số" in wrong.get_data(as_text=True)


def test_non_match_never_accepts_a_code_even_after_resend(app, citizen, outbox, rec):
    from idp.services import services

    resp = rec.identify("066195012345", "0912345678")
    otp_url = resp.location
    flow_id = query_of(otp_url)["flow"]
    with app.app_context():
        services().store.delete(f"otp:{flow_id}:cooldown")
    resp = rec.resend_otp(otp_url)
    assert resp.status_code == 200 and "Mã OTP mới đã được gửi." in resp.get_data(as_text=True)
    assert outbox.messages() == []
    for _ in range(4):
        rec.submit_otp(otp_url, "654321")
    resp = rec.submit_otp(otp_url, "654321")
    assert "5 lần nên mã này đã bị hủy" in resp.get_data(as_text=True)
    assert rec.get(otp_url.replace("/recovery/otp", "/recovery/password")).location == otp_url


def test_a_locked_account_is_not_recovered(app, citizen, outbox, rec):
    from idp.citizens.models import Citizen
    from idp.extensions import db

    with app.app_context():
        db.session.get(Citizen, citizen["id"]).status = "locked"
        db.session.commit()
    resp = rec.identify(citizen["id_number"], CITIZEN["phone"])
    assert resp.status_code == 302
    assert outbox.messages() == []


def test_bad_input_is_reported_per_field(rec, outbox):
    resp = rec.identify("abc", "12")
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert 'id="username-error"' in page and "chỉ được chứa chữ số" in page
    assert 'id="phone-error"' in page and "Số điện thoại không hợp lệ" in page
    assert 'value="abc"' in page
    assert outbox.messages() == []


def test_password_step_cannot_be_skipped(app, citizen, rec):
    from idp.citizens.models import Citizen
    from idp.extensions import db

    resp = rec.identify(citizen["id_number"], CITIZEN["phone"])
    otp_url = resp.location
    page = rec.get(otp_url).get_data(as_text=True)
    password_url = otp_url.replace("/recovery/otp", "/recovery/password")
    resp = rec.post(
        password_url, page, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    )
    assert resp.status_code == 409
    assert "Bước này chưa thể thực hiện" in resp.get_data(as_text=True)
    with app.app_context():
        from idp.citizens.password_policy import verify_password

        assert verify_password(
            db.session.get(Citizen, citizen["id"]).password_hash, CITIZEN["password"]
        )
