"""What operators do in the console: clients, registration tokens, citizen locks,
complaints, the audit trail and signing keys. Every change is audited as operator:<name>."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta

from tests.conftest import REDIRECT_URI, query_of
from tests.http.driver import Browser
from tests.http.test_console import Console, audit_rows, make_operator

ACTOR = "operator:van.hanh"


def confidential_client(app, **kw) -> dict:
    from idp.oidc.clients import create_client

    kw.setdefault("extra_metadata", {"grant_types": ["authorization_code", "client_credentials"]})
    with app.app_context():
        client_id, secret = create_client(
            name="Sở Y tế", redirect_uris=[REDIRECT_URI], actor="test", **kw
        )
    return {"client_id": client_id, "client_secret": secret}


def token_status(http, client_id: str, secret: str) -> int:
    resp = http.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    return resp.status_code


def status_of(app, client_id: str) -> str:
    from idp.oidc.clients import find_client

    with app.app_context():
        return find_client(client_id).status


def test_operator_approves_suspends_reactivates_and_rotates_the_secret(app, console):
    client = confidential_client(app, status="pending")
    cid, secret = client["client_id"], client["client_secret"]
    listing = console.page("/console/clients?status=pending")
    assert cid in listing and "Chờ duyệt" in listing
    assert token_status(console.http, cid, secret) == 401  # pending: invisible

    resp = console.post(f"/console/clients/{cid}/status", action="approve")
    assert resp.status_code == 302
    assert "Đã duyệt ứng dụng" in console.page(resp.location)
    assert status_of(app, cid) == "active"
    assert token_status(console.http, cid, secret) == 200

    assert console.post(f"/console/clients/{cid}/status", action="suspend").status_code == 302
    assert status_of(app, cid) == "suspended"
    assert token_status(console.http, cid, secret) == 401
    again = console.post(f"/console/clients/{cid}/status", action="approve")
    assert again.status_code == 400
    assert "trạng thái hiện tại" in again.get_data(as_text=True)
    assert console.post(f"/console/clients/{cid}/status", action="reactivate").status_code == 302
    assert token_status(console.http, cid, secret) == 200

    rotated = console.post(f"/console/clients/{cid}/secret")
    assert rotated.status_code == 303 and rotated.location == f"/console/clients/{cid}"
    shown = console.http.get(rotated.location)  # POST/redirect/GET: shown there once
    new_secret = re.search(r'id="new-secret">([^<]+)<', shown.get_data(as_text=True)).group(1)
    assert shown.headers["Cache-Control"] == "no-store"
    assert new_secret not in console.page(rotated.location)  # a reload does not show it
    assert token_status(console.http, cid, secret) == 401
    assert token_status(console.http, cid, new_secret) == 200
    assert console.post("/console/clients/unknown/status", action="approve").status_code == 404

    events = [row.event for row in audit_rows(app, client_id=cid, actor=ACTOR)]
    assert events == [
        "client.approved",
        "client.suspended",
        "client.reactivated",
        "client.secret_rotated",
    ]


def test_operator_exempts_a_legacy_agency_from_pkce_and_requires_it_again(app, console):
    """The console shows each client's PKCE policy (list and details) and lets an operator
    exempt a confidential legacy client, never a public one; both changes are audited."""
    from idp.oidc.clients import find_client

    cid = confidential_client(app)["client_id"]
    public = confidential_client(app, auth_method="none")["client_id"]

    def listed_pkce(client_id: str) -> str:
        row = re.search(
            rf'data-client-id="{client_id}">.*?</tr>', console.page("/console/clients"), re.S
        )
        return re.search(r'class="pkce">([^<]+)<', row.group(0)).group(1)

    def exempt() -> bool:
        with app.app_context():
            return find_client(cid).pkce_exempt

    assert listed_pkce(cid) == "Bắt buộc" and "Bắt buộc (S256)" in console.page(
        f"/console/clients/{cid}"
    )
    resp = console.post(f"/console/clients/{cid}/pkce", pkce="exempt")
    assert resp.status_code == 302 and exempt()
    page = console.page(resp.location)
    assert "Đã miễn PKCE" in page and 'id="client-pkce">Được miễn' in page
    assert listed_pkce(cid) == "Được miễn"
    assert console.post(f"/console/clients/{cid}/pkce", pkce="required").status_code == 302
    assert not exempt()
    assert console.post(f"/console/clients/{cid}/pkce", pkce="maybe").status_code == 400
    refused = console.post(f"/console/clients/{public}/pkce", pkce="exempt")
    assert refused.status_code == 400 and "luôn phải dùng PKCE" in refused.get_data(as_text=True)
    assert "Miễn PKCE" not in console.page(f"/console/clients/{public}")
    events = [row.event for row in audit_rows(app, client_id=cid, actor=ACTOR)]
    assert events == ["client.pkce_exempted", "client.pkce_required"]


def test_suspending_revokes_the_clients_tokens(app, console):
    client = confidential_client(app)
    token = console.http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
    ).get_json()["access_token"]

    def active() -> bool:
        resp = console.http.post(
            "/oauth2/introspect",
            data={"token": token},
            auth=(client["client_id"], client["client_secret"]),
        )
        return resp.status_code == 200 and resp.get_json()["active"]

    assert active()
    console.post(f"/console/clients/{client['client_id']}/status", action="suspend")
    console.post(f"/console/clients/{client['client_id']}/status", action="reactivate")
    assert not active()


def test_issued_registration_token_works_once_at_the_register_endpoint(app, console):
    issued = console.post("/console/registration-tokens", expires_in="3600")
    assert issued.status_code == 303 and issued.location == "/console/registration-tokens"
    html = console.page(issued.location)  # POST/redirect/GET: shown there once
    value = re.search(r'id="new-token">([^<]+)<', html).group(1)
    body = {"client_name": "Sở Xây dựng", "redirect_uris": [REDIRECT_URI]}
    headers = {"Authorization": f"Bearer {value}"}
    first = console.http.post("/oauth2/register", json=body, headers=headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    assert console.http.post("/oauth2/register", json=body, headers=headers).status_code == 401
    listing = console.page("/console/registration-tokens")
    assert first.get_json()["client_id"] in listing and value not in listing
    assert audit_rows(app, event="registration_token.issued", actor=ACTOR)
    bad = console.post("/console/registration-tokens", expires_in="forever")
    assert bad.status_code == 400 and "Thời hạn của mã đăng ký" in bad.get_data(as_text=True)


def test_pending_registered_client_is_invisible_until_approved(app_factory, outbox):
    app = app_factory(CLIENT_APPROVAL_REQUIRED=True)
    console = Console(app)
    assert console.sign_in(make_operator(app)).status_code == 302
    from idp.oidc.registration_tokens import issue_token

    with app.app_context():
        value = issue_token("test")[0]
    registered = console.http.post(
        "/oauth2/register",
        json={"client_name": "Sở Nội vụ", "redirect_uris": [REDIRECT_URI]},
        headers={"Authorization": f"Bearer {value}"},
    )
    assert registered.status_code == 201
    client = registered.get_json()
    cid = client["client_id"]
    assert status_of(app, cid) == "pending"

    browser = Browser(app, outbox)
    url, _ = browser.authorize_url(cid)
    refused = browser.get(url)
    assert refused.status_code == 400  # an unknown client: an error page, never a redirect
    assert token_status(browser.http, cid, client["client_secret"]) == 401
    home = console.page("/console/")
    assert 'status=pending">1<' in home

    console.post(f"/console/clients/{cid}/status", action="approve")
    started = browser.get(url)
    assert started.status_code == 302 and "/login" in started.location
    assert audit_rows(app, event="client.approved", client_id=cid, actor=ACTOR)


def test_locking_a_citizen_ends_sessions_and_refuses_login(app, console, citizen, outbox):
    from idp.login_session import sessions_of

    browser = Browser(app, outbox)
    otp_step = login_password_step(browser, citizen)
    done = browser.submit_otp(otp_step.location, outbox.last_otp(citizen["phone_e164"]))
    assert done.status_code == 302
    with app.test_request_context():
        assert len(sessions_of(citizen["id"])) == 1

    found = console.page(f"/console/citizens?q={citizen['id_number']}")
    assert "Nguyễn Văn An" in found and "091****678" in found and "Đang hoạt động" in found
    locked = console.post(f"/console/citizens/{citizen['id']}/lock", reason="Yêu cầu của công an")
    assert locked.status_code == 302
    assert 'id="citizen-status">Đã khóa<' in console.page(locked.location)
    with app.test_request_context():
        assert sessions_of(citizen["id"]) == []
    assert console.post(f"/console/citizens/{citizen['id']}/lock").status_code == 400

    refused = login_password_step(Browser(app, outbox), citizen)
    assert refused.status_code == 400
    assert "Tài khoản đang bị khóa" in refused.get_data(as_text=True)

    assert console.post(f"/console/citizens/{citizen['id']}/unlock").status_code == 302
    assert login_password_step(Browser(app, outbox), citizen).status_code == 302
    assert console.post("/console/citizens/99999/unlock").status_code == 404
    assert console.post(f"/console/citizens/{10**30}/lock").status_code == 404
    assert console.page("/console/citizens?q=12ab", 400)
    assert console.page("/console/citizens?q=066099999999", 404)

    events = [r.event for r in audit_rows(app, citizen_id=citizen["id"], actor=ACTOR)]
    assert events == ["citizen.viewed", "citizen.locked", "citizen.viewed", "citizen.unlocked"]


def login_password_step(browser: Browser, citizen: dict):
    """Open /login, choose the portal account, submit the password; the response."""
    choose = browser.get("/login").location
    page = browser.get(choose).get_data(as_text=True)
    password_url = browser.post_form(
        "/login/method", page, {"flow": query_of(choose)["flow"]}
    ).location
    return browser.submit_password(password_url, citizen["id_number"], citizen["password"])


def test_audit_search_filters_and_pages(app, console, citizen):
    from idp import audit
    from idp.extensions import db

    with app.app_context():
        for number in range(55):
            audit.record("test.bulk", client_id="bulk-client", actor="test", n=number)
        audit.record("test.old", citizen_id=citizen["id"], actor="test")
        from idp.audit import AuditEvent

        old = db.session.scalars(db.select(AuditEvent).filter_by(event="test.old")).one()
        old.at = datetime(2024, 1, 15, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam
        db.session.commit()

    page = console.page("/console/audit?event=test.&client_id=bulk-client")
    assert "55 sự kiện · trang 1/2" in page
    second = console.page("/console/audit?event=test.&client_id=bulk-client&page=2")
    assert "trang 2/2" in second and "Trang trước" in second
    assert "n=0 " in second and "n=54 " not in second  # newest first

    by_number = console.page(f"/console/audit?citizen={citizen['id_number']}&event=test.")
    assert "1 sự kiện" in by_number and "test.old" in by_number
    by_id = console.page(f"/console/audit?citizen={citizen['id']}&date_from=2024-01-15")
    assert "test.old" in by_id
    same_day = console.page("/console/audit?event=test.old&date_from=2024-01-15&date_to=2024-01-15")
    assert "1 sự kiện" in same_day and "15/01/2024 10:00:00" in same_day
    day_after = console.page("/console/audit?event=test.old&date_from=2024-01-16")
    assert "0 sự kiện" in day_after

    assert "Ngày phải có dạng" in console.page("/console/audit?date_from=15/01/2024", 400)
    assert "phải trước" in console.page(
        "/console/audit?date_from=2024-02-01&date_to=2024-01-01", 400
    )
    assert console.page("/console/audit?citizen=abc", 400)
    assert console.page(f"/console/audit?citizen={10**30}", 400)
    assert console.page("/console/audit?citizen=99999999")  # an account id: no match
    assert console.page("/console/audit?page=nonsense")
    sign_ins = console.page(f"/console/audit?event=console.login&date_from={today()}")
    assert ACTOR in sign_ins


def today() -> str:
    return (datetime.now(UTC) + timedelta(hours=7)).date().isoformat()


def test_key_rotation_adds_keys_and_is_audited(app_factory, keys_dir, tmp_path):
    own_keys = tmp_path / "keys"
    shutil.copytree(keys_dir, own_keys)
    app = app_factory(IDP_KEYS_DIR=str(own_keys))
    console = Console(app)
    assert console.sign_in(make_operator(app)).status_code == 302
    before = console.page("/console/keys")
    assert before.count("Đang ký") == 2
    from idp.services import services

    with app.app_context():
        count = len(services().keys.records())
    resp = console.post("/console/keys/rotate")
    assert resp.status_code == 302
    after = console.page(resp.location)
    assert "Đã thêm 2 khóa ký mới" in after and after.count("Sắp dùng") == 2
    with app.app_context():
        records = services().keys.records()
    assert len(records) == count + 2
    rotated = audit_rows(app, event="keys.rotated", actor=ACTOR)
    assert {row.details["kid"] for row in rotated} == {r.kid for r in records[-2:]}
    jwks = app.test_client().get("/oauth2/jwks").get_json()["keys"]
    assert {r.kid for r in records[-2:]} <= {k["kid"] for k in jwks}  # published before use


def file_complaint(app, id_number: str) -> str:
    """A complaint with one PNG as evidence, as the complaint form would store it."""
    from idp.complaints.evidence import EvidenceFile
    from idp.complaints.filing import ComplaintForm, file_complaint

    form = ComplaintForm(
        id_number=id_number,
        full_name="Trần Thị Bình",
        phone="+84987654321",
        email=None,
        description="Tôi chưa từng đăng ký tài khoản này nhưng số CCCD của tôi đã bị dùng.",
    )
    png = EvidenceFile("cccd.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    with app.app_context():
        return file_complaint(form, [png]).reference


def test_operator_resolves_complaints_with_the_complaints_service(app, console, citizen):
    from idp.citizens.models import Citizen
    from idp.extensions import db

    rejected = file_complaint(app, "066090009999")
    disputed = file_complaint(app, citizen["id_number"])
    listing = console.page("/console/complaints")
    assert rejected in listing and disputed in listing and "Chờ xử lý" in listing

    page = console.page(f"/console/complaints/{disputed}")
    assert "cccd.png" in page and "Trần Thị Bình" in page
    evidence = console.http.get(f"/console/complaints/{disputed}/evidence/1")
    assert evidence.status_code == 200 and evidence.mimetype == "image/png"
    assert f"{disputed}-1.png" in evidence.headers["Content-Disposition"]
    assert console.page(f"/console/complaints/{disputed}/evidence/2", 404)
    assert console.page("/console/complaints/KN-1999-000000", 404)

    no_note = console.post(f"/console/complaints/{rejected}/resolve", action="reject", note=" ")
    assert no_note.status_code == 400 and "Vui lòng ghi lý do" in no_note.get_data(as_text=True)
    done = console.post(
        f"/console/complaints/{rejected}/resolve", action="reject", note="Không đủ căn cứ."
    )
    assert done.status_code == 302
    assert 'id="complaint-status">Đã bác bỏ<' in console.page(done.location)
    twice = console.post(f"/console/complaints/{rejected}/resolve", action="reject", note="Lại.")
    assert twice.status_code == 400 and "đã được xử lý" in twice.get_data(as_text=True)

    locked = console.post(
        f"/console/complaints/{disputed}/resolve", action="lock-account", note="Đã xác minh."
    )
    assert locked.status_code == 302
    assert "Đã khóa tài khoản" in console.page(locked.location)
    with app.app_context():
        account = db.session.get(Citizen, citizen["id"])
        assert account.status == "locked" and account.id_number != citizen["id_number"]
    resolved = audit_rows(app, event="complaint.resolved", actor=ACTOR)
    assert {row.details["reference"] for row in resolved} == {rejected, disputed}
    assert audit_rows(app, event="complaint.viewed", actor=ACTOR)


def test_operator_requires_pushed_requests_of_a_client_and_lifts_it(app, console, oidc_client):
    """The client page says whether the client must push (RFC 9126); the operator switches
    it, and the authorization endpoint follows at once."""
    from tests.http.driver import Browser

    cid = oidc_client["client_id"]
    assert 'id="client-par">Không bắt buộc' in console.page(f"/console/clients/{cid}")
    assert console.post(f"/console/clients/{cid}/par", par="required").status_code == 302
    page = console.page(f"/console/clients/{cid}")
    assert "phải gửi trước yêu cầu đăng nhập" in page
    assert 'id="client-par">Bắt buộc gửi trước yêu cầu đăng nhập' in page
    browser = Browser(app, None)
    url, _ = browser.authorize_url(cid)
    refused = browser.get(url)
    assert refused.status_code == 302 and "error=invalid_request" in refused.location
    assert console.post(f"/console/clients/{cid}/par", par="optional").status_code == 302
    assert browser.get(url).location.startswith("/login")
    assert console.post(f"/console/clients/{cid}/par", par="maybe").status_code == 400
