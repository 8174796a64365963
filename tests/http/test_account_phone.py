"""Changing the phone number: the new number must be "chính chủ", and both numbers
confirm with their own OTP; with the old number lost, the request becomes a complaint."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.conftest import CITIZEN, create_other_citizen
from tests.http.registration_driver import import_registry
from tests.http.test_account_profile import AccountBrowser, signed_in_browser

NEW_PHONE = "0987 654 321"
NEW_E164 = "+84987654321"
REASON = "Tôi bị mất điện thoại cũ và đã khóa sim, không thể nhận tin nhắn ở số cũ nữa."


@pytest.fixture
def account(app, outbox, citizen) -> AccountBrowser:
    import_registry(app, (NEW_PHONE, CITIZEN["id_number"]), ("0977000111", "066195012345"))
    return signed_in_browser(app, outbox, citizen)


def phone_of(app, citizen_id: int) -> str:
    from idp.citizens.models import Citizen
    from idp.extensions import db

    with app.app_context():
        return db.session.get(Citizen, citizen_id).phone


def submit_new_phone(account: AccountBrowser, phone: str = NEW_PHONE):
    return account.submit("/account/phone", "/account/phone", {"phone": phone})


def enter_code(account: AccountBrowser, url: str, code: str):
    return account.submit(url, urlsplit(url).path + "?" + urlsplit(url).query, {"otp": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1000000:06d}"


def test_change_with_both_numbers_confirmed(account, app, outbox, citizen):
    sent_before = len(outbox.messages())
    resp = submit_new_phone(account)
    assert resp.status_code == 302 and urlsplit(resp.location).path == "/account/phone/old-otp"
    old_url = resp.location
    page = account.text(old_url)
    assert "Xác nhận số điện thoại cũ" in page and "091****678" in page
    assert "Gửi lại OTP" in page
    messages = outbox.messages()[sent_before:]
    assert [m["to"] for m in messages] == [citizen["phone_e164"]]
    assert "đổi số điện thoại" in messages[0]["text"]
    old_code = outbox.last_otp(citizen["phone_e164"])

    resp = enter_code(account, old_url, wrong(old_code))
    assert resp.status_code == 400 and "Mã OTP không đúng" in resp.get_data(as_text=True)
    resp = enter_code(account, old_url, old_code)
    assert resp.status_code == 302 and urlsplit(resp.location).path == "/account/phone/new-otp"
    new_url = resp.location
    page = account.text(new_url)
    assert "Xác nhận số điện thoại mới" in page and "098****321" in page
    new_code = outbox.last_otp(NEW_E164)

    resp = enter_code(account, new_url, old_code)  # the old number's code is not this one
    assert resp.status_code == 400 and "Mã OTP không đúng" in resp.get_data(as_text=True)
    assert phone_of(app, citizen["id"]) == citizen["phone_e164"]
    resp = enter_code(account, new_url, new_code)
    assert resp.status_code == 302 and resp.location == "/account"
    page = account.text("/account")
    assert "Đã đổi số điện thoại." in page and "098****321" in page
    assert phone_of(app, citizen["id"]) == NEW_E164
    resp = account.submit("/account", new_url, {"otp": new_code})  # the flow is over
    assert resp.status_code == 400 and 'data-code="flow.not_found"' in resp.get_data(as_text=True)

    # The next login's OTP goes to the new number.
    browser = AccountBrowser(app, outbox)
    resp = browser.sign_in({**citizen, "phone_e164": NEW_E164})
    assert resp.status_code == 302 and resp.location == "/account"


def test_wrong_code_on_the_old_number_five_times_ends_the_code(account, outbox, citizen):
    old_url = submit_new_phone(account).location
    code = outbox.last_otp(citizen["phone_e164"])
    for _ in range(4):
        assert enter_code(account, old_url, wrong(code)).status_code == 400
    resp = enter_code(account, old_url, wrong(code))
    assert "Bạn đã nhập sai mã OTP 5 lần" in resp.get_data(as_text=True)
    resp = enter_code(account, old_url, code)
    assert resp.status_code == 400 and 'data-code="otp_expired"' in resp.get_data(as_text=True)


def test_a_new_number_that_is_not_chinh_chu_is_refused_and_nothing_is_sent(
    account, app, outbox, citizen
):
    sent_before = len(outbox.messages())
    resp = submit_new_phone(account, "0977000111")  # registered to someone else
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "chưa được đăng ký chính chủ" in page and 'value="0977000111"' in page
    resp = submit_new_phone(account, "0966 111 222")  # not in the registry at all
    assert resp.status_code == 400 and 'data-code="subscriber.mismatch"' in resp.get_data(
        as_text=True
    )
    assert len(outbox.messages()) == sent_before
    assert phone_of(app, citizen["id"]) == citizen["phone_e164"]


@pytest.mark.parametrize(
    "typed, code",
    [
        ("0912 345 678", "phone_change.unchanged"),
        ("0241234567", "phone.landline"),
        ("12345", "phone.invalid"),
        ("", "phone.required"),
    ],
)
def test_bad_new_numbers_are_refused_with_their_message(account, outbox, typed, code):
    sent_before = len(outbox.messages())
    resp = submit_new_phone(account, typed)
    assert resp.status_code == 400
    assert f'data-code="{code}"' in resp.get_data(as_text=True)
    assert len(outbox.messages()) == sent_before


def test_resend_keeps_to_the_cooldown_and_the_step_order_is_enforced(account, outbox, citizen):
    old_url = submit_new_phone(account).location
    resend = urlsplit(old_url).path + "/resend?" + urlsplit(old_url).query
    resp = account.submit(old_url, resend, {})
    assert resp.status_code == 303 and resp.location == old_url  # POST/redirect/GET
    resp = account.get(old_url)
    assert resp.status_code == 429 and "Vui lòng chờ" in resp.get_data(as_text=True)
    new_url = old_url.replace("/old-otp", "/new-otp")
    assert account.get(new_url).status_code == 409  # not at that step yet
    resp = enter_code(account, old_url, outbox.last_otp(citizen["phone_e164"]))
    assert resp.location == new_url
    assert account.get(old_url).status_code == 409


def test_the_flow_belongs_to_its_browser_and_citizen(account, app, outbox, citizen):
    old_url = submit_new_phone(account).location
    stranger = signed_in_browser(app, outbox, citizen)  # same citizen, another browser
    assert stranger.get(old_url).status_code == 400


def test_subscriber_check_down_answers_503_and_sends_nothing(app_factory, outbox, citizen):
    app = app_factory(
        SUBSCRIBER_CHECK="http",
        SUBSCRIBER_HTTP_URL="http://127.0.0.1:9/check",
        SUBSCRIBER_HTTP_TOKEN="t",
        SUBSCRIBER_HTTP_TIMEOUT=1,
    )
    account = signed_in_browser(app, outbox, citizen)
    sent_before = len(outbox.messages())
    resp = submit_new_phone(account)
    assert resp.status_code == 503
    assert 'data-code="subscriber.unavailable"' in resp.get_data(as_text=True)
    assert len(outbox.messages()) == sent_before


def test_lost_old_number_files_a_phone_change_complaint(account, app, outbox, citizen):
    from idp.complaints.models import Complaint
    from idp.extensions import db

    sent_before = len(outbox.messages())
    assert "Tôi không còn dùng số điện thoại cũ" in account.text("/account/phone")
    resp = account.submit(
        "/account/phone/lost", "/account/phone/lost", {"phone": NEW_PHONE, "description": REASON}
    )
    assert resp.status_code == 302 and urlsplit(resp.location).path == "/account/phone/new-otp"
    assert [m["to"] for m in outbox.messages()[sent_before:]] == [NEW_E164]
    code = outbox.last_otp(NEW_E164)
    assert enter_code(account, resp.location, wrong(code)).status_code == 400
    resp = enter_code(account, resp.location, code)
    assert resp.status_code == 303 and resp.location == "/account/phone/request-filed"
    page = account.text(resp.location)
    assert "Đã gửi yêu cầu đổi số điện thoại" in page
    with app.app_context():
        complaint = db.session.scalar(db.select(Complaint))
        assert complaint.kind == "phone_change" and complaint.status == "open"
        assert complaint.citizen_id == citizen["id"]
        assert complaint.phone == NEW_E164 and complaint.description == REASON
        assert complaint.id_number == citizen["id_number"]
        assert complaint.reference in page
    assert phone_of(app, citizen["id"]) == citizen["phone_e164"]  # nothing changed yet


@pytest.mark.parametrize(
    "phone, description, code",
    [
        (NEW_PHONE, "quá ngắn", "description.too_short"),
        (NEW_PHONE, "", "description.required"),
        ("0977000111", REASON, "subscriber.mismatch"),
    ],
)
def test_lost_old_number_request_with_bad_input_is_refused(
    account, app, outbox, phone, description, code
):
    from idp.complaints.models import Complaint
    from idp.extensions import db

    sent_before = len(outbox.messages())
    resp = account.submit(
        "/account/phone/lost",
        "/account/phone/lost",
        {"phone": phone, "description": description},
    )
    assert resp.status_code == 400
    assert f'data-code="{code}"' in resp.get_data(as_text=True)
    assert len(outbox.messages()) == sent_before
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Complaint.id))) == 0


TAKEN = "Số điện thoại này đang được dùng cho một tài khoản khác trên Cổng Dịch vụ công Quốc gia."


def another_account_with(app, phone: str) -> int:
    """A second citizen (another identity number) whose account has ``phone``."""
    return create_other_citizen(app, phone=phone)["id"]


@pytest.mark.parametrize(
    "path, fields",
    [("/account/phone", {}), ("/account/phone/lost", {"description": REASON})],
)
def test_a_new_number_of_another_account_is_refused_and_nothing_is_sent(
    account, app, outbox, citizen, path, fields
):
    from idp.audit import AuditEvent
    from idp.complaints.models import Complaint
    from idp.extensions import db

    other_id = another_account_with(app, NEW_PHONE)  # "chính chủ" for our citizen, though
    sent_before = len(outbox.messages())
    resp = account.submit(path, path, {"phone": NEW_PHONE, **fields})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert 'data-code="phone_change.taken"' in page and TAKEN in page
    assert len(outbox.messages()) == sent_before
    assert phone_of(app, citizen["id"]) == citizen["phone_e164"]
    assert phone_of(app, other_id) == NEW_E164
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent.event).filter_by(citizen_id=citizen["id"]))
        assert "phone_change.phone_taken" in list(events)
        assert db.session.scalar(db.select(db.func.count(Complaint.id))) == 0


def test_a_number_taken_during_the_change_is_refused_at_the_last_step(
    account, app, outbox, citizen
):
    old_url = submit_new_phone(account).location
    resp = enter_code(account, old_url, outbox.last_otp(citizen["phone_e164"]))
    new_url = resp.location
    other_id = another_account_with(app, NEW_PHONE)  # meanwhile
    resp = enter_code(account, new_url, outbox.last_otp(NEW_E164))
    assert resp.status_code == 400
    assert 'data-code="phone_change.taken"' in resp.get_data(as_text=True)
    assert phone_of(app, citizen["id"]) == citizen["phone_e164"]
    assert phone_of(app, other_id) == NEW_E164


def test_each_confirmed_code_is_audited_without_the_code(account, app, outbox, citizen):
    from idp.audit import AuditEvent
    from idp.extensions import db

    old_url = submit_new_phone(account).location
    old_code = outbox.last_otp(citizen["phone_e164"])
    new_url = enter_code(account, old_url, old_code).location
    new_code = outbox.last_otp(NEW_E164)
    assert enter_code(account, new_url, new_code).location == "/account"
    with app.app_context():
        rows = db.session.scalars(
            db.select(AuditEvent).filter_by(event="otp.verified").order_by(AuditEvent.id)
        ).all()
    assert [(r.citizen_id, r.details) for r in rows] == [
        (citizen["id"], {"purpose": "login"}),  # the account page's sign-in
        (citizen["id"], {"purpose": "change_phone", "to": "old"}),
        (citizen["id"], {"purpose": "change_phone", "to": "new"}),
    ]
