"""An OIDC client library that is not Authlib (requests-oauthlib, on oauthlib) completes
the code flow against the provider served over real HTTP on 127.0.0.1: it fills the
forms, reads the OTP from the SMS outbox, and PyJWT verifies the ID token via the JWKS;
once with the request in the browser's URL, once pushed first (RFC 9126) by a client that
must push."""

from __future__ import annotations

import json
import os
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import jwt
import pytest
import requests
from requests_oauthlib import OAuth2Session

from tests.conftest import CITIZEN, Outbox
from tests.live import LiveServer, free_port

pytestmark = pytest.mark.servers


def form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


@pytest.fixture
def provider(app_factory):
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    app = app_factory(IDP_ISSUER=issuer)
    from idp.citizens.creation import create_citizen
    from idp.oidc.clients import create_client

    with app.app_context():
        create_citizen(**CITIZEN, actor="test")
        client_id, secret = create_client(
            name="Agency using oauthlib",
            redirect_uris=["http://127.0.0.1:9/callback"],
            scope="openid profile phone offline_access",
            trusted=True,
        )
        pushing_id, pushing_secret = create_client(
            name="Agency that must push",
            redirect_uris=["http://127.0.0.1:9/callback"],
            scope="openid profile phone",
            trusted=True,
            extra_metadata={"require_pushed_authorization_requests": True},
        )
    app.pushing_client = (pushing_id, pushing_secret)
    with LiveServer(app, port) as server:
        server.app = app
        yield server, client_id, secret, Outbox(app_factory.outbox)


def sign_in_through_the_pages(server, url: str, outbox: Outbox) -> str:
    """A citizen's browser from the authorization URL to the client's callback URL."""
    browser = requests.Session()
    resp = browser.get(url, timeout=5)  # follows to the method choice page
    page = resp.text
    assert "Tài khoản cấp bởi Cổng dịch vụ công quốc gia" in page
    resp = browser.post(
        f"{server.url}/login/method", data={**form_fields(page), "method": "password"}, timeout=5
    )
    resp = browser.post(
        resp.url,
        data={
            **form_fields(resp.text),
            "username": CITIZEN["id_number"],
            "password": CITIZEN["password"],
        },
        timeout=5,
    )
    assert "Mã OTP" in resp.text
    resp = browser.post(
        resp.url,
        data={**form_fields(resp.text), "otp": outbox.last_otp()},
        timeout=5,
        allow_redirects=False,
    )
    callback = urljoin(resp.url, resp.headers["Location"])
    while callback.startswith(server.url):
        resp = browser.get(callback, allow_redirects=False, timeout=5)
        callback = urljoin(resp.url, resp.headers["Location"])
    assert callback.startswith("http://127.0.0.1:9/callback")
    return callback


def oauthlib_client(server, client_id: str) -> tuple[dict, OAuth2Session]:
    """The provider's discovery document, and requests-oauthlib's session for the client
    (code flow with PKCE S256, the loopback callback)."""
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain http on loopback only
    meta = requests.get(f"{server.url}/.well-known/openid-configuration", timeout=5).json()
    oauth = OAuth2Session(
        client_id,
        redirect_uri="http://127.0.0.1:9/callback",
        scope=["openid", "profile", "phone"],
        pkce="S256",
    )
    return meta, oauth


def test_requests_oauthlib_completes_the_code_flow(provider):
    server, client_id, secret, outbox = provider
    meta, oauth = oauthlib_client(server, client_id)
    assert meta["issuer"] == server.url

    url, _ = oauth.authorization_url(meta["authorization_endpoint"], nonce="n-oauthlib")

    callback = sign_in_through_the_pages(server, url, outbox)

    token = oauth.fetch_token(
        meta["token_endpoint"],
        authorization_response=callback,
        client_secret=secret,
        include_client_id=False,
    )
    header = jwt.get_unverified_header(token["id_token"])
    jwks = jwt.PyJWKClient(meta["jwks_uri"])
    claims = jwt.decode(
        token["id_token"],
        jwks.get_signing_key(header["kid"]).key,
        algorithms=[header["alg"]],
        audience=client_id,
        issuer=server.url,
    )
    assert claims["nonce"] == "n-oauthlib" and claims["acr"] == "LoA1"
    info = oauth.get(meta["userinfo_endpoint"], timeout=5).json()
    assert info["sub"] == claims["sub"] and info["name"] == CITIZEN["full_name"]
    assert f"iss={server.url}".replace(":", "%3A").replace("/", "%2F") in callback


