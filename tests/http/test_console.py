"""The operators' console through Flask's test client: sign-in with password and TOTP,
roles, sessions, and the CLI that creates operators."""

from __future__ import annotations

import json
import time

import pyotp
import pytest
from click.testing import CliRunner

from tests.conftest import REAL_DB, csrf_of


def make_operator(app, name: str = "van.hanh", role: str = "operator", enrolled: bool = True):
    """An operator as ``idp operators create`` makes one (enrolled: first code already given)."""
    from idp.console.models import Operator
    from idp.console.operators import create_operator
    from idp.extensions import db

    with app.app_context():
        operator, password, uri = create_operator(name, role, actor="test")
        if enrolled:
            db.session.get(Operator, operator.id).totp_confirmed = True
            db.session.commit()
    return {"name": name, "password": password, "totp": pyotp.parse_uri(uri), "uri": uri}


def audit_rows(app, **filters) -> list:
    from idp.audit import AuditEvent
    from idp.extensions import db

    with app.app_context():
        query = db.select(AuditEvent).filter_by(**filters).order_by(AuditEvent.id)
        rows = db.session.scalars(query).all()
        for row in rows:
            db.session.expunge(row)
        return rows


class Console:
    """An operator's browser on the console."""

    def __init__(self, app):
        self.app = app
        self.http = app.test_client()

    def page(self, url: str, status: int = 200) -> str:
        resp = self.http.get(url)
        assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:500])
        return resp.get_data(as_text=True)

    def submit_password(self, name: str, password: str):
        page = self.page("/console/login")
        return self.http.post(
            "/console/login",
            data={"csrf_token": csrf_of(page), "name": name, "password": password},
        )

    def submit_code(self, url: str, code: str):
        page = self.page(url)
        return self.http.post(url, data={"csrf_token": csrf_of(page), "otp": code})

    def sign_in(self, operator: dict, code: str | None = None):
        """Password, then the code (default: the current one); returns the last response."""
        resp = self.submit_password(operator["name"], operator["password"])
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return self.submit_code(resp.location, code or operator["totp"].now())

    def post(self, url: str, **data):
        csrf = csrf_of(self.page("/console/login" if "login" in url else "/console/"))
        return self.http.post(url, data={"csrf_token": csrf, **data})


@pytest.fixture
def operator(app):
    return make_operator(app)


@pytest.fixture
def console(app, operator) -> Console:
    console = Console(app)
    resp = console.sign_in(operator)
    assert resp.status_code == 302 and resp.location.endswith("/console/")
    return console


def test_operator_signs_in_with_password_then_totp(app, operator):
    console = Console(app)
    assert console.http.get("/console/clients").location.startswith("/console/login")

    wrong = console.submit_password(operator["name"], "wrong-password-1")
    assert wrong.status_code == 400
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in wrong.get_data(as_text=True)
    unknown = console.submit_password("nobody", "whatever-2")
    assert unknown.status_code == 400
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in unknown.get_data(as_text=True)

    resp = console.submit_password(operator["name"], operator["password"])
    assert resp.status_code == 302 and "/console/login/code" in resp.location
    code_url = resp.location
    assert console.http.get("/console/").status_code == 302  # one factor is not enough

    bad = console.submit_code(
        code_url, "000000" if operator["totp"].now() != "000000" else "111111"
    )
    assert bad.status_code == 400
    assert "Mã xác thực không đúng hoặc đã hết hạn." in bad.get_data(as_text=True)
    good = console.submit_code(code_url, operator["totp"].now())
    assert good.status_code == 302 and good.location == "/console/"
    home = console.page("/console/")
    assert "Trang quản trị" in home and operator["name"] in home

    events = [row.event for row in audit_rows(app, actor=f"operator:{operator['name']}")]
    assert events.count("console.login_failed") == 2 and "console.login" in events


def test_a_totp_code_is_not_accepted_twice(app, operator):
    first = Console(app)
    code = operator["totp"].now()
    assert first.sign_in(operator, code).status_code == 302
    first.post("/console/logout")
    assert first.http.get("/console/").status_code == 302

    again = Console(app)
    replay = again.sign_in(operator, code)
    assert replay.status_code == 400
    assert "Mã xác thực này đã được sử dụng." in replay.get_data(as_text=True)
    later = operator["totp"].at(time.time() + 30)  # the next time-step's code
    resp = again.submit_code("/console/login/code", later)
    assert resp.status_code == 302 and resp.location == "/console/"


