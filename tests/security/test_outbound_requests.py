"""Server-side requests to URLs that clients chose (SSRF): every one goes through the
outbound policy (idp/outbound/). Covered: a private_key_jwt client's ``jwks_uri`` at the
token endpoint (a body without keys, redirects, negative caching with back-off, the size
cap, the timeout, an address refused at request time), back-channel logout deliveries,
and the refusal of non-public addresses at registration (RFC 7591 and RFC 7592 updates)
and in ``idp clients create``; the operator's SMS gateway stays exempt.

Production refuses non-public addresses (``OUTBOUND_ALLOW_PRIVATE_ADDRESSES`` false);
the tests that show it turn the setting off and inject a resolver, so a public-looking
name can resolve to 10.x, 127.x, 169.254.x, ::1 or fc00:: without any real DNS.
"""

from __future__ import annotations

import json
import socket
import time
import uuid

import jwt
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import REDIRECT_URI
from tests.http.test_dynamic_registration import manage, metadata, serve_provider
from tests.loopback_http import LoopbackHttp, SilentServer

STRICT = {"OUTBOUND_ALLOW_PRIVATE_ADDRESSES": False}


@pytest.fixture
def rp_server():
    with LoopbackHttp() as server:
        yield server


def resolving(app, answers: dict[str, list[str]]) -> None:
    """Make ``app``'s outbound policy resolve names from ``answers`` only."""

    def resolver(host: str, port: int) -> list[str]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "unknown name")
        return answers[host]

    app.extensions["outbound_http"].resolver = resolver


# -- jwks_uri at the token endpoint -------------------------------------------------
class KeyedClient:
    """A private_key_jwt client whose keys are at ``jwks_uri``."""

    def __init__(self, app, jwks_uri: str):
        from idp.oidc.clients import create_client

        self.app = app
        self.key = ec.generate_private_key(ec.SECP256R1())
        public = jwt.algorithms.ECAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        self.jwks = {"keys": [{**public, "kid": "k1", "alg": "ES256", "use": "sig"}]}
        with app.app_context():
            self.client_id, _ = create_client(
                name="Cơ quan có jwks_uri",
                redirect_uris=[REDIRECT_URI],
                auth_method="private_key_jwt",
                extra_metadata={"jwks_uri": jwks_uri, "grant_types": ["client_credentials"]},
            )

    def token_request(self):
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": f"{self.app.config['IDP_ISSUER']}/oauth2/token",
            "iat": now,
            "exp": now + 60,
            "jti": uuid.uuid4().hex,
        }
        assertion = jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": "k1"})
        return self.app.test_client().post(
            "/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
            },
        )


def assert_invalid_client(resp):
    assert resp.status_code in (400, 401), resp.get_data(as_text=True)
    assert resp.get_json()["error"] == "invalid_client"


def test_a_jwks_uri_answering_json_without_keys_is_invalid_client_and_not_kept(
    app, rp_server, clock
):
    client = KeyedClient(app, rp_server.answer("/jwks", 200, {"issuer": "not a key set"}))
    assert_invalid_client(client.token_request())
    rp_server.answer("/jwks", 200, client.jwks)  # the agency fixes its document
    clock.advance(10)  # the first back-off period; the broken body was not cached
    assert client.token_request().status_code == 200
    assert rp_server.paths() == ["/jwks", "/jwks"]


@pytest.mark.parametrize(
    "document", [[1, 2], "keys", {"keys": "none"}, {"keys": [{"kty": "EC"}]}, b"{not json"]
)
def test_any_jwks_uri_document_that_is_not_a_key_set_is_invalid_client(
    app, rp_server, clock, document
):
    client = KeyedClient(app, rp_server.answer("/jwks", 200, document))
    assert_invalid_client(client.token_request())


def test_inline_jwks_with_an_unusable_key_is_invalid_client(app):
    from idp.oidc.clients import create_client

    with app.app_context():
        client_id, _ = create_client(
            name="Khoá hỏng",
            redirect_uris=[REDIRECT_URI],
            auth_method="private_key_jwt",
            extra_metadata={"jwks": {"keys": [{"kty": "EC", "crv": "P-256"}]}},
        )
    key = ec.generate_private_key(ec.SECP256R1())
    claims = {"iss": client_id, "sub": client_id, "aud": "http://127.0.0.1:5000/oauth2/token"}
    claims.update(iat=int(time.time()), exp=int(time.time()) + 60, jti=uuid.uuid4().hex)
    resp = app.test_client().post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": jwt.encode(claims, key, algorithm="ES256"),
        },
    )
    assert_invalid_client(resp)


def test_a_jwks_uri_redirect_is_not_followed(app, rp_server, clock):
    client = KeyedClient(app, rp_server.url("/moved"))
    rp_server.answer("/keys", 200, client.jwks)
    rp_server.answer("/moved", 302, b"", Location=rp_server.url("/keys"))
    assert_invalid_client(client.token_request())
    assert rp_server.paths() == ["/moved"]