def test_requests_oauthlib_completes_the_code_flow_through_a_pushed_request(provider):
    """RFC 9126: the client pushes the request oauthlib built (with its PKCE challenge and
    state) to the endpoint discovery names, sends the browser with the request_uri only,
    and redeems the code as usual; the same request in the URL is refused."""
    server, _, _, outbox = provider
    client_id, secret = server.app.pushing_client
    meta, oauth = oauthlib_client(server, client_id)
    front_url, state = oauth.authorization_url(meta["authorization_endpoint"], nonce="n-par")
    refused = requests.get(front_url, allow_redirects=False, timeout=5)
    assert "error=invalid_request" in refused.headers["Location"]

    pushed = requests.post(
        meta["pushed_authorization_request_endpoint"],
        data=dict(parse_qsl(urlsplit(front_url).query)),
        auth=(client_id, secret),
        timeout=5,
    )
    assert pushed.status_code == 201, pushed.text
    reference = pushed.json()["request_uri"]
    url = (
        meta["authorization_endpoint"]
        + "?"
        + urlencode({"client_id": client_id, "request_uri": reference})
    )
    callback = sign_in_through_the_pages(server, url, outbox)
    assert dict(parse_qsl(urlsplit(callback).query))["state"] == state

    token = oauth.fetch_token(
        meta["token_endpoint"],
        authorization_response=callback,
        client_secret=secret,
        include_client_id=False,
    )
    claims = jwt.decode(token["id_token"], options={"verify_signature": False})
    assert claims["nonce"] == "n-par" and claims["aud"] == client_id
    assert oauth.get(meta["userinfo_endpoint"], timeout=5).json()["sub"] == claims["sub"]
    again = requests.get(url, allow_redirects=False, timeout=5)
    assert again.status_code == 400 and "invalid_request_uri" in again.text


def test_authlibs_client_pushes_as_docs_agencies_shows(provider):
    """The snippet of docs/agencies.md, "Pushed authorization requests", with Authlib's
    requests client: push, the short URL, the code exchange with the verifier."""
    from authlib.common.security import generate_token
    from authlib.integrations.requests_client import OAuth2Session as AuthlibSession

    server, _, _, outbox = provider
    client_id, secret = server.app.pushing_client
    meta = requests.get(f"{server.url}/.well-known/openid-configuration", timeout=5).json()
    oauth = AuthlibSession(
        client_id,
        secret,
        scope="openid profile",
        redirect_uri="http://127.0.0.1:9/callback",
        code_challenge_method="S256",
    )
    verifier = generate_token(48)
    url, state = oauth.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=generate_token(20)
    )
    pushed = oauth.post(
        meta["pushed_authorization_request_endpoint"],
        data=dict(parse_qsl(urlsplit(url).query)),
        auth=(client_id, secret),
        timeout=5,
    ).json()
    browser_url = (
        meta["authorization_endpoint"]
        + "?"
        + urlencode({"client_id": client_id, "request_uri": pushed["request_uri"]})
    )
    callback = sign_in_through_the_pages(server, browser_url, outbox)
    token = oauth.fetch_token(
        meta["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    assert token["token_type"] == "Bearer" and token["id_token"]
    assert dict(parse_qsl(urlsplit(callback).query))["state"] == state


def test_requests_oauthlib_completes_the_code_flow_with_a_signed_request_object(app_factory):
    """RFC 9101 over real HTTP: the client signs its request with PyJWT (ES256, a key it
    registered), the browser carries client_id and request only; requests-oauthlib
    redeems the code. The same object a second time is refused (its jti is spent)."""
    import time
    import uuid

    from cryptography.hazmat.primitives.asymmetric import ec

    port = free_port()
    app = app_factory(IDP_ISSUER=f"http://127.0.0.1:{port}")
    from idp.citizens.creation import create_citizen
    from idp.oidc.clients import create_client

    key = ec.generate_private_key(ec.SECP256R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    with app.app_context():
        create_citizen(**CITIZEN, actor="test")
        client_id, secret = create_client(
            name="Agency signing its requests",
            redirect_uris=["http://127.0.0.1:9/callback"],
            scope="openid profile phone",
            trusted=True,
            extra_metadata={"jwks": {"keys": [{**public, "kid": "k1"}]}},
        )
    with LiveServer(app, port) as server:
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
        meta = requests.get(f"{server.url}/.well-known/openid-configuration", timeout=5).json()
        assert meta["request_parameter_supported"] is True
        oauth = OAuth2Session(
            client_id,
            redirect_uri="http://127.0.0.1:9/callback",
            scope=["openid", "profile", "phone"],
            pkce="S256",
        )
        url, state = oauth.authorization_url(meta["authorization_endpoint"], nonce="n-jar")
        now = int(time.time())
        claims = {
            **dict(parse_qsl(urlsplit(url).query)),
            "iss": client_id,
            "aud": server.url,
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        }
        signed = jwt.encode(claims, key, algorithm="ES256", headers={"kid": "k1"})
        short = (
            meta["authorization_endpoint"]
            + "?"
            + urlencode({"client_id": client_id, "request": signed})
        )
        callback = sign_in_through_the_pages(server, short, Outbox(app_factory.outbox))
        assert dict(parse_qsl(urlsplit(callback).query))["state"] == state
        token = oauth.fetch_token(
            meta["token_endpoint"],
            authorization_response=callback,
            client_secret=secret,
            include_client_id=False,
        )
        assert jwt.decode(token["id_token"], options={"verify_signature": False})["nonce"] == (
            "n-jar"
        )
        replay = requests.get(short, allow_redirects=False, timeout=5)
        assert replay.status_code == 400 and "invalid_request_object" in replay.text
