"""Phone-change requests (complaints of kind ``phone_change``, filed when the old number is
lost): operators see the kind, and ``change-phone`` applies the requested number in the
console and with ``idp complaints resolve`` — only if it is still "chính chủ" and not
another account's number; the citizen's sessions then end with back-channel logout."""

from __future__ import annotations

import json

from tests.conftest import CITIZEN, create_other_citizen
from tests.http.registration_driver import import_registry
from tests.http.test_account_phone import NEW_E164, NEW_PHONE, REASON, enter_code
from tests.http.test_account_profile import AccountBrowser, signed_in_browser
from tests.http.test_complaint import cli
from tests.http.test_console import audit_rows
from tests.http.test_console_actions import file_complaint
from tests.http.test_sign_out import agency, assert_dead, assert_told, receiver, signed_in_at

__all__ = ["agency", "receiver"]  # fixtures, imported for this module's tests


def request_new_number(app, outbox, citizen) -> str:
    """The citizen files the request from the account page; returns its reference."""
    from idp.complaints.models import Complaint
    from idp.extensions import db

    account = signed_in_browser(app, outbox, citizen)
    resp = account.submit(
        "/account/phone/lost", "/account/phone/lost", {"phone": NEW_PHONE, "description": REASON}
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[-500:]
    filed = enter_code(account, resp.location, outbox.last_otp(NEW_E164))
    assert filed.status_code == 303 and filed.location == "/account/phone/request-filed"
    with app.app_context():
        return db.session.scalar(db.select(Complaint.reference).filter_by(kind="phone_change"))


def file_request(app, citizen, phone: str = NEW_E164) -> str:
    """A phone-change request as the account page files it (without its checks)."""
    from idp.complaints.filing import ComplaintForm, file_complaint
    from idp.complaints.models import PHONE_CHANGE

    form = ComplaintForm(CITIZEN["id_number"], CITIZEN["full_name"], phone, None, REASON)
    with app.app_context():
        return file_complaint(form, [], kind=PHONE_CHANGE).reference


def phone_of(app, citizen_id: int) -> str:
    from idp.citizens.models import Citizen
    from idp.extensions import db

    with app.app_context():
        return db.session.get(Citizen, citizen_id).phone


def status_of(app, reference: str) -> str:
    from idp.complaints.listing import find_complaint

    with app.app_context():
        return find_complaint(reference).status


def test_console_shows_the_kind_and_applies_a_phone_change(
    app, outbox, citizen, agency, receiver, console
):
    from idp.login_session import sessions_of

    import_registry(app, (NEW_PHONE, CITIZEN["id_number"]))
    browser, tokens = signed_in_at(app, outbox, citizen, agency)
    ownership = file_complaint(app, "066090009999")
    reference = request_new_number(app, outbox, citizen)
    receiver.tokens.clear()

    listing = console.page("/console/complaints")
    assert "Đổi số điện thoại (mất số cũ)" in listing and "Tranh chấp tài khoản" in listing
    page = console.page(f"/console/complaints/{reference}")
    assert 'id="complaint-kind">Đổi số điện thoại (mất số cũ)<' in page
    assert 'value="change-phone"' in page and 'value="lock-account"' not in page
    assert NEW_E164 in page
    other = console.page(f"/console/complaints/{ownership}")
    assert 'value="lock-account"' in other and 'value="change-phone"' not in other

    wrong_kind = console.post(
        f"/console/complaints/{ownership}/resolve", action="change-phone", note="Nhầm."
    )
    assert wrong_kind.status_code == 400
    assert "không phải yêu cầu đổi số điện thoại" in wrong_kind.get_data(as_text=True)
    assert status_of(app, ownership) == "open"

    done = console.post(
        f"/console/complaints/{reference}/resolve",
        action="change-phone",
        note="Đã gọi xác minh với công dân.",
    )
    assert done.status_code == 302
    page = console.page(done.location)
    assert 'id="complaint-status">Đã đổi số điện thoại<' in page
    assert "Đổi số điện thoại theo yêu cầu" in page
    assert phone_of(app, citizen["id"]) == NEW_E164

    # Every session of the citizen ended, its agency was told, its tokens stopped working.
    with app.test_request_context():
        assert sessions_of(citizen["id"]) == []
    assert_told(receiver, agency, {tokens["sid"]})
    assert_dead(browser.http, agency, tokens)
    [changed] = audit_rows(app, event="phone.changed", actor="operator:van.hanh")
    assert changed.citizen_id == citizen["id"] and changed.details["reference"] == reference
    assert changed.details["new"] == "098****321"

    # The next login's code goes to the new number.
    again = AccountBrowser(app, outbox)
    resp = again.sign_in({**citizen, "phone_e164": NEW_E164})
    assert resp.status_code == 302 and resp.location == "/account"


def test_cli_shows_the_kind_and_changes_the_phone(app, outbox, citizen, monkeypatch):
    import_registry(app, (NEW_PHONE, CITIZEN["id_number"]))
    reference = file_request(app, citizen)

    result = cli(app, monkeypatch, "complaints", "list")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["kind"] == "phone_change"
    shown = json.loads(cli(app, monkeypatch, "complaints", "show", reference).stdout)
    assert shown["kind"] == "phone_change" and shown["phone"] == NEW_E164

    result = cli(
        app, monkeypatch, "complaints", "resolve", reference,
        "--action", "lock-account", "--note", "x",
    )  # fmt: skip
    assert result.exit_code == 1 and "không thể khóa tài khoản" in result.output
    result = cli(
        app, monkeypatch, "complaints", "resolve", reference,
        "--action", "change-phone", "--note", "Đã xác minh", "--operator", "tran.b",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    resolved = json.loads(result.output)
    assert resolved["status"] == "phone_changed" and resolved["resolved_by"] == "cli:tran.b"
    assert phone_of(app, citizen["id"]) == NEW_E164
    assert audit_rows(app, event="phone.changed", actor="cli:tran.b")
    result = cli(app, monkeypatch, "complaints", "list", "--status", "phone_changed")
    assert [json.loads(line)["reference"] for line in result.output.splitlines()] == [reference]


def test_a_number_no_longer_chinh_chu_is_not_applied(app, citizen, monkeypatch):
    reference = file_request(app, citizen)  # the registry does not list it for this citizen
    result = cli(
        app, monkeypatch, "complaints", "resolve", reference,
        "--action", "change-phone", "--note", "x",
    )  # fmt: skip
    assert result.exit_code == 1 and "không đăng ký chính chủ" in result.output
    assert phone_of(app, citizen["id"]) == citizen["phone_e164"]
    assert status_of(app, reference) == "open"


def test_a_number_of_another_account_is_not_applied(app, citizen, monkeypatch):
    import_registry(app, (NEW_PHONE, CITIZEN["id_number"]))
    create_other_citizen(app, phone=NEW_PHONE)
    reference = file_request(app, citizen)
    result = cli(
        app, monkeypatch, "complaints", "resolve", reference,
        "--action", "change-phone", "--note", "x",
    )  # fmt: skip
    assert result.exit_code == 1 and "tài khoản khác" in result.output
    assert phone_of(app, citizen["id"]) == citizen["phone_e164"]
    assert status_of(app, reference) == "open"
