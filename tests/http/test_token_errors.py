"""The token endpoint's refusals: PKCE, code reuse and expiry, client authentication."""

from __future__ import annotations

import pytest

from tests.conftest import REDIRECT_URI, query_of
from tests.http.driver import Browser
from tests.http.test_code_flow import redeem


@pytest.fixture
def browser(app, outbox):
    return Browser(app, outbox)


def get_code(browser, citizen, oidc_client):
    url, req = browser.authorize_url(oidc_client["client_id"])
    resp = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    return query_of(resp.location)["code"], req["verifier"]


def test_wrong_pkce_verifier_is_invalid_grant(browser, citizen, oidc_client):
    code, _ = get_code(browser, citizen, oidc_client)
    resp = redeem(browser.http, oidc_client, code, "x" * 50)
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "invalid_grant"


def test_missing_pkce_verifier_is_invalid_request(browser, citizen, oidc_client):
    code, _ = get_code(browser, citizen, oidc_client)
    resp = browser.http.post(
        "/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        auth=(oidc_client["client_id"], oidc_client["client_secret"]),
    )
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "invalid_request"


def test_code_reuse_is_refused_and_revokes_first_tokens(browser, citizen, oidc_client):
    code, verifier = get_code(browser, citizen, oidc_client)
    first = redeem(browser.http, oidc_client, code, verifier)
    assert first.status_code == 200
    access = first.get_json()["access_token"]
    auth = {"Authorization": f"Bearer {access}"}
    assert browser.http.get("/oauth2/userinfo", headers=auth).status_code == 200
    second = redeem(browser.http, oidc_client, code, verifier)
    assert second.status_code == 400
    assert second.get_json()["error"] == "invalid_grant"
    resp = browser.http.get("/oauth2/userinfo", headers=auth)
    assert resp.status_code == 401
    assert 'error="invalid_token"' in resp.headers["WWW-Authenticate"]


def test_expired_code_is_refused(app_factory, outbox, citizen, oidc_client, clock):
    app = app_factory(AUTH_CODE_SECONDS=1)
    browser = Browser(app, outbox)
    code, verifier = get_code(browser, citizen, oidc_client)
    clock.advance(1.5)
    resp = redeem(browser.http, oidc_client, code, verifier)
    assert resp.get_json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_401_invalid_client(browser, citizen, oidc_client):
    code, verifier = get_code(browser, citizen, oidc_client)
    bad = {**oidc_client, "client_secret": "wrong"}
    resp = redeem(browser.http, bad, code, verifier)
    assert resp.status_code == 401
    assert resp.get_json()["error"] == "invalid_client"


def _post_redeem(http, client_id, secret, code, verifier):
    return http.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": client_id,
            "client_secret": secret,
        },
    )


def test_client_secret_post_works_for_a_client_registered_for_it(app, browser, citizen):
    from idp.oidc.clients import create_client

    with app.app_context():
        client_id, secret = create_client(
            name="Post", redirect_uris=[REDIRECT_URI], auth_method="client_secret_post"
        )
    code, verifier = get_code(browser, citizen, {"client_id": client_id})
    resp = _post_redeem(browser.http, client_id, secret, code, verifier)
    assert resp.status_code == 200, resp.get_data(as_text=True)


def test_registered_auth_method_is_enforced(browser, citizen, oidc_client):
    # The client registered client_secret_basic: the secret in the body is refused.
    code, verifier = get_code(browser, citizen, oidc_client)
    resp = _post_redeem(
        browser.http, oidc_client["client_id"], oidc_client["client_secret"], code, verifier
    )
    assert resp.status_code == 401
    assert resp.get_json()["error"] == "invalid_client"


def test_code_bound_to_its_client(app, browser, citizen, oidc_client):
    from idp.oidc.clients import create_client

    with app.app_context():
        other_id, other_secret = create_client(name="Other", redirect_uris=[REDIRECT_URI])
    code, verifier = get_code(browser, citizen, oidc_client)
    other = {"client_id": other_id, "client_secret": other_secret}
    resp = redeem(browser.http, other, code, verifier)
    assert resp.get_json()["error"] == "invalid_grant"


def test_wrong_redirect_uri_at_token_endpoint(browser, citizen, oidc_client):
    code, verifier = get_code(browser, citizen, oidc_client)
    resp = redeem(browser.http, oidc_client, code, verifier, redirect_uri="http://127.0.0.1:5001/x")
    assert resp.get_json()["error"] == "invalid_grant"


def test_public_client_with_pkce_gets_tokens(app, browser, citizen):
    from idp.oidc.clients import create_client

    with app.app_context():
        client_id, _ = create_client(
            name="SPA", redirect_uris=[REDIRECT_URI], auth_method="none", scope="openid"
        )
    url, req = browser.authorize_url(client_id, scope="openid")
    resp = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    code = query_of(resp.location)["code"]
    resp = browser.http.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": req["verifier"],
            "client_id": client_id,
        },
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "id_token" in resp.get_json()


@pytest.mark.parametrize(
    "body,content_type",
    [
        ('{"grant_type": "authorization_code"}', "application/json"),
        ("grant_type=password&username=a&password=b", "application/x-www-form-urlencoded"),
        ("", "application/x-www-form-urlencoded"),
        ("%FF%FE=%FF", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_token_requests_are_4xx(browser, oidc_client, body, content_type):
    resp = browser.http.post(
        "/oauth2/token",
        data=body,
        content_type=content_type,
        auth=(oidc_client["client_id"], oidc_client["client_secret"]),
    )
    assert 400 <= resp.status_code < 500
    assert resp.get_json()["error"] in (
        "invalid_request",
        "unsupported_grant_type",
        "invalid_grant",
    )


@pytest.mark.parametrize(
    "method, data", [("GET", None), ("POST", {}), ("POST", {"access_token": ""})]
)
def test_userinfo_without_token_is_401_invalid_token(browser, method, data):
    """RFC 6750 §3.1: no error code in the challenge; the body's code is an RFC one
    (``invalid_token``, as node-oidc-provider answers), not Authlib's ``missing_authorization``."""
    resp = browser.http.open("/oauth2/userinfo", method=method, data=data)
    assert resp.status_code == 401
    realm = browser.app.config["IDP_ISSUER"]
    assert resp.headers["WWW-Authenticate"] == f'Bearer realm="{realm}"'
    assert resp.get_json() == {
        "error": "invalid_token",
        "error_description": "no access token provided",
    }


def test_userinfo_with_garbage_token(browser):
    resp = browser.http.get("/oauth2/userinfo", headers={"Authorization": "Bearer nope"})
    assert resp.status_code == 401
    assert 'error="invalid_token"' in resp.headers["WWW-Authenticate"]


@pytest.mark.parametrize("header", ["Basic YTpi", "Bearer", "Bearer   ", "Token abc", "bearer"])
def test_userinfo_with_another_scheme_or_no_token_value_is_invalid_request(browser, header):
    """RFC 6750 §3.1: a malformed Authorization header is ``invalid_request`` (400)."""
    resp = browser.http.get("/oauth2/userinfo", headers={"Authorization": header})
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "invalid_request"


def test_userinfo_accepts_the_scheme_in_any_case(browser, citizen, oidc_client):
    """RFC 7235 §2.1: the auth scheme is case-insensitive."""
    from tests.http.test_token_lifecycle import tokens_for

    access_token = tokens_for(browser, citizen, oidc_client)["access_token"]
    resp = browser.http.get("/oauth2/userinfo", headers={"Authorization": f"bEaReR {access_token}"})
    assert resp.status_code == 200