def test_first_sign_in_enrols_the_authenticator_by_qr_code(app):
    from idp.console.models import Operator
    from idp.extensions import db

    newcomer = make_operator(app, "kiem.tra", enrolled=False)
    console = Console(app)
    resp = console.submit_password(newcomer["name"], newcomer["password"])
    assert "/console/login/enrol" in resp.location
    page = console.page(resp.location)
    assert 'src="data:image/svg+xml;base64,' in page
    assert newcomer["totp"].secret in page
    assert console.http.get("/console/login/code").status_code == 302  # enrol first
    done = console.submit_code(resp.location, newcomer["totp"].now())
    assert done.status_code == 302 and done.location == "/console/"
    with app.app_context():
        assert db.session.scalar(db.select(Operator).filter_by(name="kiem.tra")).totp_confirmed
    assert audit_rows(app, event="operator.totp_enrolled", actor="operator:kiem.tra")


def test_wrong_passwords_and_codes_lock_the_name_but_not_the_owner(app, operator):
    from idp.console.sign_in_rules import LOCK

    console = Console(app)
    for _ in range(4):
        assert console.submit_password(operator["name"], "wrong-password-1").status_code == 400
    resp = console.submit_password(operator["name"], operator["password"])
    assert resp.status_code == 302
    wrong_code = "000000" if operator["totp"].now() != "000000" else "111111"
    assert console.submit_code(resp.location, wrong_code).status_code == 400  # 5th failure
    assert audit_rows(app, event="console.lockout", actor=f"operator:{operator['name']}")
    # Locked: a wrong password is no longer refused on the spot; it gets the code page...
    wrong = console.submit_password(operator["name"], "wrong-password-1")
    assert wrong.status_code == 302 and "/console/login/code" in wrong.location
    assert console.submit_code(wrong.location, operator["totp"].now()).status_code == 400
    # ... and the owner passes with the right password and a code from the app.
    resp = console.submit_password(operator["name"], operator["password"])
    assert resp.status_code == 302 and resp.location == wrong.location
    signed_in = console.submit_code(resp.location, operator["totp"].now())
    assert signed_in.status_code == 302 and signed_in.location == "/console/"
    with app.app_context():
        assert not LOCK.is_locked(operator["name"]) and LOCK.failures(operator["name"]) == 0


def test_sign_in_failures_per_address_are_limited(app_factory):
    app = app_factory(CONSOLE_FAILURES_PER_IP=3)
    console = Console(app)
    for i in range(3):
        assert console.submit_password(f"someone{i}", "wrong-password-1").status_code == 400
    limited = console.submit_password("someone", "wrong-password-1")
    assert limited.status_code == 429
    assert "quá nhiều lần đăng nhập" in limited.get_data(as_text=True)


def test_console_session_is_separate_short_and_ends_at_sign_out(app, console):
    from idp.console.session import COOKIE
    from idp.services import services

    cookie = console.http.get_cookie(COOKIE, path="/console")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"
    assert console.http.get_cookie("idp_session") is None  # not a citizen's sign-in
    with app.app_context():
        ttl = services().store.ttl(f"console:{cookie.value}")
    assert 0 < ttl <= app.config["CONSOLE_IDLE_SECONDS"] == 900
    console.post("/console/logout")
    assert console.http.get("/console/").status_code == 302
    with app.app_context():
        assert services().store.get(f"console:{cookie.value}") is None


def test_session_past_its_maximum_age_is_over(app_factory, clock):
    app = app_factory(CONSOLE_SESSION_MAX_SECONDS=1)
    operator = make_operator(app)
    console = Console(app)
    assert console.sign_in(operator).status_code == 302
    clock.advance(1.1)
    assert console.http.get("/console/").location.startswith("/console/login")


def test_forms_without_csrf_token_are_refused(app, console):
    resp = console.http.post("/console/keys/rotate")
    assert resp.status_code == 400


