"""Ownership complaints ("khiếu nại"): the form with evidence files, and operators'
``idp complaints list|show|resolve`` (click's CliRunner), including lock-account letting
the complainant register the freed number."""

from __future__ import annotations

import hashlib
import io
import json
import re

import pytest
from click.testing import CliRunner

import idp.cli
from tests.conftest import CITIZEN, REDIRECT_URI, csrf_of
from tests.http.driver import Browser
from tests.http.registration_driver import (
    ACCOUNT_EXISTS_TEXT,
    RegistrationBrowser,
    citizens_with,
    form_actions,
    import_registry,
)
from tests.http.test_code_flow import redeem

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(64))
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
COMPLAINANT = {
    "id_number": CITIZEN["id_number"],
    "full_name": "Nguyễn Văn An",
    "phone": "0977 000 111",
    "email": "an.nguyen@example.vn",
    "description": "Tôi chưa từng đăng ký tài khoản nhưng số CCCD của tôi đã có tài khoản.",
}
REFERENCE = re.compile(r"KN-\d{4}-\d{6}")


def submit(http, fields: dict, files: list[tuple[str, bytes]] = (), csrf: bool = True):
    page = http.get("/complaints/new").get_data(as_text=True)
    data = {**fields, "evidence": [(io.BytesIO(content), name) for name, content in files]}
    if csrf:
        data["csrf_token"] = csrf_of(page)
    return http.post(form_actions(page)[0], data=data, content_type="multipart/form-data")


def complaints_in(app) -> list:
    from idp.complaints.models import Complaint
    from idp.extensions import db

    with app.app_context():
        return list(db.session.scalars(db.select(Complaint)))


def cli(app, monkeypatch, *args: str):
    """``idp <args>`` against this test's app (its database and its store), run by an
    operator whose locale is Vietnamese."""
    monkeypatch.setattr(idp.cli, "_app", lambda: app)
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    return CliRunner().invoke(idp.cli.main, list(args))


def test_form_has_the_fields_and_limits(app):
    page = app.test_client().get("/complaints/new").get_data(as_text=True)
    for name in ("id_number", "full_name", "phone", "email", "description", "evidence"):
        assert f'id="{name}" name="{name}"' in page
    assert 'enctype="multipart/form-data"' in page
    assert (
        "Tối đa 3 tệp JPEG, PNG hoặc PDF, mỗi tệp không quá 5 MB, tổng cộng không quá 10 MB."
        in page
    )


def test_complaint_with_evidence_is_filed_with_a_reference(app, citizen):
    http = app.test_client()
    files = [("cccd-mat-truoc.png", PNG), ("Giấy xác nhận.PDF", PDF), ("anh.jpeg", JPEG)]
    resp = submit(http, COMPLAINANT, files)
    assert resp.status_code == 302 and resp.location == "/complaints/filed"
    page = http.get("/complaints/filed").get_data(as_text=True)
    reference = REFERENCE.search(page).group(0)
    assert "Khiếu nại của bạn đã được tiếp nhận." in page

    [complaint] = complaints_in(app)
    from idp.extensions import db

    with app.app_context():
        complaint = db.session.merge(complaint)
        assert complaint.reference == reference and complaint.status == "open"
        assert complaint.phone == "+84977000111" and complaint.citizen_id == citizen["id"]
        stored = [
            (e.filename, e.content_type, e.size, e.sha256, e.data) for e in complaint.evidence
        ]
    assert stored == [
        (name, kind, len(data), hashlib.sha256(data).hexdigest(), data)
        for (name, data), kind in zip(
            files, ["image/png", "application/pdf", "image/jpeg"], strict=True
        )
    ]


def test_references_are_unique(app):
    http = app.test_client()
    for _ in range(3):
        assert submit(http, COMPLAINANT).status_code == 302
    references = [c.reference for c in complaints_in(app)]
    assert len(set(references)) == 3 and all(REFERENCE.fullmatch(r) for r in references)


def test_too_large_file_is_refused_and_nothing_stored(app):
    big = PNG + b"\x00" * (5 * 1024 * 1024 + 1 - len(PNG))
    resp = submit(app.test_client(), COMPLAINANT, [("anh-lon.png", big)])
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert 'id="evidence-error"' in page
    assert "Tệp “anh-lon.png” vượt quá dung lượng cho phép (5 MB mỗi tệp)." in page
    assert 'value="Nguyễn Văn An"' in page and COMPLAINANT["description"] in page
    assert complaints_in(app) == []


def test_a_file_of_exactly_the_limit_is_accepted(app_factory):
    app = app_factory(COMPLAINT_MAX_FILE_BYTES=4096)
    resp = submit(app.test_client(), COMPLAINANT, [("a.png", PNG + b"\x00" * (4096 - len(PNG)))])
    assert resp.status_code == 302


