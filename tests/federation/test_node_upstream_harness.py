"""The federation harness on its own, without the provider under test: node-oidc-provider
as upstream (tests/federation/node_upstream.py), and an Authlib client against it over
real HTTP on 127.0.0.1. Code flow with PKCE, the RFC 9207 ``iss`` on the callback, the ID
token verified against the JWKS, the claims from userinfo, and back-channel logout when the
browser signs out at the upstream. Skipped where Node.js is missing."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.federation.node_upstream import (
    NodeUpstream,
    end_session,
    ensure_node_oidc_provider,
    sign_in,
)
from tests.federation.receiver import Receiver
from tests.live import LiveServer

pytestmark = pytest.mark.servers

CLIENT_ID = "agency-portal"
CLIENT_SECRET = "a-secret-of-the-agency-portal"
SCOPE = "openid profile phone citizen_id"
ACCOUNT_ID = "upstream-citizen-1"
ACCOUNT = {
    "citizen_id": "066090001234",
    "name": "Nguyễn Văn An",
    "birthdate": "1990-05-17",
    "phone_number": "+84912345678",
    "phone_number_verified": True,
}


@pytest.fixture
def node():
    ensure_node_oidc_provider()


@pytest.fixture
def receiver():
    app = Receiver()
    with LiveServer(app) as server:
        server.app = app
        yield server


@pytest.fixture
def upstream(node, receiver):
    client = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [receiver.url + "/callback"],
        "post_logout_redirect_uris": [receiver.url + "/signed-out"],
        "backchannel_logout_uri": receiver.url + "/backchannel-logout",
    }
    with NodeUpstream([client], {ACCOUNT_ID: ACCOUNT}) as started:
        yield started


def test_code_flow_userinfo_and_back_channel_logout(upstream, receiver):
    metadata = upstream.metadata
    assert metadata["issuer"] == upstream.issuer
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert metadata["backchannel_logout_session_supported"] is True

    client = OAuth2Session(
        CLIENT_ID,
        CLIENT_SECRET,
        scope=SCOPE,
        redirect_uri=receiver.url + "/callback",
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    authorizations: list[str | None] = []
    client.hooks["response"].append(
        lambda response, **_: authorizations.append(response.request.headers.get("Authorization"))
    )
    verifier, nonce = generate_token(48), generate_token(20)
    url, state = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )

    browser = requests.Session()
    page = browser.get(url, timeout=10)
    assert urlsplit(page.url).path.startswith("/interaction/"), page.text
    landed = sign_in(browser, page, ACCOUNT_ID)
    assert landed.status_code == 200, upstream.stderr()
    assert landed.url.startswith(receiver.url + "/callback?")
    callback = parse_qs(urlsplit(landed.url).query)
    assert callback["state"] == [state]
    assert callback["iss"] == [upstream.issuer]  # RFC 9207
    assert set(callback) == {"code", "state", "iss"}

    token = client.fetch_token(
        metadata["token_endpoint"], authorization_response=landed.url, code_verifier=verifier
    )
    assert authorizations[-1].startswith("Basic ")
    assert token["token_type"].lower() == "bearer"
    assert set(token["scope"].split()) == set(SCOPE.split())

    keys = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    id_token = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": upstream.issuer},
        aud={"essential": True, "value": CLIENT_ID},
        sub={"essential": True, "value": ACCOUNT_ID},
        nonce={"essential": True, "value": nonce},
        sid={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    ).validate(id_token.claims)

    userinfo = client.get(metadata["userinfo_endpoint"], timeout=10)
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json() == {"sub": ACCOUNT_ID, **ACCOUNT}

    assert receiver.app.to("/backchannel-logout") == []
    signed_out = end_session(
        browser,
        upstream,
        id_token_hint=token["id_token"],
        post_logout_redirect_uri=receiver.url + "/signed-out",
        state="after-logout",
    )
    assert signed_out.status_code == 200, upstream.stderr()
    assert signed_out.url == receiver.url + "/signed-out?state=after-logout"

    (delivered,) = receiver.app.to("/backchannel-logout")
    assert delivered["method"] == "POST", delivered
    assert delivered["content_type"].startswith("application/x-www-form-urlencoded")
    logout = jwt.decode(delivered["form"]["logout_token"], keys, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": upstream.issuer},
        aud={"essential": True, "value": CLIENT_ID},
        sub={"essential": True, "value": ACCOUNT_ID},
        sid={"essential": True, "value": id_token.claims["sid"]},
        jti={"essential": True},
        iat={"essential": True},
    ).validate(logout.claims)
    assert logout.claims["events"] == {"http://schemas.openid.net/event/backchannel-logout": {}}
    assert "nonce" not in logout.claims

    # The upstream's session is gone: a new authorization asks for the login again.
    url, _ = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=generate_token(48), nonce=nonce
    )
    again = browser.get(url, timeout=10)
    assert 'name="prompt" value="login"' in again.text