def test_a_failing_jwks_uri_is_not_fetched_on_every_token_request(app, rp_server, clock):
    client = KeyedClient(app, rp_server.answer("/jwks", 503, b"down"))
    for _ in range(3):
        assert_invalid_client(client.token_request())
    assert len(rp_server.requests) == 1  # then backed off for 10 s
    clock.advance(10)
    assert_invalid_client(client.token_request())
    assert len(rp_server.requests) == 2  # failed again: 20 s now
    clock.advance(10)
    assert_invalid_client(client.token_request())
    assert len(rp_server.requests) == 2
    clock.advance(10)
    rp_server.answer("/jwks", 200, client.jwks)
    assert client.token_request().status_code == 200
    assert len(rp_server.requests) == 3
    for _ in range(2):  # a good key set is cached
        assert client.token_request().status_code == 200
    assert len(rp_server.requests) == 3


def test_a_jwks_uri_over_the_size_cap_is_invalid_client(app_factory, rp_server):
    app = app_factory(OUTBOUND_HTTP_MAX_BYTES=2048)
    client = KeyedClient(app, rp_server.url("/jwks"))
    padded = {**client.jwks, "padding": "x" * 4096}
    rp_server.answer("/jwks", 200, padded, declare_length=False)
    assert_invalid_client(client.token_request())


def test_a_jwks_uri_that_never_answers_times_out_as_invalid_client(app_factory):
    app = app_factory(OUTBOUND_HTTP_TIMEOUT=0.2)
    with SilentServer() as silent:
        client = KeyedClient(app, silent.url("/jwks"))
        assert_invalid_client(client.token_request())


def test_with_private_addresses_refused_a_stored_loopback_jwks_uri_is_never_requested(
    app_factory, rp_server
):
    # A client stored before the policy, or whose name now resolves inward.
    app = app_factory(**STRICT)
    resolving(app, {"keys.agency.example.vn": ["127.0.0.1"]})
    for uri in (rp_server.url("/jwks"), rp_server.url("/jwks", host="keys.agency.example.vn")):
        client = KeyedClient(app, uri)
        rp_server.answer("/jwks", 200, client.jwks)
        assert_invalid_client(client.token_request())
    assert rp_server.requests == []


# -- back-channel logout ---------------------------------------------------------------
def backchannel_client(app, uri: str) -> str:
    from idp.oidc.clients import create_client

    with app.app_context():
        client_id, _ = create_client(
            name="Cổng có back-channel",
            redirect_uris=[REDIRECT_URI],
            backchannel_logout_uri=uri,
        )
    return client_id


def end_session(app, citizen, client_id):
    from idp.login_session import LoginSession
    from idp.oidc.backchannel import send_backchannel_logouts

    login = LoginSession(
        citizen_id=citizen["id"],
        sid=uuid.uuid4().hex,
        auth_time=int(time.time()),
        amr=["pwd", "sms"],
        acr="LoA1",
        created_at=int(time.time()),
        clients=[client_id],
    )
    with app.test_request_context():
        return send_backchannel_logouts(login)


def test_with_private_addresses_refused_no_logout_token_goes_to_loopback(app_factory, rp_server):
    app = app_factory(**STRICT)
    from idp.citizens.creation import create_citizen
    from tests.conftest import CITIZEN

    with app.app_context():
        citizen = {"id": create_citizen(**CITIZEN, actor="test").id}
    client_id = backchannel_client(app, rp_server.answer("/bc", 200))
    [delivery] = end_session(app, citizen, client_id)
    assert not delivery.ok and "OutboundRefused" in delivery.error
    assert rp_server.requests == []


def test_a_failing_backchannel_uri_gets_one_try_while_backed_off(
    app, citizen, rp_server, clock, monkeypatch
):
    from idp.oidc import backchannel

    monkeypatch.setattr(backchannel, "BACKOFF_SECONDS", (0,))
    client_id = backchannel_client(app, rp_server.answer("/bc", 503))
    assert end_session(app, citizen, client_id)[0].attempts == 3
    assert end_session(app, citizen, client_id)[0].attempts == 1  # still gets its token
    assert len(rp_server.requests) == 4
    clock.advance(10)
    rp_server.answer("/bc", 200)
    assert end_session(app, citizen, client_id)[0].ok
    rp_server.answer("/bc", 503)
    assert end_session(app, citizen, client_id)[0].attempts == 3  # success forgot it


def test_a_backchannel_redirect_is_not_followed(app, citizen, rp_server):
    client_id = backchannel_client(app, rp_server.url("/bc"))
    rp_server.answer("/bc", 307, b"", Location=rp_server.url("/elsewhere"))
    [delivery] = end_session(app, citizen, client_id)
    assert not delivery.ok and "/elsewhere" not in rp_server.paths()


