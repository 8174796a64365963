"""The FAPI 2.0 Security Profile switch: a client held to it completes the code flow only
the way the profile allows (PAR, private_key_jwt ES256/PS256, PKCE S256, DPoP, codes of
at most 60 s, ES256 ID tokens), and each thing the profile forbids is refused with the
RFCs' error codes; registration, the console and the CLI set it."""

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
from tests.http.test_dpop import DPoPKey

ISSUER = "http://127.0.0.1:5000"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class FapiClient:
    """A confidential agency client with an EC key (ES256) and an RSA key (RS256) in its
    jwks, and a DPoP key."""

    def __init__(self, app, profile: bool = True):
        from idp.oidc.clients import create_client
        from idp.oidc.security_profiles import fapi2_metadata

        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        keys = [
            {**json.loads(pyjwt.algorithms.ECAlgorithm.to_jwk(self.ec.public_key())), "kid": "ec"},
            {
                **json.loads(pyjwt.algorithms.RSAAlgorithm.to_jwk(self.rsa.public_key())),
                "kid": "rs",
            },
        ]
        metadata = {"jwks": {"keys": keys}, "token_endpoint_auth_method": "private_key_jwt"}
        if profile:
            metadata = fapi2_metadata(metadata)
        with app.app_context():
            self.client_id, _ = create_client(
                name="Tổng cục Thuế",
                redirect_uris=[REDIRECT_URI],
                scope="openid profile phone",
                trusted=True,
                auth_method="private_key_jwt",
                alg=metadata.get("id_token_signed_response_alg", "RS256"),
                extra_metadata=metadata,
            )
        self.dpop = DPoPKey()
        self.verifier, self.challenge = pkce_pair()

    def assertion(self, audience: str, alg: str = "ES256") -> dict:
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + 60,
        }
        key, kid = (self.ec, "ec") if alg == "ES256" else (self.rsa, "rs")
        signed = pyjwt.encode(claims, key, algorithm=alg, headers={"kid": kid})
        return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": signed}

    def request(self, **changes) -> dict:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile phone",
            "state": "st-fapi",
            "nonce": "n-fapi",
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
            **changes,
        }
        return {k: v for k, v in params.items() if v is not None}

    def push(self, http, alg: str = "ES256", **changes):
        data = {**self.request(**changes), **self.assertion(f"{ISSUER}/oauth2/par", alg)}
        return http.post("/oauth2/par", data=data)

    def redeem(self, http, code: str, dpop: str | None = "proof", alg: str = "ES256", later=0):
        proof = self.dpop.proof(iat=int(time.time()) + later)  # ``later``: the app's clock
        headers = {"DPoP": proof} if dpop == "proof" else {}
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": self.verifier,
            **self.assertion(f"{ISSUER}/oauth2/token", alg),
        }
        return http.post("/oauth2/token", data=data, headers=headers)


@pytest.fixture
def browser(app, outbox):
    return Browser(app, outbox)


def _code(browser, client: FapiClient, citizen) -> str:
    pushed = client.push(browser.http)
    assert pushed.status_code == 201, pushed.get_data(as_text=True)
    url = "/oauth2/authorize?" + urlencode(
        {"client_id": client.client_id, "request_uri": pushed.get_json()["request_uri"]}
    )
    done = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    returned = query_of(done.location)
    assert returned["iss"] == ISSUER  # RFC 9207
    return returned["code"]


def test_the_profiles_code_flow(app, browser, citizen):
    client = FapiClient(app)
    tokens = client.redeem(browser.http, _code(browser, client, citizen))
    assert tokens.status_code == 200, tokens.get_data(as_text=True)
    body = tokens.get_json()
    assert body["token_type"] == "DPoP"
    assert pyjwt.get_unverified_header(body["id_token"])["alg"] == "ES256"
    token = body["access_token"]
    info = browser.http.get(
        "/oauth2/userinfo",
        headers={
            "Authorization": f"DPoP {token}",
            "DPoP": client.dpop.proof("GET", f"{ISSUER}/oauth2/userinfo", token),
        },
    )
    assert info.status_code == 200 and info.get_json()["sub"] == citizen["sub"]


def test_the_front_channel_is_refused(app, browser):
    client = FapiClient(app)
    refused = browser.get("/oauth2/authorize?" + urlencode(client.request()))
    assert refused.status_code == 302
    assert query_of(refused.location)["error"] == "invalid_request"


