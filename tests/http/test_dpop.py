"""DPoP (RFC 9449): tokens bound to the client's key at the token endpoint, proved at
userinfo, shown in introspection; bound refresh tokens of public clients; clients that
must use it; server nonces; and every malformed proof a 400/401, never a 500. Proofs are
made with PyJWT (the server verifies them with joserfc)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.conftest import REAL_REDIS, REDIRECT_URI, query_of
from tests.http.driver import Browser

ISSUER = "http://127.0.0.1:5000"
TOKEN_URL = f"{ISSUER}/oauth2/token"
USERINFO_URL = f"{ISSUER}/oauth2/userinfo"


class DPoPKey:
    """A client's DPoP key pair; makes proofs as RFC 9449 §4.2 describes."""

    def __init__(self, alg: str = "ES256"):
        self.alg = alg
        if alg == "ES256":
            self.private = ec.generate_private_key(ec.SECP256R1())
            self.jwk = json.loads(pyjwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key()))
        else:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.jwk = json.loads(pyjwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))

    @property
    def jkt(self) -> str:
        members = {
            k: self.jwk[k] for k in sorted(self.jwk) if k in ("crv", "e", "kty", "n", "x", "y")
        }
        digest = hashlib.sha256(json.dumps(members, separators=(",", ":")).encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def proof(
        self, htm: str = "POST", htu: str = TOKEN_URL, access_token: str | None = None, **changes
    ) -> str:
        claims = {"jti": uuid.uuid4().hex, "htm": htm, "htu": htu, "iat": int(time.time())}
        if access_token is not None:
            digest = hashlib.sha256(access_token.encode()).digest()
            claims["ath"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        headers = {"typ": "dpop+jwt", "jwk": self.jwk}
        headers.update(changes.pop("headers", {}))
        claims.update(changes)
        claims = {k: v for k, v in claims.items() if v is not None}
        return pyjwt.encode(claims, self.private, algorithm=self.alg, headers=headers)


def agency(app, **metadata) -> dict:
    from idp.oidc.clients import create_client

    grants = metadata.pop(
        "grant_types", ["authorization_code", "refresh_token", "client_credentials"]
    )
    with app.app_context():
        client_id, secret = create_client(
            name="Bảo hiểm xã hội",
            redirect_uris=[REDIRECT_URI],
            scope="openid profile phone offline_access",
            trusted=True,
            extra_metadata={"grant_types": grants, **metadata},
            auth_method=metadata.get("token_endpoint_auth_method", "client_secret_basic"),
        )
    return {"client_id": client_id, "client_secret": secret}


def client_credentials(http, client: dict, proof: str | None):
    headers = {"DPoP": proof} if proof else {}
    return http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
        headers=headers,
    )


def code_tokens(browser, citizen, client: dict, key: DPoPKey | None, public: bool = False):
    url, req = browser.authorize_url(
        client["client_id"], scope="openid profile phone offline_access"
    )
    done = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    data = {
        "grant_type": "authorization_code",
        "code": query_of(done.location)["code"],
        "redirect_uri": REDIRECT_URI,
        "code_verifier": req["verifier"],
    }
    kw = {"headers": {"DPoP": key.proof()}} if key else {}
    if public:
        data["client_id"] = client["client_id"]
    else:
        kw["auth"] = (client["client_id"], client["client_secret"])
    return browser.http.post("/oauth2/token", data=data, **kw)


def userinfo(http, access_token: str, scheme: str = "DPoP", proof: str | None = None):
    headers = {"Authorization": f"{scheme} {access_token}"}
    if proof is not None:
        headers["DPoP"] = proof
    return http.get("/oauth2/userinfo", headers=headers)


@pytest.fixture
def browser(app, outbox):
    return Browser(app, outbox)


def test_discovery_names_the_proof_algorithms(app):
    metadata = app.test_client().get("/.well-known/openid-configuration").get_json()
    assert metadata["dpop_signing_alg_values_supported"] == ["ES256", "PS256", "RS256"]


@pytest.mark.parametrize("alg", ["ES256", "PS256", "RS256"])
def test_a_proof_binds_the_access_token_and_introspection_shows_the_key(app, alg):
    client, key, http = agency(app), DPoPKey(alg), app.test_client()
    answer = client_credentials(http, client, key.proof())
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["token_type"] == "DPoP"
    seen = http.post(
        "/oauth2/introspect",
        data={"token": answer.get_json()["access_token"]},
        auth=(client["client_id"], client["client_secret"]),
    ).get_json()
    assert seen["active"] and seen["token_type"] == "DPoP"
    assert seen["cnf"] == {"jkt": key.jkt}
    plain = client_credentials(http, client, None).get_json()
    assert plain["token_type"] == "Bearer"


def test_userinfo_takes_a_bound_token_only_with_a_proof_by_its_key(browser, citizen, app):
    client, key = agency(app), DPoPKey()
    tokens = code_tokens(browser, citizen, client, key).get_json()
    assert tokens["token_type"] == "DPoP"
    token, http = tokens["access_token"], browser.http
    ok = userinfo(http, token, proof=key.proof("GET", USERINFO_URL, token))
    assert ok.status_code == 200 and ok.get_json()["sub"] == citizen["sub"]
    post = http.post(
        "/oauth2/userinfo",
        headers={"Authorization": f"DPoP {token}", "DPoP": key.proof("POST", USERINFO_URL, token)},
    )
    assert post.status_code == 200

    as_bearer = userinfo(http, token, scheme="Bearer")
    assert as_bearer.status_code == 401 and as_bearer.get_json()["error"] == "invalid_token"
    in_the_body = http.post("/oauth2/userinfo", data={"access_token": token})
    assert in_the_body.status_code == 401
    no_proof = userinfo(http, token)
    assert no_proof.status_code == 401 and no_proof.get_json()["error"] == "invalid_dpop_proof"
    assert no_proof.headers["WWW-Authenticate"].startswith("DPoP ")
    assert 'algs="ES256 PS256 RS256"' in no_proof.headers["WWW-Authenticate"]
    stranger = userinfo(http, token, proof=DPoPKey().proof("GET", USERINFO_URL, token))
    assert stranger.status_code == 401 and stranger.get_json()["error"] == "invalid_dpop_proof"
    for proof in (
        key.proof("GET", USERINFO_URL, "another-token"),  # ath of another token
        key.proof("GET", USERINFO_URL),  # no ath
        key.proof("POST", USERINFO_URL, token),  # htm
        key.proof("GET", TOKEN_URL, token),  # htu
    ):
        refused = userinfo(http, token, proof=proof)
        assert refused.status_code == 401 and refused.get_json()["error"] == "invalid_dpop_proof"
    replayed = key.proof("GET", USERINFO_URL, token)
    assert userinfo(http, token, proof=replayed).status_code == 200
    assert userinfo(http, token, proof=replayed).status_code == 401


def test_a_bearer_token_is_not_taken_with_the_dpop_scheme(browser, citizen, app):
    client, key = agency(app), DPoPKey()
    token = code_tokens(browser, citizen, client, None).get_json()["access_token"]
    answer = userinfo(browser.http, token, proof=key.proof("GET", USERINFO_URL, token))
    assert answer.status_code == 401 and answer.get_json()["error"] == "invalid_token"
    assert userinfo(browser.http, token, scheme="Bearer").status_code == 200


def test_a_jwt_access_token_carries_cnf_and_is_held_to_it(browser, citizen, app):
    client, key = agency(app, access_token_format="jwt"), DPoPKey()
    token = code_tokens(browser, citizen, client, key).get_json()["access_token"]
    assert pyjwt.decode(token, options={"verify_signature": False})["cnf"] == {"jkt": key.jkt}
    assert (
        userinfo(browser.http, token, proof=key.proof("GET", USERINFO_URL, token)).status_code
        == 200
    )
    assert userinfo(browser.http, token, scheme="Bearer").status_code == 401


def test_a_public_clients_refresh_token_is_bound_to_its_key(browser, citizen, app):
    client, key = agency(app, token_endpoint_auth_method="none"), DPoPKey()
    tokens = code_tokens(browser, citizen, client, key, public=True).get_json()
    assert tokens["token_type"] == "DPoP" and tokens["refresh_token"]

    def refresh(proof: str | None):
        return browser.http.post(
            "/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "client_id": client["client_id"],
            },
            headers={"DPoP": proof} if proof else {},
        )

    without = refresh(None)
    assert without.status_code == 400 and without.get_json()["error"] == "invalid_dpop_proof"
    other = refresh(DPoPKey().proof())
    assert other.status_code == 400 and other.get_json()["error"] == "invalid_dpop_proof"
    renewed = refresh(key.proof())
    assert renewed.status_code == 200, renewed.get_data(as_text=True)
    assert renewed.get_json()["token_type"] == "DPoP"
    token = renewed.get_json()["access_token"]
    assert (
        userinfo(browser.http, token, proof=key.proof("GET", USERINFO_URL, token)).status_code
        == 200
    )


