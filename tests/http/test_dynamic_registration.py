"""Dynamic client registration (RFC 7591) and management (RFC 7592) over real HTTP,
driven with ``requests`` and checked with PyJWT (not Authlib, which the server uses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests

from tests.conftest import CITIZEN, REDIRECT_URI, query_of
from tests.http.driver import Browser
from tests.live import LiveServer, free_port


@dataclass
class Provider:
    url: str
    app: object

    def token(self, expires_in: int | None = None) -> str:
        """A fresh single-use initial access token, as an operator would issue it."""
        from idp.oidc.registration_tokens import issue_token

        with self.app.app_context():
            return issue_token("test", expires_in)[0]

    def register(self, metadata, token: str | None = "new", **headers) -> requests.Response:
        token = self.token() if token == "new" else token
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.post(
            f"{self.url}/oauth2/register", json=metadata, headers=headers, timeout=10
        )

    def client(self, client_id: str):
        from idp.extensions import db
        from idp.oidc.models import Client

        with self.app.app_context():
            client = db.session.scalar(db.select(Client).filter_by(client_id=client_id))
            db.session.expunge(client)
            return client


def serve_provider(app_factory, **overrides):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = app_factory(IDP_ISSUER=url, **overrides)
    return LiveServer(app, port), Provider(url, app)


@pytest.fixture
def provider(app_factory):
    server, provider = serve_provider(app_factory)
    with server:
        yield provider


def metadata(**extra) -> dict:
    data = {
        "client_name": "Sở Tư pháp tỉnh Đắk Lắk",
        "redirect_uris": [REDIRECT_URI],
        "scope": "openid profile phone",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def client_credentials(provider: Provider, client_id: str, secret: str) -> requests.Response:
    return requests.post(
        f"{provider.url}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        timeout=10,
    )


def manage(method: str, uri: str, access_token: str, **kw) -> requests.Response:
    headers = {"Authorization": f"Bearer {access_token}"}
    return requests.request(method, uri, headers=headers, timeout=10, **kw)


def test_discovery_advertises_the_registration_endpoint(provider):
    meta = requests.get(f"{provider.url}/.well-known/openid-configuration", timeout=10).json()
    assert meta["registration_endpoint"] == f"{provider.url}/oauth2/register"
    assert "pairwise" in meta["subject_types_supported"]


def test_confidential_client_registers_and_gets_tokens(provider):
    resp = provider.register(
        metadata(grant_types=["authorization_code", "client_credentials"], contacts=["a@b.vn"])
    )
    assert resp.status_code == 201, resp.text
    assert resp.headers["Cache-Control"] == "no-store"
    body = resp.json()
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["client_secret_expires_at"] == 0 and body["client_id_issued_at"] > 0
    assert body["redirect_uris"] == [REDIRECT_URI]
    assert body["grant_types"] == ["authorization_code", "client_credentials"]
    assert body["response_types"] == ["code"]
    assert body["id_token_signed_response_alg"] == "RS256"
    assert body["client_name"] == "Sở Tư pháp tỉnh Đắk Lắk"
    assert body["registration_client_uri"] == f"{provider.url}/oauth2/register/{body['client_id']}"
    assert len(body["registration_access_token"]) >= 43 and len(body["client_secret"]) >= 43

    stored = provider.client(body["client_id"])
    assert stored.status == "active" and not stored.trusted
    assert stored.client_secret == keyed_hash_in(provider, body["client_secret"])
    with provider.app.app_context():
        from idp.oidc.registration_tokens import client_id_for_access

        assert client_id_for_access(body["registration_access_token"]) == body["client_id"]

    token = client_credentials(provider, body["client_id"], body["client_secret"])
    assert token.status_code == 200, token.text
    assert "access_token" in token.json()


def keyed_hash_in(provider: Provider, value: str) -> str:
    from idp.oidc.models import keyed_hash

    with provider.app.app_context():
        return keyed_hash(value)


def test_public_client_with_pkce_and_es256_logs_a_citizen_in(provider, outbox):
    from idp.citizens.creation import create_citizen

    with provider.app.app_context():
        citizen = create_citizen(**CITIZEN, actor="test")
        subject, phone = citizen.subject, citizen.phone
    resp = provider.register(
        metadata(token_endpoint_auth_method="none", id_token_signed_response_alg="ES256")
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert "client_secret" not in body
    assert body["token_endpoint_auth_method"] == "none"

    browser = Browser(provider.app, outbox)
    url, req = browser.authorize_url(body["client_id"])
    final = browser.login(url, CITIZEN["id_number"], CITIZEN["password"], phone)
    assert final.status_code == 302 and final.location.startswith(REDIRECT_URI)
    code = query_of(final.location)["code"]
    token = requests.post(
        f"{provider.url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": body["client_id"],
            "code_verifier": req["verifier"],
        },
        timeout=10,
    )
    assert token.status_code == 200, token.text
    id_token = token.json()["id_token"]
    header = jwt.get_unverified_header(id_token)
    assert header["alg"] == "ES256"
    jwks = requests.get(f"{provider.url}/oauth2/jwks", timeout=10).json()
    key = jwt.PyJWK.from_dict(next(k for k in jwks["keys"] if k["kid"] == header["kid"]))
    claims = jwt.decode(
        id_token, key.key, algorithms=["ES256"], audience=body["client_id"], issuer=provider.url
    )
    assert claims["sub"] == subject  # public subject type


BAD_METADATA = [
    ({"redirect_uris": ["http://127.0.0.1:5001/cb#frag"]}, "invalid_redirect_uri"),
    ({"redirect_uris": ["http://127.0.0.1:5001/cb#"]}, "invalid_redirect_uri"),
    ({"redirect_uris": ["http://portal.example.vn/cb"]}, "invalid_redirect_uri"),
    ({"redirect_uris": ["/callback"]}, "invalid_redirect_uri"),
    ({"redirect_uris": ["https://user:pw@portal.example.vn/cb"]}, "invalid_redirect_uri"),
    ({"redirect_uris": "https://portal.example.vn/cb"}, "invalid_client_metadata"),
    ({"redirect_uris": None}, "invalid_redirect_uri"),
    ({"post_logout_redirect_uris": ["javascript:alert(1)"]}, "invalid_redirect_uri"),
    ({"token_endpoint_auth_method": "client_secret_jwt"}, "invalid_client_metadata"),
    ({"token_endpoint_auth_method": "tls_client_auth"}, "invalid_client_metadata"),
    ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
    ({"id_token_signed_response_alg": "HS256"}, "invalid_client_metadata"),
    ({"id_token_signed_response_alg": "none"}, "invalid_client_metadata"),
    ({"grant_types": ["password"]}, "invalid_client_metadata"),
    ({"grant_types": ["implicit"]}, "invalid_client_metadata"),
    ({"response_types": ["token"]}, "invalid_client_metadata"),
    ({"scope": "openid admin"}, "invalid_client_metadata"),
    ({"scope": 7}, "invalid_client_metadata"),
    ({"subject_type": "secret"}, "invalid_client_metadata"),
    ({"userinfo_signed_response_alg": "RS256"}, "invalid_client_metadata"),
    ({"logo_uri": "ftp://portal.example.vn/logo.png"}, "invalid_client_metadata"),
    ({"backchannel_logout_uri": "http://portal.example.vn/bc"}, "invalid_client_metadata"),
    (
        {"token_endpoint_auth_method": "none", "grant_types": ["client_credentials"]},
        "invalid_client_metadata",
    ),
    (
        {
            "subject_type": "pairwise",
            "redirect_uris": ["http://127.0.0.1:5001/cb", "http://localhost:5002/cb"],
        },
        "invalid_client_metadata",
    ),
    (
        {"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "jwks_uri": "https://a.vn/j"},
        "invalid_client_metadata",
    ),
    ({"client_name": "x" * 201}, "invalid_client_metadata"),
    ({"jwks": {}}, "invalid_client_metadata"),
    ({"response_types": []}, "invalid_client_metadata"),
]


@pytest.mark.parametrize(("changes", "error"), BAD_METADATA)
def test_bad_metadata_is_refused_and_the_token_stays_unspent(provider, changes, error):
    token = provider.token()
    resp = provider.register(metadata(**changes), token)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == error
    assert resp.json()["error_description"]
    assert provider.register(metadata(), token).status_code == 201


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"{not json"])
def test_a_body_that_is_not_a_json_object_is_a_400(provider, body):
    resp = requests.post(
        f"{provider.url}/oauth2/register",
        data=body,
        headers={"Authorization": f"Bearer {provider.token()}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert resp.status_code == 400
    assert resp.json()["error"] in ("invalid_request", "invalid_client_metadata")


def test_http_redirect_uris_are_refused_when_https_is_required(app_factory):
    server, provider = serve_provider(app_factory, REGISTRATION_REQUIRE_HTTPS=True)
    with server:
        loopback = provider.register(metadata())
        assert loopback.status_code == 400
        assert loopback.json()["error"] == "invalid_redirect_uri"
        assert "https" in loopback.json()["error_description"]
        logo = provider.register(
            metadata(redirect_uris=["https://portal.example.vn/cb"], logo_uri="http://a.vn/l.png")
        )
        assert logo.json()["error"] == "invalid_client_metadata"
        good = provider.register(metadata(redirect_uris=["https://portal.example.vn/cb"]))
        assert good.status_code == 201, good.text


def test_production_settings_make_https_mandatory(app):
    from idp.oidc.registration_metadata import https_only

    with app.app_context():
        assert https_only() is False
        app.config["IDP_ENV"] = "production"
        assert https_only() is True


def test_initial_access_token_missing_unknown_used_or_expired_is_401(provider):
    from idp.extensions import db
    from idp.oidc.registration_tokens import InitialAccessToken

    missing = provider.register(metadata(), token=None)
    assert missing.status_code == 401 and missing.json()["error"] == "invalid_token"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    unknown = provider.register(metadata(), token="not-a-token")
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_token"
    basic = provider.register(metadata(), token=None, Authorization="Basic dXNlcjpwdw==")
    assert basic.status_code == 401

    token = provider.token()
    assert provider.register(metadata(), token).status_code == 201
    used = provider.register(metadata(), token)
    assert used.status_code == 401 and used.json()["error"] == "invalid_token"

    expiring = provider.token(expires_in=60)
    with provider.app.app_context():
        row = db.session.scalars(
            db.select(InitialAccessToken).order_by(InitialAccessToken.id.desc())
        ).first()
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()
    expired = provider.register(metadata(), expiring)
    assert expired.status_code == 401 and expired.json()["error"] == "invalid_token"


def test_token_lifetime_out_of_range_is_refused(app):
    from idp.errors import DomainError
    from idp.oidc.registration_tokens import issue_token

    with app.app_context():
        for seconds in (0, 59, 91 * 86400):
            with pytest.raises(DomainError):
                issue_token("test", seconds)


def test_rfc7592_read_update_delete(provider):
    body = provider.register(metadata(grant_types=["authorization_code", "client_credentials"]))
    body = body.json()
    uri, access = body["registration_client_uri"], body["registration_access_token"]

    read = manage("GET", uri, access)
    assert read.status_code == 200, read.text
    info = read.json()
    assert info["client_id"] == body["client_id"] and info["redirect_uris"] == [REDIRECT_URI]
    assert "client_secret" not in info  # stored only hashed, never shown again
    assert info["registration_access_token"] == access
    assert "sector_identifier" not in info and "vn_claims" not in info

    assert manage("GET", uri, "wrong-token").status_code == 401
    other = provider.register(metadata()).json()
    crossed = manage("GET", uri, other["registration_access_token"])
    assert crossed.status_code == 401 and crossed.json()["error"] == "invalid_token"

    new_uris = [REDIRECT_URI, "http://127.0.0.1:5001/callback2"]
    update = dict(
        metadata(redirect_uris=new_uris, client_name="Sở Tư pháp (mới)"),
        client_id=body["client_id"],
        grant_types=["authorization_code", "client_credentials"],
    )
    updated = manage("PUT", uri, access, json=update)
    assert updated.status_code == 200, updated.text
    assert updated.json()["redirect_uris"] == new_uris
    assert manage("GET", uri, access).json()["client_name"] == "Sở Tư pháp (mới)"

    no_id = manage("PUT", uri, access, json=metadata())
    assert no_id.status_code == 400
    bad = manage("PUT", uri, access, json=dict(update, redirect_uris=["https://a.vn/#x"]))
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_redirect_uri"
    assert manage("PUT", uri, access, json=[1]).status_code == 400

    assert client_credentials(provider, body["client_id"], body["client_secret"]).status_code == 200
    deleted = manage("DELETE", uri, access)
    assert deleted.status_code == 204
    assert manage("GET", uri, access).status_code == 401
    refused = client_credentials(provider, body["client_id"], body["client_secret"])
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert provider.client(body["client_id"]).status == "deleted"


def test_update_can_switch_to_a_secret_and_back(provider):
    body = provider.register(metadata(token_endpoint_auth_method="none")).json()
    uri, access = body["registration_client_uri"], body["registration_access_token"]
    base = dict(metadata(), client_id=body["client_id"])
    to_secret = manage(
        "PUT",
        uri,
        access,
        json=dict(base, grant_types=["client_credentials"], response_types=[], redirect_uris=[]),
    )
    assert to_secret.status_code == 200, to_secret.text
    secret = to_secret.json()["client_secret"]
    assert client_credentials(provider, body["client_id"], secret).status_code == 200
    to_public = manage("PUT", uri, access, json=dict(base, token_endpoint_auth_method="none"))
    assert to_public.status_code == 200 and "client_secret" not in to_public.json()
    assert client_credentials(provider, body["client_id"], secret).status_code == 401


def test_registration_is_audited(provider):
    from idp.audit import AuditEvent
    from idp.extensions import db

    client_id = provider.register(metadata()).json()["client_id"]
    with provider.app.app_context():
        events = db.session.scalars(db.select(AuditEvent).filter_by(client_id=client_id)).all()
        names = {e.event for e in events}
    assert {"client.created", "registration_token.used"} <= names
    assert all(e.actor.startswith("registration-token:") for e in events)


def test_null_members_mean_omitted(provider):
    resp = provider.register(
        dict(metadata(), scope=None, response_types=None, jwks=None, subject_type=None)
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["scope"] == "openid profile phone" and body["response_types"] == ["code"]
    assert body["subject_type"] == "public" and "jwks" not in body


def test_every_protocol_error_description_is_legal_rfc6749_text():
    from authlib.oauth2.base import invalid_error_characters

    from idp.errors import Problem
    from idp.oidc import registration, registration_metadata, sector_identifier
    from idp.outbound.addresses import REFUSAL_REASONS

    texts = [
        value.message.format(field="redirect_uris", limit=20, index=0, reason=reason)
        for module in (registration_metadata, sector_identifier)
        for value in vars(module).values()
        if isinstance(value, Problem)
        for reason in REFUSAL_REASONS
    ]
    texts += [
        value
        for name, value in vars(registration).items()
        if name.isupper() and isinstance(value, str)
    ]
    assert len(texts) > 20
    for text in texts:
        assert not invalid_error_characters(text), text


def test_private_key_jwt_client_registers_its_keys_and_authenticates(provider):
    import time
    import uuid

    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.generate_private_key(ec.SECP256R1())
    public_jwk = jwt.algorithms.ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    public_jwk.update(kid="k1", alg="ES256", use="sig")
    private_jwk = jwt.algorithms.ECAlgorithm.to_jwk(private, as_dict=True)
    refused = provider.register(
        metadata(token_endpoint_auth_method="private_key_jwt", jwks={"keys": [private_jwk]})
    )
    assert refused.status_code == 400  # a private key never belongs in client metadata

    resp = provider.register(
        metadata(
            token_endpoint_auth_method="private_key_jwt",
            jwks={"keys": [public_jwk]},
            grant_types=["client_credentials"],
            redirect_uris=None,
        )
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert "client_secret" not in body and body["response_types"] == []
    now = int(time.time())
    claims = {
        "iss": body["client_id"],
        "sub": body["client_id"],
        "aud": f"{provider.url}/oauth2/token",
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
    }
    token = requests.post(
        f"{provider.url}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": jwt.encode(claims, private, "ES256", headers={"kid": "k1"}),
        },
        timeout=10,
    )
    assert token.status_code == 200, token.text