# -- registration -------------------------------------------------------------------------
REFUSED_URIS = [
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.5/",
    "https://[::1]/",
    "https://[fc00::1]/keys",
    "https://metadata.google.internal/",
    "https://keys.agency.example.vn/ten",  # resolves to 10.0.0.5
    "https://rebind.agency.example.vn/",  # resolves to a public and a loopback address
    "https://unknown.agency.example.vn/",  # does not resolve
]
FETCHED = {
    "jwks_uri": {"token_endpoint_auth_method": "private_key_jwt"},
    "backchannel_logout_uri": {},
    "sector_identifier_uri": {"subject_type": "pairwise"},
}
ANSWERS = {
    "keys.agency.example.vn": ["10.0.0.5"],
    "rebind.agency.example.vn": ["8.8.8.8", "127.0.0.1"],
    "public.agency.example.vn": ["8.8.8.8"],
    "metadata.google.internal": ["169.254.169.254"],
}


@pytest.fixture
def strict_provider(app_factory):
    server, provider = serve_provider(app_factory, **STRICT)
    resolving(provider.app, ANSWERS)
    with server:
        yield provider


@pytest.mark.parametrize("uri", REFUSED_URIS)
@pytest.mark.parametrize("field", sorted(FETCHED))
def test_registration_refuses_a_fetched_uri_on_a_non_public_address(strict_provider, field, uri):
    token = strict_provider.token()
    resp = strict_provider.register(metadata(**FETCHED[field], **{field: uri}), token)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_client_metadata"
    assert resp.json()["error_description"].startswith(f"{field} must reach a public")
    assert strict_provider.register(metadata(), token).status_code == 201  # token unspent


def test_registration_accepts_a_backchannel_uri_on_a_public_address(strict_provider):
    resp = strict_provider.register(
        metadata(backchannel_logout_uri="https://public.agency.example.vn/bc")
    )
    assert resp.status_code == 201, resp.text


def test_an_rfc7592_update_cannot_move_a_fetched_uri_inward(strict_provider):
    body = strict_provider.register(metadata()).json()
    for field, uri in [
        ("backchannel_logout_uri", "https://169.254.169.254/"),
        ("jwks_uri", "https://keys.agency.example.vn/jwks"),
    ]:
        changes = {**FETCHED[field], field: uri}
        resp = manage(
            "PUT",
            body["registration_client_uri"],
            body["registration_access_token"],
            json={**metadata(**changes), "client_id": body["client_id"]},
        )
        assert resp.status_code == 400, resp.text
        assert resp.json()["error"] == "invalid_client_metadata"
    stored = strict_provider.client(body["client_id"]).client_metadata
    assert "backchannel_logout_uri" not in stored and "jwks_uri" not in stored


# -- the CLI --------------------------------------------------------------------------
@pytest.fixture
def cli_env(env, monkeypatch):
    return monkeypatch


def create_with_backchannel(uri: str):
    from idp.cli import main

    args = ["clients", "create", "--name", "Sở Tư pháp", "--redirect-uri", REDIRECT_URI]
    return CliRunner().invoke(main, [*args, "--backchannel-logout-uri", uri])


@pytest.mark.parametrize(
    "uri",
    [
        "https://169.254.169.254/bc",
        "https://10.0.0.5/bc",
        "https://[::1]/bc",
        "https://a.internal/",
    ],
)
def test_cli_refuses_a_backchannel_uri_on_a_non_public_address(cli_env, uri):
    from idp.cli import main

    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    cli_env.setenv("OUTBOUND_ALLOW_PRIVATE_ADDRESSES", "false")
    result = create_with_backchannel(uri)
    assert result.exit_code != 0
    assert "backchannel_logout_uri must reach a public internet address" in result.output
    assert "client_id" not in result.output


def test_cli_accepts_a_loopback_backchannel_uri_where_allowed(cli_env):
    from idp.cli import main

    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    result = create_with_backchannel("http://127.0.0.1:5001/backchannel-logout")
    assert result.exit_code == 0, result.output
    assert "client_id" in json.loads(result.output)


# -- the operator's gateways are exempt ---------------------------------------------------
def test_the_operators_sms_gateway_on_loopback_works_with_private_addresses_refused(
    app_factory, rp_server
):
    from idp.services import services

    url = rp_server.answer("/sms", 200, {"ok": True})
    app = app_factory(**STRICT, SMS_BACKEND="http", SMS_HTTP_URL=url, SMS_HTTP_TOKEN="t")
    with app.app_context():
        services().sms.send("+84912345678", "Ma OTP: 123456")
    assert rp_server.paths() == ["/sms"]
