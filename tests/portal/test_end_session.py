"""The provider's end-session endpoint (RP-Initiated Logout 1.0), over real HTTP."""

from __future__ import annotations

import base64
import json
import time

import pytest
from joserfc import jwt as jose_jwt

from tests.portal.citizen_browser import parse_page
from tests.portal.conftest import sign_in

pytestmark = pytest.mark.servers


@pytest.fixture
def signed_in(provider, portals, citizen, browser, outbox):
    """A citizen signed in at the provider and one portal; returns (portal, id_token)."""
    portal = portals()
    sign_in(browser, portal, citizen, outbox)
    return portal, portal.session_of(browser)["tokens"]["id_token"]


def end_session(browser, provider, **params):
    """One request to the end-session endpoint, redirects not followed."""
    return browser.http.get(
        provider.url + "/oauth2/logout", params=params, allow_redirects=False, timeout=15
    )


def still_signed_in(browser, provider) -> bool:
    return "bạn đang đăng nhập" in browser.get(provider.url + "/").text


def reissue(provider, id_token: str, **changes) -> str:
    """The same ID token re-signed by the provider with ``changes`` to its claims."""
    from idp.oidc.grants import sign_jwt

    claims = {**jose_jwt.decode(id_token, _jwks(provider)).claims, **changes}
    with provider.app.app_context():
        return sign_jwt({"typ": "JWT"}, claims, "RS256")


def _jwks(provider):
    from joserfc.jwk import KeySet

    from idp.services import services

    with provider.app.app_context():
        return KeySet.import_key_set(services().keys.jwks())


def test_a_valid_hint_logs_out_at_once_and_returns_state(browser, provider, signed_in):
    portal, id_token = signed_in
    response = end_session(
        browser,
        provider,
        id_token_hint=id_token,
        post_logout_redirect_uri=portal.url + "/",
        state="st-logout-1",
        client_id=portal.client_id,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == portal.url + "/?state=st-logout-1"
    assert not still_signed_in(browser, provider)
    assert portal.session_of(browser) is None  # back-channel logout reached the portal


def test_an_unregistered_post_logout_redirect_uri_is_never_followed(browser, provider, signed_in):
    _portal, id_token = signed_in
    response = end_session(
        browser,
        provider,
        id_token_hint=id_token,
        post_logout_redirect_uri="https://evil.example/",
        state="st",
    )
    assert response.status_code == 400 and "Location" not in response.headers
    assert "không khớp với địa chỉ ứng dụng đã đăng ký" in response.text
    assert still_signed_in(browser, provider)


def test_a_modified_id_token_hint_is_refused(browser, provider, signed_in):
    portal, id_token = signed_in
    header, payload, signature = id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "somebody-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    tampered = f"{header}.{forged}.{signature}"
    response = end_session(
        browser,
        provider,
        id_token_hint=tampered,
        post_logout_redirect_uri=portal.url + "/",
        state="st",
    )
    assert response.status_code == 400 and "Location" not in response.headers
    assert "Yêu cầu đăng xuất không hợp lệ" in response.text
    assert still_signed_in(browser, provider)


def test_a_hint_from_another_issuer_is_refused(browser, provider, signed_in):
    portal, id_token = signed_in
    foreign = reissue(provider, id_token, iss="https://other-provider.example")
    response = end_session(
        browser, provider, id_token_hint=foreign, post_logout_redirect_uri=portal.url + "/"
    )
    assert response.status_code == 400 and still_signed_in(browser, provider)


def test_a_client_id_that_is_not_the_hints_audience_is_refused(
    browser, provider, portals, signed_in
):
    _portal, id_token = signed_in
    other = portals("Cổng khác")
    response = end_session(
        browser,
        provider,
        id_token_hint=id_token,
        client_id=other.client_id,
        post_logout_redirect_uri=other.url + "/",
    )
    assert response.status_code == 400 and still_signed_in(browser, provider)


def test_an_expired_hint_is_still_accepted_for_logout(browser, provider, signed_in):
    portal, id_token = signed_in
    long_ago = int(time.time()) - 7200
    expired = reissue(provider, id_token, iat=long_ago, exp=long_ago + 60)
    response = end_session(
        browser,
        provider,
        id_token_hint=expired,
        post_logout_redirect_uri=portal.url + "/",
        state="st-expired",
    )
    assert response.headers.get("Location") == portal.url + "/?state=st-expired"
    assert not still_signed_in(browser, provider)


def test_no_parameters_ask_for_confirmation_first(browser, provider, signed_in):
    portal, _ = signed_in
    page = end_session(browser, provider)
    assert page.status_code == 200 and "Bạn có muốn đăng xuất?" in page.text
    assert still_signed_in(browser, provider)

    done = browser.submit(page, button="Đăng xuất")

    assert "Bạn đã đăng xuất" in done.text
    assert not still_signed_in(browser, provider)
    assert portal.session_of(browser) is None


def test_a_hint_for_another_session_asks_for_confirmation(browser, provider, signed_in):
    portal, id_token = signed_in
    other_session = reissue(provider, id_token, sid="some-other-session")
    page = end_session(
        browser,
        provider,
        id_token_hint=other_session,
        post_logout_redirect_uri=portal.url + "/",
        state="st-confirm",
    )
    assert "Bạn có muốn đăng xuất?" in page.text and still_signed_in(browser, provider)
    form = parse_page(page.text).forms[0]
    assert form.fields["state"] == "st-confirm"

    confirmed = browser.http.post(
        provider.url + "/oauth2/logout",
        data={**form.fields, "confirm": "yes"},
        allow_redirects=False,
        timeout=15,
    )
    assert confirmed.headers["Location"] == portal.url + "/?state=st-confirm"
    assert not still_signed_in(browser, provider)


def test_a_confirmation_without_the_forms_csrf_token_does_nothing(browser, provider, signed_in):
    response = browser.http.post(
        provider.url + "/oauth2/logout", data={"confirm": "yes"}, timeout=15
    )
    assert response.status_code == 400
    assert still_signed_in(browser, provider)


def test_without_a_provider_session_a_valid_hint_just_returns(browser, provider, signed_in):
    portal, id_token = signed_in
    browser.http.cookies.clear()
    response = end_session(
        browser,
        provider,
        id_token_hint=id_token,
        post_logout_redirect_uri=portal.url + "/",
        state="st-gone",
    )
    assert response.headers["Location"] == portal.url + "/?state=st-gone"
