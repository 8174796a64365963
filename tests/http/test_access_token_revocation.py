"""Access tokens of both formats (opaque records, RFC 9068 JWTs) revoked by group:
a login session, a citizen, a client, a citizen at one client, a refresh family, a code.
A group's marker revokes the tokens issued until then, never the ones issued after."""

from __future__ import annotations

import base64
import json

import jwt
import pytest

from tests.conftest import query_of
from tests.http.driver import Browser
from tests.http.test_code_flow import redeem
from tests.http.test_token_lifecycle import introspect, make_client, refresh, tokens_for

FORMATS = ["opaque", "jwt"]


@pytest.fixture
def browser(app, outbox):
    return Browser(app, outbox)


def agency_of(app, token_format: str, **kw) -> dict:
    metadata = {"access_token_format": "jwt"} if token_format == "jwt" else {}
    return make_client(app, trusted=True, extra_metadata=metadata, **kw)


def active(browser, client, token: str) -> bool:
    return introspect(browser.http, client, token)["active"]


def userinfo_status(browser, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return browser.http.get("/oauth2/userinfo", headers=headers).status_code


def sid_of(browser, client, tokens) -> str:
    return jwt.decode(tokens["id_token"], options={"verify_signature": False})["sid"]


@pytest.mark.parametrize("token_format", FORMATS)
def test_ending_the_session_revokes_its_access_tokens_only(app, browser, citizen, token_format):
    from idp.login_session import sessions_of
    from idp.sign_out import end_sessions

    client = agency_of(app, token_format)
    tokens = tokens_for(browser, citizen, client)
    other_browser = Browser(app, browser.outbox)
    other = tokens_for(other_browser, citizen, client)
    sid = sid_of(browser, client, tokens)
    with app.test_request_context():
        end_sessions([s for s in sessions_of(citizen["id"]) if s.sid == sid], reason="test")
    assert not active(browser, client, tokens["access_token"])
    assert userinfo_status(browser, tokens["access_token"]) == 401
    assert active(other_browser, client, other["access_token"])
    assert userinfo_status(other_browser, other["access_token"]) == 200


@pytest.mark.parametrize("token_format", FORMATS)
def test_a_citizens_tokens_end_and_new_ones_work(app, browser, citizen, token_format):
    from idp.extensions import db
    from idp.sign_out import revoke_tokens_of

    client = agency_of(app, token_format)
    tokens = tokens_for(browser, citizen, client)
    with app.app_context():
        revoke_tokens_of(citizen["id"])
        db.session.commit()
    assert not active(browser, client, tokens["access_token"])
    assert refresh(browser.http, client, tokens["refresh_token"]).status_code == 400
    # Signed in again at once, in the same second: the new token is not caught.
    url, req = browser.authorize_url(client["client_id"])
    code = query_of(browser.get(url).location)["code"]
    fresh = redeem(browser.http, client, code, req["verifier"]).get_json()
    assert active(browser, client, fresh["access_token"])
    assert userinfo_status(browser, fresh["access_token"]) == 200


@pytest.mark.parametrize("token_format", FORMATS)
def test_a_suspended_client_loses_its_access_tokens(app, browser, citizen, token_format):
    from idp.oidc.clients import REACTIVATE, SUSPEND, change_status

    client = agency_of(app, token_format)
    tokens = tokens_for(browser, citizen, client)
    auth = (client["client_id"], client["client_secret"])
    with app.test_request_context():
        change_status(client["client_id"], SUSPEND, actor="test")
        change_status(client["client_id"], REACTIVATE, actor="test")
    assert not active(browser, client, tokens["access_token"])
    assert userinfo_status(browser, tokens["access_token"]) == 401
    resp = browser.http.post("/oauth2/revoke", data={"token": tokens["access_token"]}, auth=auth)
    assert resp.status_code == 200


@pytest.mark.parametrize("token_format", FORMATS)
def test_disconnecting_an_agency_ends_that_agencys_tokens_only(app, browser, citizen, token_format):
    from idp.account.agencies import revoke_agency

    client = agency_of(app, token_format)
    kept = agency_of(app, token_format)
    tokens = tokens_for(browser, citizen, client)
    other = tokens_for(Browser(app, browser.outbox), citizen, kept)
    with app.test_request_context():
        assert revoke_agency(citizen["id"], client["client_id"]) is True
    assert not active(browser, client, tokens["access_token"])
    assert active(browser, kept, other["access_token"])


@pytest.mark.parametrize("token_format", FORMATS)
def test_refresh_rotation_and_revocation_pair_the_tokens(app, browser, citizen, token_format):
    client = agency_of(app, token_format)
    tokens = tokens_for(browser, citizen, client)
    rotated = refresh(browser.http, client, tokens["refresh_token"]).get_json()
    assert not active(browser, client, tokens["access_token"])  # rotated away with its pair
    assert active(browser, client, rotated["access_token"])
    auth = (client["client_id"], client["client_secret"])
    # RFC 7009: revoking the access token revokes its refresh token too.
    browser.http.post("/oauth2/revoke", data={"token": rotated["access_token"]}, auth=auth)
    assert refresh(browser.http, client, rotated["refresh_token"]).status_code == 400


@pytest.mark.parametrize("token_format", FORMATS)
def test_a_reused_code_revokes_the_access_token_it_gave(app, browser, citizen, token_format):
    client = agency_of(app, token_format, scope="openid profile")
    tokens_for(browser, citizen, client)
    url, req = browser.authorize_url(client["client_id"], scope="openid")
    code = query_of(browser.get(url).location)["code"]
    first = redeem(browser.http, client, code, req["verifier"]).get_json()
    assert active(browser, client, first["access_token"])
    again = redeem(browser.http, client, code, req["verifier"])
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    assert not active(browser, client, first["access_token"])


def test_a_jwt_access_token_names_no_citizen(app, browser, citizen):
    client = agency_of(app, "jwt")
    access = tokens_for(browser, citizen, client)["access_token"]
    header = jwt.get_unverified_header(access)
    assert header["alg"] == "ES256" and header["typ"] == "at+jwt"
    payload = access.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert {"jti", "iat", "exp", "client_id", "scope", "sub", "sid", "idp"} <= set(claims)
    assert citizen["id_number"] not in json.dumps(claims)
    sealed = base64.urlsafe_b64decode(claims["idp"] + "=" * (-len(claims["idp"]) % 4))
    assert b'"c"' not in sealed  # the private context is encrypted, not just encoded
    # Each token's sealed context differs (random nonce): it links no two tokens.
    second = tokens_for(Browser(app, browser.outbox), citizen, client)["access_token"]
    payload = second.split(".")[1]
    claims2 = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims2["idp"] != claims["idp"]