def test_an_rs256_assertion_is_refused_at_the_push_and_the_token_endpoint(app, browser, citizen):
    client = FapiClient(app)
    pushed = client.push(browser.http, alg="RS256")
    assert pushed.status_code in (400, 401) and pushed.get_json()["error"] == "invalid_client"
    code = _code(browser, client, citizen)
    refused = client.redeem(browser.http, code, alg="RS256")
    assert refused.get_json()["error"] == "invalid_client"


def test_the_redirect_uri_must_be_named_and_pkce_sent(app, browser):
    client = FapiClient(app)
    no_redirect = client.push(browser.http, redirect_uri=None)
    assert no_redirect.status_code == 400 and no_redirect.get_json()["error"] == "invalid_request"
    no_pkce = client.push(browser.http, code_challenge=None)
    assert no_pkce.status_code == 400 and no_pkce.get_json()["error"] == "invalid_request"


def test_tokens_need_a_dpop_proof_signed_es256_or_ps256(app, browser, citizen):
    client = FapiClient(app)
    code = _code(browser, client, citizen)
    without = client.redeem(browser.http, code, dpop=None)
    assert without.status_code == 400 and without.get_json()["error"] == "invalid_dpop_proof"
    client.dpop = DPoPKey("RS256")
    rs256 = client.redeem(browser.http, code)
    assert rs256.status_code == 400 and rs256.get_json()["error"] == "invalid_dpop_proof"
    client.dpop = DPoPKey("PS256")
    assert client.redeem(browser.http, code).status_code == 200  # the code was not spent


def test_codes_last_at_most_sixty_seconds(app_factory, outbox, citizen, clock):
    app = app_factory(AUTH_CODE_SECONDS=300)
    browser = Browser(app, outbox)
    client = FapiClient(app)
    code = _code(browser, client, citizen)
    clock.advance(61)
    late = client.redeem(browser.http, code, later=61)
    assert late.status_code == 400 and late.get_json()["error"] == "invalid_grant"


def test_a_fapi_client_is_never_exempt_from_pkce(app):
    from idp.errors import DomainError
    from idp.oidc.clients import set_pkce_exemption

    client = FapiClient(app)
    with app.app_context(), pytest.raises(DomainError):
        set_pkce_exemption(client.client_id, True, actor="test")


def test_registration_refuses_metadata_that_breaks_the_profile(app_factory):
    from tests.http.test_dynamic_registration import metadata, serve_provider

    key = json.loads(
        pyjwt.algorithms.ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())
    )
    fitting = {
        "security_profile": "fapi2",
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [key]},
        "id_token_signed_response_alg": "ES256",
        "require_pushed_authorization_requests": True,
        "dpop_bound_access_tokens": True,
    }
    server, provider = serve_provider(app_factory)
    with server:
        ok = provider.register(metadata(**fitting))
        assert ok.status_code == 201, ok.text
        assert ok.json()["security_profile"] == "fapi2"
        for change in (
            {"token_endpoint_auth_method": "client_secret_basic", "jwks": None},
            {"id_token_signed_response_alg": "RS256"},
            {"require_pushed_authorization_requests": False},
            {"dpop_bound_access_tokens": None},
            {"security_profile": "fapi3"},
        ):
            refused = provider.register(metadata(**{**fitting, **change}))
            assert refused.status_code == 400, (change, refused.text)
            assert refused.json()["error"] == "invalid_client_metadata"


def test_the_console_switches_a_private_key_jwt_client_and_shows_it(app, oidc_client):
    from tests.http.test_console import Console, make_operator

    console = Console(app)
    assert console.sign_in(make_operator(app)).status_code == 302
    client = FapiClient(app, profile=False)
    page = console.page(f"/console/clients/{client.client_id}")
    assert 'id="client-profile">Tiêu chuẩn' in page and "Áp dụng FAPI 2.0" in page
    switched = console.post(f"/console/clients/{client.client_id}/profile", profile="fapi2")
    assert switched.status_code == 302
    page = console.page(f"/console/clients/{client.client_id}")
    assert 'id="client-profile">FAPI 2.0 Security Profile' in page
    assert 'id="client-par">Bắt buộc gửi trước' in page
    listed = console.page("/console/clients")
    assert 'class="profile">FAPI 2.0' in listed
    secret_client = oidc_client["client_id"]
    assert "Áp dụng FAPI 2.0" not in console.page(f"/console/clients/{secret_client}")
    refused = console.post(f"/console/clients/{secret_client}/profile", profile="fapi2")
    assert refused.status_code == 400
    back = console.post(f"/console/clients/{client.client_id}/profile", profile="standard")
    assert back.status_code == 302