def test_a_confidential_clients_refresh_token_is_not_bound(browser, citizen, app):
    client, key = agency(app), DPoPKey()
    tokens = code_tokens(browser, citizen, client, key).get_json()
    renewed = browser.http.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert renewed.status_code == 200 and renewed.get_json()["token_type"] == "Bearer"


def test_a_client_registered_for_dpop_must_send_proofs(app):
    client, http = agency(app, dpop_bound_access_tokens=True), app.test_client()
    refused = client_credentials(http, client, None)
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_dpop_proof"
    assert client_credentials(http, client, DPoPKey().proof()).status_code == 200


def _tamper(key: DPoPKey) -> dict[str, str]:
    now = int(time.time())
    private_jwk = json.loads(pyjwt.algorithms.ECAlgorithm.to_jwk(key.private))
    rsa_key = DPoPKey("RS256")
    return {
        "typ": key.proof(headers={"typ": "JWT"}),
        "no jwk": key.proof(headers={"jwk": None}),
        "private jwk": key.proof(headers={"jwk": private_jwk}),
        "jwk of another kty": key.proof(headers={"jwk": rsa_key.jwk}),
        "hs256": pyjwt.encode(
            {"jti": "x", "htm": "POST", "htu": TOKEN_URL, "iat": now},
            "a-shared-secret-of-some-length-0123",
            algorithm="HS256",
            headers={"typ": "dpop+jwt", "jwk": key.jwk},
        ),
        "none": pyjwt.encode(
            {"jti": "x", "htm": "POST", "htu": TOKEN_URL, "iat": now},
            None,
            algorithm="none",
            headers={"typ": "dpop+jwt", "jwk": key.jwk},
        ),
        "htm": key.proof(htm="GET"),
        "htu": key.proof(htu="https://other.example/oauth2/token"),
        "old": key.proof(iat=now - 600),
        "future": key.proof(iat=now + 600),
        "iat text": key.proof(iat="now"),
        "no jti": key.proof(jti=None),
        "long jti": key.proof(jti="j" * 300),
        "garbage": "not-a-jwt",
        "three dots": "a.b.c",
        "huge": "eyJ" + "A" * 9000 + ".e30.sig",
        "header not json": "bm90IGpzb24.e30.c2ln",
    }


