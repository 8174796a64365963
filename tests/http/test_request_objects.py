"""Signed request objects (RFC 9101): by value at the authorization endpoint and inside a
pushed request, verified with the client's registered keys; every claim rule and replay
refused with an error page (or a JSON error at the push), never a 500."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import urlencode

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.conftest import REDIRECT_URI, pkce_pair, query_of
from tests.http.driver import Browser
from tests.http.test_code_flow import redeem, verify_id_token

ISSUER = "http://127.0.0.1:5000"


class SigningClient:
    """A client registered with its public key; signs request objects with the private one."""

    def __init__(self, app, alg: str = "ES256", **metadata):
        from idp.oidc.clients import create_client

        self.alg = alg
        if alg == "ES256":
            self.key = ec.generate_private_key(ec.SECP256R1())
            public = json.loads(pyjwt.algorithms.ECAlgorithm.to_jwk(self.key.public_key()))
        else:
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            public = json.loads(pyjwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        with app.app_context():
            self.client_id, self.client_secret = create_client(
                name="Cục Thuế",
                redirect_uris=[REDIRECT_URI],
                scope="openid profile phone",
                trusted=True,
                extra_metadata={"jwks": {"keys": [{**public, "kid": "k1"}]}, **metadata},
            )
        self.verifier, self.challenge = pkce_pair()

    @property
    def credentials(self) -> dict:
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    def claims(self, **changes) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "aud": ISSUER,
            "exp": now + 300,
            "nbf": now,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile phone",
            "state": "st-jar",
            "nonce": "n-jar",
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
            "max_age": 3600,
            "claims": {"id_token": {"phone_number": None}},
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims: dict, key=None, alg: str | None = None) -> str:
        return pyjwt.encode(
            claims, key or self.key, algorithm=alg or self.alg, headers={"kid": "k1"}
        )

    def url(self, request_object: str, **extra) -> str:
        query = {"client_id": self.client_id, "request": request_object, **extra}
        return "/oauth2/authorize?" + urlencode(query)


@pytest.fixture
def browser(app, outbox):
    return Browser(app, outbox)


def error_page_says(answer, error: str) -> bool:
    return answer.status_code == 400 and f"<code>{error}</code>" in answer.get_data(as_text=True)


def test_discovery_advertises_signed_request_objects(app):
    metadata = app.test_client().get("/.well-known/openid-configuration").get_json()
    assert metadata["request_parameter_supported"] is True
    assert metadata["request_object_signing_alg_values_supported"] == ["ES256", "PS256", "RS256"]
    assert metadata["request_uri_parameter_supported"] is False  # only pushed requests


@pytest.mark.parametrize("alg", ["ES256", "PS256", "RS256"])
def test_a_signed_request_object_completes_the_code_flow(app, browser, citizen, alg):
    client = SigningClient(app, alg=alg)
    url = client.url(client.sign(client.claims()), state="from-the-url", scope="openid citizen_id")
    done = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    assert done.status_code == 302 and done.location.startswith(REDIRECT_URI)
    returned = query_of(done.location)
    assert returned["state"] == "st-jar"  # the object's members only (RFC 9101 §6.3)
    tokens = redeem(browser.http, client.credentials, returned["code"], client.verifier)
    assert tokens.status_code == 200, tokens.get_data(as_text=True)
    claims = verify_id_token(browser.http, tokens.get_json()["id_token"], client.client_id, "n-jar")
    assert claims["phone_number"] == citizen["phone_e164"]  # the object's claims member
    assert "citizen_id" not in tokens.get_json()["scope"].split()


def test_a_request_object_inside_a_pushed_request(app, browser, citizen):
    client = SigningClient(app)
    request_object = client.sign(client.claims())
    pushed = browser.http.post(
        "/oauth2/par",
        data={"client_id": client.client_id, "request": request_object},
        auth=(client.client_id, client.client_secret),
    )
    assert pushed.status_code == 201, pushed.get_data(as_text=True)
    url = "/oauth2/authorize?" + urlencode(
        {"client_id": client.client_id, "request_uri": pushed.get_json()["request_uri"]}
    )
    done = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    assert query_of(done.location)["state"] == "st-jar"
    again = browser.http.post(
        "/oauth2/par",
        data={"client_id": client.client_id, "request": request_object},
        auth=(client.client_id, client.client_secret),
    )
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_request_object"


def test_a_request_object_works_once(app, browser):
    client = SigningClient(app)
    url = client.url(client.sign(client.claims()))
    assert browser.get(url).status_code == 302  # on to the login
    assert error_page_says(browser.get(url), "invalid_request_object")


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "someone-else"},
        {"iss": None},
        {"aud": "https://other.example"},
        {"aud": None},
        {"exp": None},
        {"exp": ("now", -600)},
        {"exp": ("now", 7200)},  # longer than an hour
        {"exp": "soon"},
        {"nbf": ("now", 600)},
        {"jti": None},
    ],
)
def test_claims_that_break_a_rule_are_refused(app, browser, changes):
    # Times are taken when the test runs, not when it is collected: a long run once let
    # an "nbf ten minutes ahead" fixed at collection pass as already reached.
    now = int(time.time())
    changes = {
        name: now + value[1] if isinstance(value, tuple) else value
        for name, value in changes.items()
    }
    client = SigningClient(app)
    answer = browser.get(client.url(client.sign(client.claims(**changes))))
    assert error_page_says(answer, "invalid_request_object"), answer.get_data(as_text=True)


def test_a_signature_by_another_key_or_none_is_refused(app, browser):
    client = SigningClient(app)
    stranger = ec.generate_private_key(ec.SECP256R1())
    forged = client.sign(client.claims(), key=stranger)
    assert error_page_says(browser.get(client.url(forged)), "invalid_request_object")
    unsigned = pyjwt.encode(client.claims(), None, algorithm="none")
    answer = browser.get(client.url(unsigned))
    assert answer.status_code == 400
    hs256 = pyjwt.encode(client.claims(), "a-shared-secret-of-some-length-0123", algorithm="HS256")
    assert browser.get(client.url(hs256)).status_code == 400


@pytest.mark.parametrize(
    ("changes", "extra", "error"),
    [
        ({"client_id": "other"}, {}, "invalid_request"),
        ({"request_uri": "urn:x"}, {}, "invalid_request"),
        ({}, {"request_uri": "https://x.example/r"}, "invalid_request"),
    ],
)
def test_mixed_or_nested_requests_are_refused(app, browser, changes, extra, error):
    client = SigningClient(app)
    answer = browser.get(client.url(client.sign(client.claims(**changes)), **extra))
    assert error_page_says(answer, error), answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "garbage", ["", "x", "a.b.c", "e30.e30.", "eyJhbGciOiJFUzI1NiJ9." + "A" * 3000 + ".sig"]
)
def test_malformed_request_objects_are_a_400(app, browser, garbage):
    client = SigningClient(app)
    answer = browser.get(client.url(garbage))
    assert answer.status_code == 400, answer.get_data(as_text=True)[:300]


def test_a_client_without_keys_cannot_send_one(browser, oidc_client):
    url = "/oauth2/authorize?" + urlencode(
        {"client_id": oidc_client["client_id"], "request": "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"}
    )
    assert error_page_says(browser.get(url), "invalid_request_object")


def test_a_client_that_must_sign_is_refused_plain_requests(app, browser, citizen):
    client = SigningClient(app, require_signed_request_object=True)
    plain = "/oauth2/authorize?" + urlencode(
        {
            k: v
            for k, v in client.claims().items()
            if isinstance(v, str) and k not in ("iss", "aud", "jti")
        }
    )
    assert error_page_says(browser.get(plain), "invalid_request")
    signed = client.url(client.sign(client.claims()))
    done = browser.login(signed, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    assert "code" in query_of(done.location)


def test_registration_takes_require_signed_request_object(app_factory):
    from tests.http.test_dynamic_registration import metadata, serve_provider

    server, provider = serve_provider(app_factory)
    with server:
        answer = provider.register(
            metadata(require_signed_request_object=True, request_object_signing_alg="ES256")
        )
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert body["require_signed_request_object"] is True
        assert body["request_object_signing_alg"] == "ES256"
        bad = provider.register(metadata(request_object_signing_alg="HS256"))
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_client_metadata"


def test_errors_never_reach_a_browser_as_a_500(app, outbox):
    browser = Browser(app, outbox)
    client = SigningClient(app)
    for claims in (
        client.claims(claims="not-an-object"),
        client.claims(max_age="soon"),
        client.claims(scope=["openid"]),
        client.claims(state={"a": 1}),
    ):
        answer = browser.get(client.url(client.sign(claims)))
        assert answer.status_code in (302, 400), answer.get_data(as_text=True)[:300]
