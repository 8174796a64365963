"""Every HTML page: no framing, a CSP without inline script, no inline handlers or styles;
cookies HttpOnly and SameSite (Secure in production); a new session id at each login."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from idp.login_session import COOKIE
from idp.settings import load_settings
from tests.http.driver import Browser
from tests.http.test_recovery import RecoveryBrowser

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def check_page(resp, where: str) -> None:
    assert resp.mimetype == "text/html", where
    csp = resp.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, where
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, where
    assert resp.headers.get("X-Frame-Options") == "DENY", where
    html = resp.get_data(as_text=True)
    assert not INLINE_SCRIPT.search(html), where
    assert not HANDLER.search(html), where
    assert not STYLE_ATTRIBUTE.search(html), where


def _argumentless_get_paths(app) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.arguments and "static" not in rule.rule
    )


def test_every_reachable_page(app, outbox, citizen, oidc_client):
    browser = Browser(app, outbox)
    url, _ = browser.authorize_url(oidc_client["client_id"])
    seen = 0
    # The login journey's pages, then everything without arguments once signed in.
    resp = browser.get(url)
    while resp.status_code == 302 and urlsplit(resp.location).netloc in ("", "localhost"):
        resp = browser.get(resp.location)
    check_page(resp, url)
    browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    rec = RecoveryBrowser(app, outbox)
    for path in [*_argumentless_get_paths(app), "/recovery/identify?flow=x", "/nowhere"]:
        for client in (browser, rec):
            resp = client.get(path)
            hops = 0
            while resp.status_code in (301, 302, 303) and hops < 5:
                target = urlsplit(resp.location)
                if target.netloc not in ("", "localhost"):
                    break
                resp = client.get(resp.location)
                hops += 1
            if resp.mimetype == "text/html":
                check_page(resp, path)
                seen += 1
    assert seen >= 20


def test_cookies_are_httponly_and_samesite(app, outbox, citizen, oidc_client):
    browser = Browser(app, outbox)
    url, _ = browser.authorize_url(oidc_client["client_id"])
    password_url = browser.start_login(url)
    resp = browser.submit_password(password_url, citizen["id_number"], citizen["password"])
    resp = browser.submit_otp(resp.location, outbox.last_otp())
    cookies = [v for k, v in resp.headers.items() if k == "Set-Cookie"]
    cookies += [v for k, v in browser.get(url).headers.items() if k == "Set-Cookie"]
    assert any(c.startswith(f"{COOKIE}=") for c in cookies)
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie


def test_production_cookies_are_secure():
    settings = load_settings(
        "production",
        {
            "SECRET_KEY": "x" * 40,
            "DATABASE_URL": "postgresql+psycopg://db/idp",
            "REDIS_URL": "redis://redis:6379/0",
            "IDP_ISSUER": "https://dangnhap.dichvucong.gov.vn",
            "SMS_HTTP_URL": "https://sms.example/send",
            "SMS_HTTP_TOKEN": "t",
            "SUBSCRIBER_HTTP_URL": "https://carrier.example/check",
            "SUBSCRIBER_HTTP_TOKEN": "t",
            "METRICS_ALLOWED_IPS": "10.0.0.0/8",
        },
    )
    assert settings["SESSION_COOKIE_SECURE"] is True


def _session_cookie(browser) -> str | None:
    cookie = browser.http.get_cookie(COOKIE)
    return cookie.value if cookie else None


def test_session_id_is_renewed_at_login_and_a_planted_one_is_ignored(
    app, outbox, citizen, oidc_client
):
    browser = Browser(app, outbox)
    browser.http.set_cookie(COOKIE, "planted-by-an-attacker", domain="localhost")
    url, _ = browser.authorize_url(oidc_client["client_id"])
    browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    first = _session_cookie(browser)
    assert first and first != "planted-by-an-attacker"
    browser.get("/account/sessions")
    url, _ = browser.authorize_url(oidc_client["client_id"], prompt="login")
    browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    second = _session_cookie(browser)
    assert second and second != first