@pytest.mark.parametrize("name", list(_tamper(DPoPKey())))
def test_a_broken_proof_is_invalid_dpop_proof(app, name):
    client, http = agency(app), app.test_client()
    proof = _tamper(DPoPKey())[name]
    answer = client_credentials(http, client, proof)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.get_json()["error"] == "invalid_dpop_proof"


def test_a_proof_is_used_once_and_two_headers_are_refused(app):
    client, key, http = agency(app), DPoPKey(), app.test_client()
    proof = key.proof()
    assert client_credentials(http, client, proof).status_code == 200
    again = client_credentials(http, client, proof)
    assert again.status_code == 400 and "used before" in again.get_json()["error_description"]
    two = http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
        headers=[("DPoP", key.proof()), ("DPoP", key.proof())],
    )
    assert two.status_code == 400 and two.get_json()["error"] == "invalid_dpop_proof"


def test_a_proofs_htu_ignores_query_and_fragment(app):
    client, key, http = agency(app), DPoPKey(), app.test_client()
    answer = client_credentials(http, client, key.proof(htu=TOKEN_URL + "?x=1#f"))
    assert answer.status_code == 200


def test_server_nonces_when_required(app_factory, outbox, citizen, clock):
    app = app_factory(DPOP_REQUIRE_NONCE=True)
    client, key, http = agency(app), DPoPKey(), app.test_client()
    asked = client_credentials(http, client, key.proof())
    assert asked.status_code == 400 and asked.get_json()["error"] == "use_dpop_nonce"
    nonce = asked.headers["DPoP-Nonce"]
    issued = client_credentials(http, client, key.proof(nonce=nonce))
    assert issued.status_code == 200 and issued.headers["DPoP-Nonce"]

    browser = Browser(app, outbox)
    url, req = browser.authorize_url(client["client_id"])
    done = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    tokens = browser.http.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": query_of(done.location)["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": req["verifier"],
        },
        auth=(client["client_id"], client["client_secret"]),
        headers={"DPoP": key.proof(nonce=nonce)},
    )
    bound = tokens.get_json()["access_token"]
    no_nonce = userinfo(http, bound, proof=key.proof("GET", USERINFO_URL, bound))
    assert no_nonce.status_code == 401 and no_nonce.get_json()["error"] == "use_dpop_nonce"
    assert 'error="use_dpop_nonce"' in no_nonce.headers["WWW-Authenticate"]
    fresh = no_nonce.headers["DPoP-Nonce"]
    ok = userinfo(http, bound, proof=key.proof("GET", USERINFO_URL, bound, nonce=fresh))
    assert ok.status_code == 200, ok.get_data(as_text=True)
    clock.advance(700)  # two nonce windows later
    stale = client_credentials(http, client, key.proof(nonce=fresh, iat=int(time.time()) + 700))
    assert stale.status_code == 400 and stale.get_json()["error"] == "use_dpop_nonce"


