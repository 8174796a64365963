"""A public client with DPoP (RFC 9449) over real HTTP on 127.0.0.1: requests and PyJWT,
nothing of the provider's libraries, make every proof. The code flow through the pages,
DPoP-bound tokens, userinfo with the proof, a refresh with the same key; the bound token
refused as a bearer token and the refresh refused without the key."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import CITIZEN, Outbox
from tests.live import LiveServer, free_port
from tests.servers.test_independent_client import sign_in_through_the_pages

pytestmark = pytest.mark.servers
CALLBACK = "http://127.0.0.1:9/callback"


class Key:
    def __init__(self):
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key()))

    def proof(self, method: str, url: str, access_token: str | None = None) -> str:
        claims = {"jti": uuid.uuid4().hex, "htm": method, "htu": url, "iat": int(time.time())}
        if access_token:
            digest = hashlib.sha256(access_token.encode()).digest()
            claims["ath"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        headers = {"typ": "dpop+jwt", "jwk": self.jwk}
        return jwt.encode(claims, self.private, algorithm="ES256", headers=headers)


@pytest.fixture
def provider(app_factory):
    port = free_port()
    app = app_factory(IDP_ISSUER=f"http://127.0.0.1:{port}")
    from idp.citizens.creation import create_citizen
    from idp.oidc.clients import create_client

    with app.app_context():
        create_citizen(**CITIZEN, actor="test")
        client_id, _ = create_client(
            name="Ứng dụng di động (DPoP)",
            redirect_uris=[CALLBACK],
            scope="openid profile phone offline_access",
            trusted=True,
            auth_method="none",
            extra_metadata={"dpop_bound_access_tokens": True},
        )
    with LiveServer(app, port) as server:
        yield server, client_id, Outbox(app_factory.outbox)


def test_a_public_client_with_dpop_over_real_http(provider):
    server, client_id, outbox = provider
    meta = requests.get(f"{server.url}/.well-known/openid-configuration", timeout=5).json()
    assert "ES256" in meta["dpop_signing_alg_values_supported"]
    key = Key()
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid profile phone offline_access",
        "state": "st-dpop",
        "nonce": "n-dpop",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    callback = sign_in_through_the_pages(
        server, meta["authorization_endpoint"] + "?" + urlencode(query), outbox
    )
    code = dict(parse_qsl(urlsplit(callback).query))["code"]
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
        "client_id": client_id,
    }
    token_url = meta["token_endpoint"]
    without = requests.post(token_url, data=exchange, timeout=5)
    assert without.status_code == 400 and without.json()["error"] == "invalid_dpop_proof"
    tokens = requests.post(
        token_url, data=exchange, headers={"DPoP": key.proof("POST", token_url)}, timeout=5
    )
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "DPoP"

    userinfo_url = meta["userinfo_endpoint"]
    access = body["access_token"]
    info = requests.get(
        userinfo_url,
        headers={
            "Authorization": f"DPoP {access}",
            "DPoP": key.proof("GET", userinfo_url, access),
        },
        timeout=5,
    )
    assert info.status_code == 200 and info.json()["name"] == CITIZEN["full_name"]
    as_bearer = requests.get(userinfo_url, headers={"Authorization": f"Bearer {access}"}, timeout=5)
    assert as_bearer.status_code == 401

    refresh = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    refresh["client_id"] = client_id
    stolen = requests.post(
        token_url, data=refresh, headers={"DPoP": Key().proof("POST", token_url)}, timeout=5
    )
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_dpop_proof"
    renewed = requests.post(
        token_url, data=refresh, headers={"DPoP": key.proof("POST", token_url)}, timeout=5
    )
    assert renewed.status_code == 200, renewed.text
    fresh = renewed.json()["access_token"]
    again = requests.get(
        userinfo_url,
        headers={"Authorization": f"DPoP {fresh}", "DPoP": key.proof("GET", userinfo_url, fresh)},
        timeout=5,
    )
    assert again.status_code == 200