def test_body_over_the_whole_limit_gets_413(app_factory):
    app = app_factory(COMPLAINT_MAX_FILE_BYTES=1000)  # whole body limit: 3 × 1000 B + 1 MiB
    resp = submit(app.test_client(), COMPLAINANT, [("a.png", PNG + b"\x00" * 2 * 1024 * 1024)])
    assert resp.status_code == 413
    assert "Dữ liệu gửi lên quá lớn." in resp.get_data(as_text=True)
    assert complaints_in(app) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("anh.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(64)),  # a Windows program
        ("giay.png", PDF),  # a PDF named as a PNG
        ("scan.pdf.exe", PDF),  # a PDF named as a program
        ("ghi-chu.txt", b"Xin chao"),
        ("anh.png", b"\x89PNG-not-really"),
        ("rong.pdf", b""),
    ],
)
def test_wrong_file_type_is_refused(app, name, content):
    resp = submit(app.test_client(), COMPLAINANT, [(name, content)])
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert 'id="evidence-error"' in page and f"Tệp “{name}”" in page
    assert complaints_in(app) == []


def test_too_many_files(app):
    resp = submit(app.test_client(), COMPLAINANT, [(f"{n}.png", PNG) for n in range(4)])
    assert resp.status_code == 400
    assert "Chỉ được đính kèm tối đa 3 tệp minh chứng." in resp.get_data(as_text=True)
    assert complaints_in(app) == []


def test_every_field_error_shows_at_once(app):
    typed = {
        "id_number": "12345",
        "full_name": "",
        "phone": "abc",
        "email": "x@",
        "description": "ngắn",
    }
    resp = submit(app.test_client(), typed)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    for name in typed:
        assert f'id="{name}-error"' in page, name
    assert "cần ít nhất 20 ký tự" in page and 'value="12345"' in page
    assert complaints_in(app) == []


def test_post_without_csrf_token_is_refused(app):
    resp = submit(app.test_client(), COMPLAINANT, [("a.png", PNG)], csrf=False)
    assert resp.status_code == 400
    assert complaints_in(app) == []


def test_existing_account_page_links_to_a_prefilled_form(app, citizen, outbox):
    import_registry(app, (COMPLAINANT["phone"], CITIZEN["id_number"]))
    reg = RegistrationBrowser(app, outbox)
    details = {**CITIZEN, "phone": COMPLAINANT["phone"], "email": ""}
    resp = reg.submit_details(reg.choose(reg.start()), details)
    assert resp.status_code == 303  # to the "already has an account" page
    page = reg.get(resp.location).get_data(as_text=True)
    link = re.search(r'href="(/complaints/new\?registration=[^"]+)"', page).group(1)
    form = reg.get(link).get_data(as_text=True)
    assert f'value="{CITIZEN["id_number"]}"' in form and 'value="0977000111"' in form
    assert 'value="Nguyễn Văn An"' in form


