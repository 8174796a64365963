"""Registration by mobile subscriber (guide part 1, steps 3-6) through the real forms
(``tests.http.registration_driver``)."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest

from tests.conftest import CITIZEN, query_of
from tests.http.registration_driver import (
    ACCOUNT_EXISTS_TEXT,
    NEWCOMER,
    NEWCOMER_E164,
    PASSWORD,
    RegistrationBrowser,
    citizens_with,
    import_registry,
)


@pytest.fixture
def newcomer_registered(app):
    import_registry(app, (NEWCOMER["phone"], NEWCOMER["id_number"]))


@pytest.fixture
def reg(app, outbox, newcomer_registered):
    return RegistrationBrowser(app, outbox)


def test_happy_path_creates_the_account_and_signs_in(app, reg, outbox):
    choose_url = reg.start()
    page = reg.get(choose_url).get_data(as_text=True)
    assert "Công dân" in page and "Thuê bao di động" in page
    assert "Tổ chức" not in page  # only the choices that work
    details_url = reg.choose(choose_url)
    page = reg.get(details_url).get_data(as_text=True)
    for name in ("id_number", "full_name", "date_of_birth", "gender", "phone", "email"):
        assert f'name="{name}"' in page
    assert 'type="date"' in page
    for name in ("id_number", "full_name", "date_of_birth", "phone"):  # a red * each
        assert re.search(f'<label for="{name}">[^<]+<span class="req">\\*</span></label>', page)
    assert re.search('<legend>Giới tính <span class="req">\\*</span></legend>', page)
    assert '<label for="email">Thư điện tử</label>' in page  # optional: no *
    assert "Nam" in page and "Nữ" in page

    resp = reg.submit_details(details_url, NEWCOMER)
    assert resp.status_code == 302 and urlsplit(resp.location).path == "/register/otp"
    otp_page = reg.get(resp.location).get_data(as_text=True)
    assert "098****321" in otp_page and "Xác nhận" in otp_page and "Gửi lại OTP" in otp_page
    [sms] = outbox.messages()
    assert sms["to"] == NEWCOMER_E164 and "đăng ký tài khoản" in sms["text"]

    resp = reg.submit_otp(resp.location, outbox.last_otp(NEWCOMER_E164))
    assert resp.status_code == 302 and urlsplit(resp.location).path == "/register/password"
    page = reg.get(resp.location).get_data(as_text=True)
    assert 'name="password"' in page and 'name="password_confirm"' in page
    assert ">Đăng ký</button>" in page

    resp = reg.submit_password(resp.location, PASSWORD)
    assert resp.status_code == 302 and resp.location == "/register/done"
    done = reg.get("/register/done").get_data(as_text=True)
    assert "Đăng ký thành công" in done and "Trần Thị Bình" in done

    [citizen] = citizens_with(app, NEWCOMER["id_number"])
    assert citizen.phone == NEWCOMER_E164 and citizen.gender == "female"
    assert citizen.password_hash.startswith("$argon2id$")
    assert citizen.email is None

    from idp.audit import AuditEvent
    from idp.extensions import db

    with app.app_context():
        events = set(db.session.scalars(db.select(AuditEvent.event)))
    assert {"citizen.created", "login.success", "otp.sent", "subscribers.imported"} <= events


def test_registering_with_a_cmnd_number(app, outbox):
    person = {**NEWCOMER, "id_number": "123456789"}
    import_registry(app, (person["phone"], person["id_number"]))
    resp = RegistrationBrowser(app, outbox).register(person, NEWCOMER_E164)
    assert resp.location == "/register/done"
    assert len(citizens_with(app, "123456789")) == 1


def test_every_field_error_shows_at_once_and_keeps_what_was_typed(app, reg, outbox):
    details_url = reg.choose(reg.start())
    typed = {
        "id_number": "06619501234",
        "full_name": "Bình 2",
        "date_of_birth": "2030-01-01",
        "gender": "",
        "phone": "0241234567",
        "email": "not-an-email",
    }
    resp = reg.submit_details(details_url, typed)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    for name in typed:
        assert f'id="{name}-error"' in page, name
    assert "Số CMND/CCCD không đúng độ dài" in page
    assert "không được chứa chữ số" in page
    assert "Ngày sinh không được sau ngày hôm nay." in page
    assert "Vui lòng chọn giới tính Nam hoặc Nữ." in page
    assert "Không chấp nhận số điện thoại cố định" in page
    assert "Địa chỉ thư điện tử không hợp lệ" in page
    assert 'value="Bình 2"' in page and 'value="06619501234"' in page
    assert 'value="not-an-email"' in page
    assert outbox.messages() == []


def test_cccd_must_agree_with_gender_and_year_of_birth(reg, outbox):
    details_url = reg.choose(reg.start())
    resp = reg.submit_details(details_url, {**NEWCOMER, "gender": "male"})
    assert resp.status_code == 400
    assert "không khớp với giới tính" in resp.get_data(as_text=True)
    resp = reg.submit_details(details_url, {**NEWCOMER, "date_of_birth": "1994-03-08"})
    assert "không khớp với năm sinh" in resp.get_data(as_text=True)
    assert outbox.messages() == []


def test_existing_account_is_reported_with_links_and_nothing_sent(app, citizen, outbox):
    import_registry(app, (CITIZEN["phone"], CITIZEN["id_number"]))
    reg = RegistrationBrowser(app, outbox)
    details_url = reg.choose(reg.start())
    resp = reg.submit_details(details_url, {**CITIZEN, "email": ""})
    # A page of its own (POST/redirect/GET): Back and reload never resubmit the form.
    assert resp.status_code == 303
    assert resp.location == details_url.replace("/register/details", "/register/exists")
    page = reg.get(resp.location).get_data(as_text=True)
    assert ACCOUNT_EXISTS_TEXT in page
    assert 'href="/recovery"' in page and ">Quên mật khẩu</a>" in page
    assert "/complaints/new?registration=" in page and ">khiếu nại</a>" in page
    assert outbox.messages() == []
    assert len(citizens_with(app, CITIZEN["id_number"])) == 1


def test_phone_not_registered_to_the_identity_number_is_refused(app, outbox):
    import_registry(app, (NEWCOMER["phone"], "066090001234"), ("0912345678", "066195012345"))
    reg = RegistrationBrowser(app, outbox)
    details_url = reg.choose(reg.start())
    for phone in ("0987654321", "0977000111"):  # registered to someone else / not at all
        resp = reg.submit_details(details_url, {**NEWCOMER, "phone": phone})
        assert resp.status_code == 400
        page = resp.get_data(as_text=True)
        assert 'id="phone-error"' in page and "chưa được đăng ký chính chủ" in page
        assert f'value="{phone}"' in page
    assert outbox.messages() == []
    assert citizens_with(app, NEWCOMER["id_number"]) == []


def test_wrong_then_expired_otp_then_resend(app, reg, outbox):
    from idp.services import services

    otp_url = reg.up_to_otp(NEWCOMER)
    first = outbox.last_otp(NEWCOMER_E164)
    wrong = "000000" if first != "000000" else "111111"
    resp = reg.submit_otp(otp_url, wrong)
    assert resp.status_code == 400
    assert "Mã OTP không đúng. Bạn còn 4 lần thử." in resp.get_data(as_text=True)

    resp = reg.resend_otp(otp_url)  # within the 60-second cooldown
    assert resp.status_code == 429 and "trước khi yêu cầu gửi lại" in resp.get_data(as_text=True)
    assert len(outbox.messages()) == 1

    flow_id = query_of(otp_url)["flow"]
    with app.app_context():  # the code's five minutes and the cooldown have passed
        services().store.delete(f"otp:{flow_id}", f"otp:{flow_id}:cooldown")
    resp = reg.submit_otp(otp_url, first)
    assert resp.status_code == 400 and "đã hết hạn" in resp.get_data(as_text=True)

    resp = reg.resend_otp(otp_url)
    assert resp.status_code == 200 and "Mã OTP mới đã được gửi." in resp.get_data(as_text=True)
    assert len(outbox.messages()) == 2
    resp = reg.submit_otp(otp_url, outbox.last_otp(NEWCOMER_E164))
    assert resp.status_code == 302 and urlsplit(resp.location).path == "/register/password"


def test_too_many_wrong_otps_kill_the_code(reg, outbox):
    otp_url = reg.up_to_otp(NEWCOMER)
    right = outbox.last_otp(NEWCOMER_E164)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(4):
        assert reg.submit_otp(otp_url, wrong).status_code == 400
    last = reg.submit_otp(otp_url, wrong).get_data(as_text=True)
    assert "5 lần nên mã này đã bị hủy" in last
    assert reg.submit_otp(otp_url, right).status_code == 400


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("binhtran2026", "binhtran2027", "Mật khẩu nhập lại không khớp"),
        ("short1", "short1", "ít nhất 8 ký tự"),
        ("chiconchu", "chiconchu", "ít nhất một chữ số"),
        ("066195012345", "066195012345", "không được trùng với số CMND/CCCD"),
        ("0987654321", "0987654321", "không được trùng với số điện thoại"),
    ],
)
def test_password_rules_keep_the_flow_at_step_6(app, reg, password, confirm, message):
    password_url = reg.up_to_password(NEWCOMER, NEWCOMER_E164)
    resp = reg.submit_password(password_url, password, confirm)
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    assert citizens_with(app, NEWCOMER["id_number"]) == []
    resp = reg.submit_password(password_url, PASSWORD)
    assert resp.status_code == 302 and resp.location == "/register/done"


def test_skipped_step_changes_nothing_and_says_so(app, reg):
    otp_url = reg.up_to_otp(NEWCOMER)
    password_url = otp_url.replace("/register/otp", "/register/password")
    page = reg.get(otp_url).get_data(as_text=True)
    resp = reg.post(password_url, page, {"password": PASSWORD, "password_confirm": PASSWORD})
    assert resp.status_code == 409
    body = resp.get_data(as_text=True)
    assert "Bước này chưa thể thực hiện" in body and otp_url in html.unescape(body)
    assert citizens_with(app, NEWCOMER["id_number"]) == []
    # Back and refresh: a GET of any step shows the step the flow is at.
    for url in (password_url, otp_url.replace("/register/otp", "/register/details")):
        resp = reg.get(url)
        assert resp.status_code == 302 and resp.location == otp_url


def test_expired_flow_asks_to_start_again(app, reg):
    from idp.services import services

    otp_url = reg.up_to_otp(NEWCOMER)
    page = reg.get(otp_url).get_data(as_text=True)
    flow_id = query_of(otp_url)["flow"]
    key = f"flow:registration:{flow_id}"
    with app.app_context():
        assert 1700 < services().store.ttl(key) <= 1800  # FLOW_SECONDS: 30 minutes
        services().store.delete(key)  # what the TTL does after 30 minutes
    resp = reg.get(otp_url)
    assert resp.status_code == 400 and "Phiên thao tác đã hết hạn" in resp.get_data(as_text=True)
    resp = reg.post(otp_url, page, {"otp": "123456"})
    assert resp.status_code == 400
    assert citizens_with(app, NEWCOMER["id_number"]) == []


def test_flow_belongs_to_the_browser_that_started_it(app, reg, outbox):
    otp_url = reg.up_to_otp(NEWCOMER)
    stranger = RegistrationBrowser(app, outbox)
    assert stranger.get(otp_url).status_code == 400


def test_post_without_csrf_token_is_refused(reg):
    details_url = reg.choose(reg.start())
    resp = reg.http.post(details_url, data=NEWCOMER)
    assert resp.status_code == 400


def test_double_submit_of_step_6_creates_one_account(app, reg):
    password_url = reg.up_to_password(NEWCOMER, NEWCOMER_E164)
    page = reg.get(password_url).get_data(as_text=True)
    data = {"password": PASSWORD, "password_confirm": PASSWORD}
    first = reg.post(password_url, page, data)
    second = reg.post(password_url, page, data)
    assert first.status_code == 302
    assert second.status_code == 400  # the flow is gone: nothing more happens
    assert len(citizens_with(app, NEWCOMER["id_number"])) == 1


def test_development_check_off_registers_without_the_registry(app_factory, outbox, caplog):
    with caplog.at_level("WARNING", logger="idp.subscribers"):
        app = app_factory(SUBSCRIBER_CHECK="off")
    assert any("SUBSCRIBER_CHECK=off" in r.getMessage() for r in caplog.records)
    reg = RegistrationBrowser(app, outbox)
    choose_page = reg.get(reg.start()).get_data(as_text=True)
    assert "kiểm tra thuê bao chính chủ đang TẮT" in choose_page
    resp = reg.register(NEWCOMER, NEWCOMER_E164)
    assert resp.location == "/register/done"
