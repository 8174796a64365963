"""The authorization code flow end to end through the real forms, checked with PyJWT."""

from __future__ import annotations

import json

import jwt
import pytest

from tests.conftest import REDIRECT_URI, query_of
from tests.http.driver import Browser

ISSUER = "http://127.0.0.1:5000"


def redeem(http, client, code, verifier, **extra):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
        **extra,
    }
    return http.post(
        "/oauth2/token", data=data, auth=(client["client_id"], client["client_secret"])
    )


def verify_id_token(http, id_token: str, audience: str, nonce: str | None = "n-456") -> dict:
    jwks = http.get("/oauth2/jwks").get_json()
    header = jwt.get_unverified_header(id_token)
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    key = jwt.PyJWK.from_dict(jwk)
    claims = jwt.decode(
        id_token, key.key, algorithms=[header["alg"]], audience=audience, issuer=ISSUER
    )
    if nonce:
        assert claims["nonce"] == nonce
    return claims


@pytest.fixture
def browser(app, outbox):
    return Browser(app, outbox)


def test_full_code_flow_issues_verified_id_token_and_userinfo(browser, citizen, oidc_client):
    url, req = browser.authorize_url(oidc_client["client_id"])
    resp = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    assert resp.status_code == 302
    assert resp.location.startswith(REDIRECT_URI)
    params = query_of(resp.location)
    assert params["state"] == "st-123"
    assert params["iss"] == ISSUER  # RFC 9207

    token_resp = redeem(browser.http, oidc_client, params["code"], req["verifier"])
    assert token_resp.status_code == 200, token_resp.get_data(as_text=True)
    assert token_resp.headers["Cache-Control"] == "no-store"
    tokens = token_resp.get_json()
    claims = verify_id_token(browser.http, tokens["id_token"], oidc_client["client_id"])
    assert claims["sub"] == citizen["sub"] and claims["sub"] != citizen["id_number"]
    assert claims["azp"] == oidc_client["client_id"]
    assert claims["acr"] == "LoA1"
    assert claims["amr"] == ["pwd", "sms", "mfa"]
    assert {"auth_time", "at_hash", "sid", "iat", "exp"} <= set(claims)

    info = browser.http.get(
        "/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.status_code == 200
    body = info.get_json()
    assert body["sub"] == citizen["sub"]
    assert body["name"] == "Nguyễn Văn An"
    assert body["phone_number"] == "+84912345678"
    assert "citizen_id" not in body  # not asked for by scope

    posted = browser.http.post("/oauth2/userinfo", data={"access_token": tokens["access_token"]})
    assert posted.status_code == 200 and posted.get_json()["sub"] == citizen["sub"]


def test_a_legacy_agency_exempted_by_an_operator_logs_in_without_pkce(app, browser, citizen):
    """A portal integrated with the real national portal may send no PKCE: the operator
    exempts its client (``idp clients update ID --pkce-exempt``); if it does send PKCE,
    the verifier is still checked."""
    from idp.oidc.clients import create_client, set_pkce_exemption

    with app.app_context():
        client_id, secret = create_client(
            name="Cổng cũ", redirect_uris=[REDIRECT_URI], trusted=True, pkce_exempt=True
        )
    client = {"client_id": client_id, "client_secret": secret}
    url, _ = browser.authorize_url(client_id, code_challenge=None, code_challenge_method=None)
    resp = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    assert resp.status_code == 302 and "code" in query_of(resp.location), resp.location
    tokens = redeem(browser.http, client, query_of(resp.location)["code"], None)
    assert tokens.status_code == 200, tokens.get_data(as_text=True)

    url, _ = browser.authorize_url(client_id)
    code = query_of(browser.get(url).location)["code"]  # signed in: no login this time
    assert redeem(browser.http, client, code, "x" * 43).get_json()["error"] == "invalid_grant"

    with app.app_context():
        set_pkce_exemption(client_id, False, actor="test")
    url, _ = browser.authorize_url(client_id, code_challenge=None, code_challenge_method=None)
    assert query_of(browser.get(url).location)["error"] == "invalid_request"


def test_discovery_advertises_national_portal_paths(app):
    http = app.test_client()
    resp = http.get("/.well-known/openid-configuration")
    meta = resp.get_json()
    assert meta["issuer"] == ISSUER
    assert meta["authorization_endpoint"] == f"{ISSUER}/oauth2/authorize"
    assert meta["token_endpoint"] == f"{ISSUER}/oauth2/token"
    assert meta["userinfo_endpoint"] == f"{ISSUER}/oauth2/userinfo"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert "LoA1" in meta["acr_values_supported"]
    assert "SoDinhDanh" in meta["claims_supported"]
    again = http.get(
        "/.well-known/openid-configuration", headers={"If-None-Match": resp.headers["ETag"]}
    )
    assert again.status_code == 304


def test_jwks_has_no_private_members(app):
    keys = app.test_client().get("/oauth2/jwks").get_json()["keys"]
    assert {k["alg"] for k in keys} == {"RS256", "ES256"}
    for key in keys:
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    assert json.dumps(keys)