def test_registration_takes_dpop_bound_access_tokens(app_factory):
    from tests.http.test_dynamic_registration import metadata, serve_provider

    server, provider = serve_provider(app_factory)
    with server:
        answer = provider.register(metadata(dpop_bound_access_tokens=True))
        assert answer.status_code == 201, answer.text
        assert answer.json()["dpop_bound_access_tokens"] is True
        bad = provider.register(metadata(dpop_bound_access_tokens="yes"))
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_client_metadata"


@pytest.mark.skipif(not REAL_REDIS, reason="the in-process store is per process; needs REDIS_URL")
def test_a_proof_replayed_on_another_replica_is_refused(app_factory):
    first, second = app_factory(), app_factory()
    client, key = agency(first), DPoPKey()
    proof = key.proof()
    assert client_credentials(first.test_client(), client, proof).status_code == 200
    replay = client_credentials(second.test_client(), client, proof)
    assert replay.status_code == 400 and replay.get_json()["error"] == "invalid_dpop_proof"


def test_revocation_checks_a_proof_and_a_public_clients_bound_token_needs_one(
    browser, citizen, app
):
    client, key = agency(app, token_endpoint_auth_method="none"), DPoPKey()
    tokens = code_tokens(browser, citizen, client, key, public=True).get_json()
    revoke_url = f"{ISSUER}/oauth2/revoke"

    def revoke(proof: str | None):
        return browser.http.post(
            "/oauth2/revoke",
            data={"token": tokens["refresh_token"], "client_id": client["client_id"]},
            headers={"DPoP": proof} if proof else {},
        )

    without = revoke(None)
    assert without.status_code == 400 and without.get_json()["error"] == "invalid_dpop_proof"
    broken = revoke(key.proof(htu=TOKEN_URL))
    assert broken.status_code == 400 and broken.get_json()["error"] == "invalid_dpop_proof"
    assert revoke(DPoPKey().proof(htu=revoke_url)).status_code == 400
    assert revoke(key.proof(htu=revoke_url)).status_code == 200
    refreshed = browser.http.post(
        "/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": client["client_id"],
        },
        headers={"DPoP": key.proof()},
    )
    assert refreshed.status_code == 400 and refreshed.get_json()["error"] == "invalid_grant"
