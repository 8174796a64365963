"""Refresh rotation and family revocation, introspection, revocation, JWT access tokens,
client_credentials and private_key_jwt (checked with PyJWT, not Authlib)."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import REDIRECT_URI, query_of
from tests.http.driver import Browser
from tests.http.test_code_flow import redeem, verify_id_token

ISSUER = "http://127.0.0.1:5000"


@pytest.fixture
def browser(app, outbox):
    return Browser(app, outbox)


def make_client(app, **kw):
    from idp.oidc.clients import create_client

    kw.setdefault("name", "Cơ quan thử nghiệm")
    kw.setdefault("redirect_uris", [REDIRECT_URI])
    with app.app_context():
        client_id, secret = create_client(**kw)
    return {"client_id": client_id, "client_secret": secret}


def tokens_for(browser, citizen, client, **extra):
    url, req = browser.authorize_url(client["client_id"], **extra)
    resp = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    code = query_of(resp.location)["code"]
    resp = redeem(browser.http, client, code, req["verifier"])
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def refresh(http, client, refresh_token):
    return http.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(client["client_id"], client["client_secret"]),
    )


def userinfo_status(http, access_token):
    return http.get(
        "/oauth2/userinfo", headers={"Authorization": f"Bearer {access_token}"}
    ).status_code


def test_refresh_rotates_and_reuse_revokes_the_family(browser, citizen, oidc_client):
    first = tokens_for(browser, citizen, oidc_client)
    assert "refresh_token" in first  # trusted client
    second = refresh(browser.http, oidc_client, first["refresh_token"]).get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert userinfo_status(browser.http, second["access_token"]) == 200
    third = refresh(browser.http, oidc_client, second["refresh_token"]).get_json()
    # the thief replays the first refresh token
    replay = refresh(browser.http, oidc_client, first["refresh_token"])
    assert replay.status_code == 400 and replay.get_json()["error"] == "invalid_grant"
    assert userinfo_status(browser.http, third["access_token"]) == 401
    assert refresh(browser.http, oidc_client, third["refresh_token"]).status_code == 400


def test_no_refresh_token_without_offline_access_for_third_parties(app, browser, citizen):
    client = make_client(app, scope="openid profile offline_access")
    assert "refresh_token" not in tokens_for(browser, citizen, client)
    # signed in already: straight to the consent page for the new scope
    url, req = browser.authorize_url(client["client_id"], scope="openid offline_access")
    resp = browser.decide_consent(browser.get(url).location)
    code = query_of(resp.location)["code"]
    with_offline = redeem(browser.http, client, code, req["verifier"]).get_json()
    assert "refresh_token" in with_offline


def introspect(http, client, token, **extra):
    return http.post(
        "/oauth2/introspect",
        data={"token": token, **extra},
        auth=(client["client_id"], client["client_secret"]),
    ).get_json()


def test_introspection_only_for_owner_or_resource_server(app, browser, citizen, oidc_client):
    tokens = tokens_for(browser, citizen, oidc_client)
    own = introspect(browser.http, oidc_client, tokens["access_token"])
    assert own["active"] is True and own["sub"] == citizen["sub"]
    assert own["client_id"] == oidc_client["client_id"] and own["iss"] == ISSUER
    stranger = make_client(app)
    assert introspect(browser.http, stranger, tokens["access_token"]) == {"active": False}
    rs = make_client(app, extra_metadata={"resource_server": True})
    assert introspect(browser.http, rs, tokens["access_token"])["active"] is True
    ref = introspect(
        browser.http, oidc_client, tokens["refresh_token"], token_type_hint="refresh_token"
    )
    assert ref["active"] is True
    assert introspect(browser.http, oidc_client, "no-such-token") == {"active": False}
    bad = browser.http.post("/oauth2/introspect", data={"token": tokens["access_token"]})
    assert bad.status_code == 401


def test_revocation_of_access_and_refresh_tokens(browser, citizen, oidc_client):
    tokens = tokens_for(browser, citizen, oidc_client)
    auth = (oidc_client["client_id"], oidc_client["client_secret"])
    resp = browser.http.post("/oauth2/revoke", data={"token": tokens["access_token"]}, auth=auth)
    assert resp.status_code == 200
    resp = browser.http.get(
        "/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert resp.status_code == 401
    assert 'error="invalid_token"' in resp.headers["WWW-Authenticate"]
    assert introspect(browser.http, oidc_client, tokens["access_token"]) == {"active": False}
    assert refresh(browser.http, oidc_client, tokens["refresh_token"]).status_code == 400
    again = browser.http.post("/oauth2/revoke", data={"token": "unknown"}, auth=auth)
    assert again.status_code == 200  # RFC 7009 §2.2: unknown tokens are not an error


def test_revoking_another_clients_token_looks_like_an_unknown_token(
    app, browser, citizen, oidc_client
):
    """RFC 7009 §2.2: 200 for another client's live token as for an unknown one, and the
    token stays live (a 400 told the asking client that the token exists)."""
    tokens = tokens_for(browser, citizen, oidc_client)
    stranger = make_client(app)
    auth = (stranger["client_id"], stranger["client_secret"])
    for token in (tokens["access_token"], tokens["refresh_token"]):
        theirs = browser.http.post("/oauth2/revoke", data={"token": token}, auth=auth)
        unknown = browser.http.post("/oauth2/revoke", data={"token": token + "x"}, auth=auth)
        assert (theirs.status_code, theirs.get_data()) == (unknown.status_code, unknown.get_data())
        assert theirs.status_code == 200
    assert userinfo_status(browser.http, tokens["access_token"]) == 200
    assert introspect(browser.http, oidc_client, tokens["access_token"])["active"] is True
    assert refresh(browser.http, oidc_client, tokens["refresh_token"]).status_code == 200


def test_jwt_access_tokens_follow_rfc_9068(app, browser, citizen):
    client = make_client(
        app,
        trusted=True,
        alg="ES256",
        extra_metadata={
            "access_token_format": "jwt",
            "access_token_audience": "https://api.example",
        },
    )
    tokens = tokens_for(browser, citizen, client)
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256"
    jwks = browser.http.get("/oauth2/jwks").get_json()
    key = jwt.PyJWK.from_dict(next(k for k in jwks["keys"] if k["kid"] == header["kid"]))
    claims = jwt.decode(
        tokens["access_token"],
        key.key,
        algorithms=["ES256"],
        audience="https://api.example",
        issuer=ISSUER,
    )
    assert claims["client_id"] == client["client_id"] and claims["sub"] == citizen["sub"]
    assert {"exp", "iat", "jti", "scope", "auth_time", "acr"} <= set(claims)
    assert userinfo_status(browser.http, tokens["access_token"]) == 200
    id_claims = verify_id_token(browser.http, tokens["id_token"], client["client_id"])
    assert jwt.get_unverified_header(tokens["id_token"])["alg"] == "ES256"
    assert id_claims["sub"] == citizen["sub"]


def test_client_credentials_has_no_citizen(app, browser):
    client = make_client(app, extra_metadata={"grant_types": ["client_credentials"]})
    auth = (client["client_id"], client["client_secret"])
    resp = browser.http.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert "refresh_token" not in body and "id_token" not in body
    assert userinfo_status(browser.http, body["access_token"]) in (401, 403)
    info = introspect(browser.http, client, body["access_token"])
    assert info["active"] is True and "sub" not in info
    bad = browser.http.post(
        "/oauth2/token", data={"grant_type": "client_credentials", "scope": "profile"}, auth=auth
    )
    assert bad.get_json()["error"] == "invalid_scope"


def test_client_credentials_refused_for_clients_not_registered_for_it(browser, oidc_client):
    auth = (oidc_client["client_id"], oidc_client["client_secret"])
    resp = browser.http.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=auth)
    assert resp.get_json()["error"] == "unauthorized_client"


@pytest.fixture
def pkjwt_client(app):
    private = ec.generate_private_key(ec.SECP256R1())
    public_jwk = jwt.algorithms.ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    public_jwk.update(kid="k1", alg="ES256", use="sig")
    client = make_client(
        app,
        auth_method="private_key_jwt",
        extra_metadata={"jwks": {"keys": [public_jwk]}, "grant_types": ["client_credentials"]},
    )
    return client["client_id"], private


def assertion(client_id, key, **overrides):
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": f"{ISSUER}/oauth2/token",
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": "k1"})


def cc_with_assertion(http, token):
    return http.post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": token,
        },
    )


def test_private_key_jwt(browser, pkjwt_client):
    client_id, key = pkjwt_client
    good = assertion(client_id, key)
    assert cc_with_assertion(browser.http, good).status_code == 200
    # RFC 6749 §5.2: invalid_client (400 when no Authorization header was used).
    replay = cc_with_assertion(browser.http, good)
    assert replay.status_code == 400 and replay.get_json()["error"] == "invalid_client"
    other_key = ec.generate_private_key(ec.SECP256R1())
    wrong = cc_with_assertion(browser.http, assertion(client_id, other_key))
    assert wrong.get_json()["error"] == "invalid_client"
    wrong_aud = cc_with_assertion(browser.http, assertion(client_id, key, aud="https://other"))
    assert wrong_aud.get_json()["error"] == "invalid_client"
