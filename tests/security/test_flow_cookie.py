"""Session fixation of the flow cookie: everything a browser held before login (the
``idp_flow`` cookie, its browser id and CSRF token) is renewed at login, and a flow
cookie from another (or no) login is dropped before the CSRF check; in production the
provider's cookies are ``__Host-`` cookies."""

from __future__ import annotations

from http.cookies import SimpleCookie

from tests.conftest import csrf_of
from tests.http.test_account_profile import AccountBrowser
from tests.http.test_console import Console, make_operator

FLOW_COOKIE = "idp_flow"


def _flow_cookie(browser) -> str:
    return browser.http.get_cookie(FLOW_COOKIE).value


def _attacker_cookie_and_token(app, outbox) -> tuple[str, str]:
    """What an attacker takes from his own visit: a flow cookie and its form token."""
    attacker = AccountBrowser(app, outbox)
    page = attacker.text(attacker.get("/login").location)
    return _flow_cookie(attacker), csrf_of(page)


def _email_of(app, citizen) -> str | None:
    from idp.citizens.models import Citizen
    from idp.extensions import db

    with app.app_context():
        return db.session.get(Citizen, citizen["id"]).email


def test_a_planted_flow_cookie_and_its_token_stop_working_at_login(app, outbox, citizen):
    cookie, token = _attacker_cookie_and_token(app, outbox)
    victim = AccountBrowser(app, outbox)
    victim.http.set_cookie(FLOW_COOKIE, cookie, domain="localhost")
    resp = victim.sign_in(citizen)
    assert resp.status_code == 302 and resp.location == "/account"
    assert _flow_cookie(victim) != cookie
    # A cross-site form posted through the victim's browser with the attacker's token.
    resp = victim.http.post("/account/email", data={"csrf_token": token, "email": "ke@gian.vn"})
    assert resp.status_code == 400
    # The attacker plants his cookie again, after the login: still worthless.
    victim.http.set_cookie(FLOW_COOKIE, cookie, domain="localhost")
    resp = victim.http.post("/account/email", data={"csrf_token": token, "email": "ke@gian.vn"})
    assert resp.status_code == 400
    assert _email_of(app, citizen) is None
    # The citizen's own forms keep working.
    resp = victim.submit("/account", "/account/email", {"email": "an@vidu.vn"})
    assert resp.status_code == 302 and _email_of(app, citizen) == "an@vidu.vn"


def test_the_csrf_token_and_browser_id_are_new_after_login(app, outbox, citizen):
    browser = AccountBrowser(app, outbox)
    password_url = browser.open_password_form("/account")
    before = csrf_of(browser.text(password_url))
    with browser.http.session_transaction() as session:
        browser_before = session["browser"]
    resp = browser.submit_password(password_url, citizen["id_number"], citizen["password"])
    browser.submit_otp(resp.location, outbox.last_otp(citizen["phone_e164"]))
    after = csrf_of(browser.text("/account"))
    with browser.http.session_transaction() as session:
        assert session.get("browser") != browser_before
        assert "csrf_token" in session
    assert after != before
    # The old token no longer passes.
    resp = browser.http.post("/account/email", data={"csrf_token": before, "email": "a@vidu.vn"})
    assert resp.status_code == 400


def test_a_flow_cookie_from_another_login_is_dropped(app, outbox, citizen, other_citizen):
    attacker = AccountBrowser(app, outbox)
    attacker.sign_in(other_citizen)
    cookie = _flow_cookie(attacker)
    token = csrf_of(attacker.text("/account"))
    victim = AccountBrowser(app, outbox)
    victim.sign_in(citizen)
    victim.http.set_cookie(FLOW_COOKIE, cookie, domain="localhost")
    resp = victim.http.post("/account/email", data={"csrf_token": token, "email": "ke@gian.vn"})
    assert resp.status_code == 400
    assert _email_of(app, citizen) is None


def test_the_language_survives_the_renewal(app, outbox, citizen):
    browser = AccountBrowser(app, outbox)
    browser.get("/login?lang=en")
    browser.sign_in(citizen)
    assert '<html lang="en">' in browser.text("/account")


def _set_cookies(resp) -> dict[str, str]:
    found = {}
    for header in resp.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0]
        found[name] = header
    return found


def _assert_host_cookie(header: str) -> None:
    cookie = SimpleCookie()
    cookie.load(header)
    [morsel] = cookie.values()
    assert morsel["secure"] and morsel["path"] == "/" and not morsel["domain"], header


def test_production_cookie_names_carry_the_host_prefix(app_factory, outbox, citizen):
    app = app_factory(SESSION_COOKIE_SECURE=True)
    browser = AccountBrowser(app, outbox)
    browser.http.environ_base["wsgi.url_scheme"] = "https"
    password_url = browser.open_password_form("/account")
    resp = browser.submit_password(password_url, citizen["id_number"], citizen["password"])
    resp = browser.submit_otp(resp.location, outbox.last_otp(citizen["phone_e164"]))
    assert resp.status_code == 302 and resp.location == "/account"
    cookies = _set_cookies(resp)
    assert {"__Host-idp_flow", "__Host-idp_session"} <= set(cookies)
    assert not {"idp_flow", "idp_session"} & set(cookies)
    for name in ("__Host-idp_flow", "__Host-idp_session"):
        _assert_host_cookie(cookies[name])
    assert citizen["full_name"] in browser.text("/account")  # the renamed cookies work

    console = Console(app)
    console.http.environ_base["wsgi.url_scheme"] = "https"
    operator = make_operator(app)
    resp = console.sign_in(operator)
    assert resp.status_code == 302
    cookies = _set_cookies(resp)
    assert "__Host-idp_console" in cookies and "idp_console" not in cookies
    _assert_host_cookie(cookies["__Host-idp_console"])
    assert console.http.get("/console/").status_code == 200


def test_development_cookie_names_stay_plain(app, outbox, citizen):
    browser = AccountBrowser(app, outbox)
    resp = browser.sign_in(citizen)
    assert {"idp_flow", "idp_session"} <= set(_set_cookies(resp))


def test_a_request_without_cookies_leaves_the_session_alone(app):
    resp = app.test_client().get("/static/css/site.css")
    assert resp.status_code == 200
    assert "Set-Cookie" not in resp.headers and "Cookie" not in resp.vary