def test_cli_list_show_and_reject(app, citizen, monkeypatch, tmp_path):
    http = app.test_client()
    submit(http, COMPLAINANT, [("cccd.png", PNG), ("don.pdf", PDF)])
    submit(http, {**COMPLAINANT, "id_number": "123456789"})
    first, second = sorted(c.reference for c in complaints_in(app))

    result = cli(app, monkeypatch, "complaints", "list")
    assert result.exit_code == 0, result.output
    listed = [json.loads(line) for line in result.output.splitlines()]
    assert [c["reference"] for c in listed] == [second, first]  # newest first
    assert listed[1]["evidence_files"] == 2 and listed[1]["status"] == "open"

    result = cli(
        app, monkeypatch, "complaints", "show", first.lower(), "--save-evidence", str(tmp_path)
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["reference"] == first and shown["disputed_citizen_id"] == citizen["id"]
    assert shown["description"] == COMPLAINANT["description"]
    assert [e["content_type"] for e in shown["evidence"]] == ["image/png", "application/pdf"]
    assert (tmp_path / f"{first}-1.png").read_bytes() == PNG
    assert (tmp_path / f"{first}-2.pdf").read_bytes() == PDF

    result = cli(
        app,
        monkeypatch,
        "complaints",
        "resolve",
        second,
        "--action",
        "reject",
        "--note",
        "Không đủ căn cứ",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "rejected"
    result = cli(app, monkeypatch, "complaints", "list", "--status", "open")
    assert [json.loads(line)["reference"] for line in result.output.splitlines()] == [first]
    result = cli(app, monkeypatch, "complaints", "list", "--status", "rejected")
    assert [json.loads(line)["reference"] for line in result.output.splitlines()] == [second]

    result = cli(
        app, monkeypatch, "complaints", "resolve", second, "--action", "reject", "--note", "x"
    )
    assert result.exit_code == 1 and "đã được xử lý trước đó" in result.output
    result = cli(app, monkeypatch, "complaints", "show", "KN-1999-999999")
    assert result.exit_code == 1 and "Không tìm thấy khiếu nại" in result.output
    result = cli(
        app, monkeypatch, "complaints", "resolve", first, "--action", "delete", "--note", "x"
    )
    assert result.exit_code == 2  # not one of the actions

    from idp.audit import AuditEvent
    from idp.extensions import db

    with app.app_context():
        events = list(db.session.scalars(db.select(AuditEvent.event)))
    assert events.count("complaint.filed") == 2
    assert "complaint.viewed" in events and "complaint.resolved" in events


def test_lock_account_without_an_account_changes_nothing(app, monkeypatch):
    submit(app.test_client(), {**COMPLAINANT, "id_number": "123456789"})
    [complaint] = complaints_in(app)
    result = cli(
        app,
        monkeypatch,
        "complaints",
        "resolve",
        complaint.reference,
        "--action",
        "lock-account",
        "--note",
        "x",
    )
    assert result.exit_code == 1 and "không có gì để khóa" in result.output
    assert complaints_in(app)[0].status == "open"


def test_lock_account_frees_the_number_for_the_complainant(
    app, citizen, outbox, oidc_client, monkeypatch
):
    from idp.citizens.models import Citizen
    from idp.extensions import db
    from idp.login_session import sessions_of
    from idp.oidc.models import Token

    # The account holder is signed in, and its client holds tokens.
    holder = Browser(app, outbox)
    url, req = holder.authorize_url(oidc_client["client_id"])
    resp = holder.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    code = re.search(r"code=([^&]+)", resp.location).group(1)
    tokens = redeem(holder.http, oidc_client, code, req["verifier"]).get_json()

    # The real owner of the number tries to register, is told it is taken, complains.
    import_registry(app, (COMPLAINANT["phone"], CITIZEN["id_number"]))
    owner = RegistrationBrowser(app, outbox)
    details = {**CITIZEN, "phone": COMPLAINANT["phone"], "email": ""}
    resp = owner.submit_details(owner.choose(owner.start()), details)
    assert resp.status_code == 303
    assert ACCOUNT_EXISTS_TEXT in owner.get(resp.location).get_data(as_text=True)
    assert submit(owner.http, COMPLAINANT, [("cccd.jpg", JPEG)]).status_code == 302
    [complaint] = complaints_in(app)

    result = cli(
        app, monkeypatch, "complaints", "resolve", complaint.reference,
        "--action", "lock-account", "--note", "Chủ thuê bao chính chủ là người khiếu nại",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "account_locked"

    with app.app_context():
        old = db.session.get(Citizen, citizen["id"])
        assert old.status == "locked" and old.id_number == f"x{citizen['id']}"
        assert sessions_of(citizen["id"]) == []
        rows = db.session.scalars(db.select(Token).filter_by(citizen_id=citizen["id"])).all()
        assert rows and all(row.access_token_revoked_at for row in rows)
    info = holder.http.get(
        "/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.status_code == 401
    again = Browser(app, outbox)
    url, _ = again.authorize_url(oidc_client["client_id"])
    refused = again.submit_password(
        again.start_login(url), CITIZEN["id_number"], CITIZEN["password"]
    )
    assert refused.status_code == 400

    # The number is free: the complainant registers it with the phone in their name.
    resp = RegistrationBrowser(app, outbox).register(details, "+84977000111")
    assert resp.status_code == 302 and resp.location == "/register/done"
    [new] = citizens_with(app, CITIZEN["id_number"])
    assert new.id != citizen["id"] and new.phone == "+84977000111" and new.status == "active"
    new_login = Browser(app, outbox)
    url, _ = new_login.authorize_url(oidc_client["client_id"])
    resp = new_login.login(url, CITIZEN["id_number"], "binhtran2026", "+84977000111")
    assert resp.location.startswith(REDIRECT_URI)


def test_a_phone_change_request_never_locks_the_owners_account(app, citizen):
    from idp.citizens.models import Citizen
    from idp.complaints.filing import ComplaintForm, file_complaint
    from idp.complaints.models import PHONE_CHANGE
    from idp.complaints.resolution import resolve_complaint
    from idp.errors import DomainError
    from idp.extensions import db

    with app.app_context():
        form = ComplaintForm(
            id_number=CITIZEN["id_number"],
            full_name=CITIZEN["full_name"],
            phone="0987654321",
            email=None,
            description="Mất số cũ, xin đổi số.",
        )
        complaint = file_complaint(form, [], kind=PHONE_CHANGE)
        with pytest.raises(DomainError) as refused:
            resolve_complaint(complaint.reference, "lock-account", "nhầm", "operator:test")
        assert refused.value.problem.code == "complaint.not_ownership"
        owner = db.session.get(Citizen, citizen["id"])
        assert owner.status == "active" and owner.id_number == CITIZEN["id_number"]
