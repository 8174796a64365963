"""Every POST form route refuses a request without ``csrf_token`` (400, the CSRF page);
only the protocol endpoints that are CSRF-exempt by specification are left out."""

from __future__ import annotations

from idp.error_pages import CSRF_PROBLEM
from tests.http.driver import Browser

# Server-to-server or cross-site by specification (RFC 6749/7009/7662/7591, OIDC Core,
# RP-Initiated Logout): their own authentication protects them.
PROTOCOL_EXEMPT = {
    "/oauth2/token",
    "/oauth2/introspect",
    "/oauth2/revoke",
    "/oauth2/par",
    "/oauth2/userinfo",
    "/oauth2/register",
    "/oauth2/authorize",
    "/oauth2/logout",
    "/upstream/<name>/backchannel-logout",  # an upstream's server posts it
}
SAMPLE_ARGUMENTS = {
    "citizen_id": 1,
    "client_id": "x",
    "reference": "x",
    "which": "old",
    "name": "vneid",
}


def form_routes(app) -> list[str]:
    adapter = app.url_map.bind("127.0.0.1")
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.rule in PROTOCOL_EXEMPT:
            continue
        values = {name: SAMPLE_ARGUMENTS[name] for name in rule.arguments}
        urls.append(adapter.build(rule.endpoint, values))
    return urls


def test_every_post_form_route_requires_the_csrf_token(app, outbox, citizen, oidc_client):
    browser = Browser(app, outbox)
    url, _ = browser.authorize_url(oidc_client["client_id"])
    browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    urls = form_routes(app)
    assert len(urls) >= 40  # the whole surface: flows, account, console
    refused = {}
    for path in urls:
        resp = browser.http.post(path, data={"flow": "x", "otp": "123456"})
        refused[path] = (resp.status_code, CSRF_PROBLEM.message in resp.get_data(as_text=True))
    assert {p: r for p, r in refused.items() if r != (400, True)} == {}


def test_a_wrong_csrf_token_is_refused_too(app, outbox):
    browser = Browser(app, outbox)
    browser.get("/login")
    resp = browser.http.post("/recovery/identify", data={"csrf_token": "forged"})
    assert resp.status_code == 400
