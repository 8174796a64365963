"""Credential stuffing: failures per IP and per user name are throttled with one answer
whether or not the account exists; the lockout's behaviour stays as it was."""

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
    app = app_factory(LOGIN_FAILURES_PER_USERNAME=3, LOCKOUT_THRESHOLD=100)
    browser = Browser(app, outbox)
    answers = {}
    for username in (citizen["id_number"], "066090009999"):
        for i in range(3):
            resp = _try(browser, oidc_client, username, "wrong-pass1", ip=f"192.0.2.{i}")
            assert resp.status_code == 400 and GENERIC in resp.get_data(as_text=True)
        resp = _try(browser, oidc_client, username, "wrong-pass1", ip="203.0.113.50")
        answers[username] = (resp.status_code, resp.get_data(as_text=True).count(THROTTLED))
    assert answers[citizen["id_number"]] == answers["066090009999"] == (429, 1)
    # Even the right password is refused while the user name is throttled (no oracle).
    resp = _try(browser, oidc_client, citizen["id_number"], citizen["password"], "203.0.113.51")
    assert resp.status_code == 429
    assert outbox.messages() == []


def test_per_ip_throttle_across_user_names(app_factory, outbox, citizen, oidc_client):
    app = app_factory(LOGIN_FAILURES_PER_IP=4, LOGIN_FAILURES_PER_USERNAME=100)
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

    app = app_factory(LOGIN_FAILURES_PER_USERNAME=1)
    browser = Browser(app, outbox)
    _try(browser, oidc_client, "066090009999", "wrong-pass1")
    assert _try(browser, oidc_client, "066090009999", "wrong-pass1").status_code == 429
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent).filter_by(event="login.throttled"))
        assert [e.details["reason"] for e in events] == ["username"]


def test_lockout_still_answers_like_a_wrong_password(app_factory, outbox, citizen, oidc_client):
    app = app_factory(LOCKOUT_THRESHOLD=2, LOGIN_FAILURES_PER_USERNAME=50)
    browser = Browser(app, outbox)
    for _ in range(3):
        resp = _try(browser, oidc_client, citizen["id_number"], "wrong-pass1")
        assert resp.status_code == 400 and GENERIC in resp.get_data(as_text=True)
    resp = _try(browser, oidc_client, citizen["id_number"], citizen["password"])
    assert resp.status_code == 400 and "tạm thời bị khóa" in resp.get_data(as_text=True)
