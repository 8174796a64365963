"""Bad authorization requests: error pages where redirecting is unsafe, RFC errors otherwise."""

from __future__ import annotations

import pytest

from tests.conftest import REDIRECT_URI, query_of
from tests.http.driver import Browser


@pytest.fixture
def browser(app, outbox):
    return Browser(app, outbox)


def test_unknown_client_gets_an_error_page_not_a_redirect(browser):
    url, _ = browser.authorize_url("no-such-client")
    resp = browser.get(url)
    assert resp.status_code == 400
    assert "Location" not in resp.headers
    assert "chưa được đăng ký" in resp.get_data(as_text=True)


def test_unregistered_redirect_uri_gets_an_error_page(browser, oidc_client):
    url, _ = browser.authorize_url(oidc_client["client_id"], redirect_uri="https://evil.example/cb")
    resp = browser.get(url)
    assert resp.status_code == 400
    assert "Location" not in resp.headers


def test_redirect_uri_must_match_exactly(browser, oidc_client):
    url, _ = browser.authorize_url(oidc_client["client_id"], redirect_uri=REDIRECT_URI + "/x")
    assert browser.get(url).status_code == 400


def test_unsupported_response_type_is_redirected_with_iss(browser, oidc_client):
    url, _ = browser.authorize_url(oidc_client["client_id"], response_type="token")
    resp = browser.get(url)
    assert resp.status_code == 302
    params = query_of(resp.location)
    assert params["error"] in ("unsupported_response_type", "unauthorized_client")
    assert params["state"] == "st-123"
    assert params["iss"] == "http://127.0.0.1:5000"


@pytest.mark.parametrize("response_type", ['co"de', "co\\de", "mã", "code\u00a0"])
def test_a_response_type_outside_the_error_characters_is_still_an_error(
    browser, oidc_client, response_type
):
    """Authlib quotes the response_type in its error description; characters RFC 6749
    forbids there made it raise (a 500). They are replaced, the error goes back."""
    url, _ = browser.authorize_url(oidc_client["client_id"], response_type=response_type)
    resp = browser.get(url)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    params = query_of(resp.location)
    assert params["error"] == "unsupported_response_type"
    description = params["error_description"]
    assert all(0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in description), description


def test_plain_pkce_is_refused(browser, oidc_client):
    url, _ = browser.authorize_url(oidc_client["client_id"], code_challenge_method="plain")
    resp = browser.get(url)
    assert resp.status_code == 302
    assert query_of(resp.location)["error"] == "invalid_request"


def test_public_client_must_use_pkce(app, browser):
    from idp.oidc.clients import create_client

    with app.app_context():
        client_id, secret = create_client(
            name="SPA", redirect_uris=[REDIRECT_URI], auth_method="none", scope="openid"
        )
    assert secret is None
    url, _ = browser.authorize_url(client_id, code_challenge=None, code_challenge_method=None)
    resp = browser.get(url)
    assert resp.status_code == 302
    assert query_of(resp.location)["error"] == "invalid_request"


def test_confidential_client_must_use_pkce_too(browser, oidc_client):
    """RFC 9700 §2.1.1: PKCE from every client, confidential ones included."""
    url, _ = browser.authorize_url(
        oidc_client["client_id"], code_challenge=None, code_challenge_method=None
    )
    resp = browser.get(url)
    assert resp.status_code == 302
    params = query_of(resp.location)
    assert params["error"] == "invalid_request" and "code_challenge" in params["error_description"]


def test_a_public_client_cannot_be_exempted_from_pkce(app):
    from idp.errors import DomainError
    from idp.oidc.clients import PUBLIC_CLIENT_NEEDS_PKCE, create_client

    with app.app_context(), pytest.raises(DomainError) as refused:
        create_client(
            name="SPA", redirect_uris=[REDIRECT_URI], auth_method="none", pkce_exempt=True
        )
    assert refused.value.problem == PUBLIC_CLIENT_NEEDS_PKCE


def test_repeated_parameter_is_refused(browser, oidc_client):
    url, _ = browser.authorize_url(oidc_client["client_id"])
    resp = browser.get(url + "&state=again")
    assert resp.status_code == 400


def test_huge_parameter_is_refused(browser, oidc_client):
    url, _ = browser.authorize_url(oidc_client["client_id"], state="x" * 5000)
    resp = browser.get(url)
    assert resp.status_code in (400, 414)


def test_bad_utf8_does_not_500(browser, oidc_client):
    url, _ = browser.authorize_url(oidc_client["client_id"])
    resp = browser.get(url + "&nonce=%FF%FE")
    assert resp.status_code < 500


def test_invalid_scope_is_redirected(browser, oidc_client):
    url, _ = browser.authorize_url(oidc_client["client_id"], scope="openid admin")
    resp = browser.get(url)
    assert resp.status_code == 302
    assert query_of(resp.location)["error"] == "invalid_scope"


def test_prompt_none_without_session_returns_login_required(browser, oidc_client):
    url, _ = browser.authorize_url(oidc_client["client_id"], prompt="none")
    resp = browser.get(url)
    assert resp.status_code == 302
    params = query_of(resp.location)
    assert params["error"] == "login_required"
    assert params["state"] == "st-123"
    assert params["iss"] == "http://127.0.0.1:5000"


def test_bad_max_age_is_invalid_request(browser, oidc_client):
    url, _ = browser.authorize_url(oidc_client["client_id"], max_age="soon")
    resp = browser.get(url)
    assert query_of(resp.location)["error"] == "invalid_request"


def test_post_authorization_request_is_accepted(browser, oidc_client):
    _, params = browser.authorize_url(oidc_client["client_id"])
    params.pop("verifier")
    resp = browser.http.post("/oauth2/authorize", data=params)
    assert resp.status_code == 302
    assert "/login?flow=" in resp.location