def test_next_only_leads_inside_the_console(app, operator):
    console = Console(app)
    page = console.page("/console/login?next=https://evil.example/")
    assert 'value="/console/"' in page
    resp = console.http.get("/console/audit")
    assert "next=/console/audit" in resp.location


def test_auditor_reads_but_cannot_change_anything(app):
    auditor = make_operator(app, "kiem.toan", role="auditor")
    console = Console(app)
    assert console.sign_in(auditor).status_code == 302
    for url in (
        "/console/clients",
        "/console/audit",
        "/console/complaints",
        "/console/keys",
        "/console/registration-tokens",
        "/console/citizens",
    ):
        console.page(url)
    assert "Xoay vòng khóa ký" not in console.page("/console/keys")
    for url in (
        "/console/clients/any/status",
        "/console/clients/any/secret",
        "/console/registration-tokens",
        "/console/citizens/1/lock",
        "/console/keys/rotate",
        "/console/complaints/KN-2026-000001/resolve",
    ):
        resp = console.post(url, action="approve")
        assert resp.status_code == 403, url
        assert "chỉ được xem" in resp.get_data(as_text=True)


def test_cli_creates_operators_and_registration_tokens(app, monkeypatch, tmp_path):
    from idp.cli import main

    monkeypatch.setenv("IDP_ENV", "test")
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("IDP_KEYS_DIR", app.config["IDP_KEYS_DIR"])
    if not REAL_DB:
        monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")  # an operator with a Vietnamese locale
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    runner = CliRunner()
    result = runner.invoke(main, ["operators", "create", "--name", "cli.op", "--role", "auditor"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["name"] == "cli.op" and created["role"] == "auditor"
    assert created["totp_uri"].startswith("otpauth://totp/")
    again = runner.invoke(main, ["operators", "create", "--name", "cli.op", "--role", "auditor"])
    assert again.exit_code != 0 and "Đã có người vận hành" in again.output
    bad = runner.invoke(main, ["operators", "create", "--name", "X", "--role", "operator"])
    assert bad.exit_code != 0

    token = runner.invoke(main, ["registration-tokens", "create", "--expires-in", "600"])
    assert token.exit_code == 0, token.output
    value = token.output.strip()
    assert len(value) >= 43
    short = runner.invoke(main, ["registration-tokens", "create", "--expires-in", "5"])
    assert short.exit_code != 0

    registered = app.test_client().post(
        "/oauth2/register",
        json={"redirect_uris": ["http://127.0.0.1:5001/callback"]},
        headers={"Authorization": f"Bearer {value}"},
    )
    assert registered.status_code == 201, registered.get_data(as_text=True)
    assert audit_rows(app, event="registration_token.issued", actor="cli")
    assert audit_rows(app, event="operator.created", actor="cli")


def test_control_characters_are_refused_not_stored(app, console):
    for url in (
        "/console/audit?event=a%00b",
        "/console/complaints/KN%00",
        "/console/citizens?q=%01",
    ):
        resp = console.http.get(url)
        assert resp.status_code == 400, url
        assert "ký tự điều khiển" in resp.get_data(as_text=True)
    assert console.post("/console/citizens/1/lock", reason="a\x00b").status_code == 400
    login = Console(app).submit_password("bad\x00name", "whatever-1")
    assert login.status_code == 400


def test_operator_totp_secret_is_stored_sealed(app):
    from idp.console.models import Operator
    from idp.extensions import db
    from idp.sealed_secrets import CITIZEN_TOTP, OPERATOR_TOTP, unseal

    operator = make_operator(app, name="bi.mat")
    plain = operator["totp"].secret
    with app.app_context():
        stored = db.session.scalar(db.select(Operator.totp_secret).filter_by(name="bi.mat"))
        assert plain not in stored
        assert unseal(stored, OPERATOR_TOTP) == plain
        assert unseal(stored, CITIZEN_TOTP) is None  # one key per purpose


def test_an_operator_secret_that_no_longer_opens_is_explained(app_factory):
    operator = make_operator(app_factory())
    after_a_key_change = app_factory(SECRET_KEY="another-secret-key-0123456789abcdef0123")
    resp = Console(after_a_key_change).sign_in(operator, code="123456")
    assert resp.status_code == 400
    assert "Không đọc được khóa của ứng dụng xác thực" in resp.get_data(as_text=True)
