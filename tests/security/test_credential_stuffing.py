"""Credential stuffing: failures per IP and per (user name, IP) are throttled with one
answer whether or not the account exists; the owner on another address is not refused."""

from __future__ import annotations

from tests.http.driver import Browser

THROTTLED = "Có quá nhiều lần đăng nhập không thành công"
GENERIC = "Tên đăng nhập hoặc mật khẩu không đúng."


def _try(browser, oidc_client, username, password, ip="198.51.100.7"):
    browser.http.environ_base["REMOTE_ADDR"] = ip
    url, _ = browser.authorize_url(oidc_client["client_id"])
    return browser.submit_password(browser.start_login(url), username, password)


def test_per_username_throttle_answers_alike_for_known_and_unknown(
    app_factory, outbox, citizen, oidc_client
):
    app = app_factory(LOGIN_FAILURES_PER_USERNAME_PER_IP=3, LOCKOUT_THRESHOLD=100)
    browser = Browser(app, outbox)
    answers = {}
    for username in (citizen["id_number"], "066090009999"):
        for _ in range(3):
            resp = _try(browser, oidc_client, username, "wrong-pass1", ip="203.0.113.50")
            assert resp.status_code == 400 and GENERIC in resp.get_data(as_text=True)
        resp = _try(browser, oidc_client, username, "wrong-pass1", ip="203.0.113.50")
        answers[username] = (resp.status_code, resp.get_data(as_text=True).count(THROTTLED))
    assert answers[citizen["id_number"]] == answers["066090009999"] == (429, 1)
    # Even the right password is refused from that address while it is throttled (no oracle).
    resp = _try(browser, oidc_client, citizen["id_number"], citizen["password"], "203.0.113.50")
    assert resp.status_code == 429
    assert outbox.messages() == []


def test_throttling_one_address_does_not_refuse_the_owner_elsewhere(
    app_factory, outbox, citizen, oidc_client
):
    app = app_factory(LOGIN_FAILURES_PER_USERNAME_PER_IP=3)
    browser = Browser(app, outbox)
    for _ in range(3):
        assert _try(browser, oidc_client, citizen["id_number"], "wrong-pass1").status_code == 400
    assert _try(browser, oidc_client, citizen["id_number"], "wrong-pass1").status_code == 429
    resp = _try(browser, oidc_client, citizen["id_number"], citizen["password"], "192.0.2.77")
    assert resp.status_code == 302 and "/login/otp" in resp.location
    assert "091****678" in browser.get(resp.location).get_data(as_text=True)  # no lock yet


def test_per_ip_throttle_across_user_names(app_factory, outbox, citizen, oidc_client):
    app = app_factory(LOGIN_FAILURES_PER_IP=4, LOGIN_FAILURES_PER_USERNAME_PER_IP=100)
    browser = Browser(app, outbox)
    for i in range(4):
        resp = _try(browser, oidc_client, f"06609000{i:04d}", "wrong-pass1")
        assert resp.status_code == 400
    resp = _try(browser, oidc_client, citizen["id_number"], citizen["password"])
    assert resp.status_code == 429 and THROTTLED in resp.get_data(as_text=True)
    # Another address is not affected.
    resp = _try(browser, oidc_client, citizen["id_number"], citizen["password"], "192.0.2.77")
    assert resp.status_code == 302


def test_throttle_is_audited(app_factory, outbox, oidc_client):
    from idp.audit import AuditEvent
    from idp.extensions import db

    app = app_factory(LOGIN_FAILURES_PER_USERNAME_PER_IP=1)
    browser = Browser(app, outbox)
    _try(browser, oidc_client, "066090009999", "wrong-pass1")
    assert _try(browser, oidc_client, "066090009999", "wrong-pass1").status_code == 429
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent).filter_by(event="login.throttled"))
        assert [e.details["reason"] for e in events] == ["username_ip"]


def test_the_user_wide_lock_answers_wrong_and_right_passwords_alike(
    app_factory, outbox, citizen, oidc_client
):
    app = app_factory(LOCKOUT_THRESHOLD=2, LOGIN_FAILURES_PER_USERNAME_PER_IP=50)
    browser = Browser(app, outbox)
    for _ in range(2):
        resp = _try(browser, oidc_client, citizen["id_number"], "wrong-pass1")
        assert resp.status_code == 400 and GENERIC in resp.get_data(as_text=True)
    wrong = _try(browser, oidc_client, citizen["id_number"], "wrong-pass1")
    right = _try(browser, oidc_client, citizen["id_number"], citizen["password"], "192.0.2.8")
    assert wrong.status_code == right.status_code == 302
    assert "/login/otp" in wrong.location and "/login/otp" in right.location
    assert [m["to"] for m in outbox.messages()] == [citizen["phone_e164"]]
