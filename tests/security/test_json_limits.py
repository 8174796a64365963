"""JSON from outside is parsed within depth and size limits (``webapp.json_limits``):
deeply nested JSON raised RecursionError (a 500) at /oauth2/register; everywhere JSON is
read, too deep or too large is a 4xx with an RFC error code, never a 500, and nothing is
stored."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import RSAKey

from tests.conftest import REDIRECT_URI, query_of
from tests.live import free_port
from webapp import json_limits

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEEP = "[" * 5000 + "]" * 5000  # far past Python's recursion limit
JUST_TOO_DEEP = "[" * (json_limits.MAX_DEPTH + 1) + "]" * (json_limits.MAX_DEPTH + 1)
TOO_LARGE = json.dumps({"client_name": "x" * (json_limits.MAX_BYTES + 10)})
BAD_BODIES = [DEEP, '{"redirect_uris": ' + DEEP + "}", JUST_TOO_DEEP, TOO_LARGE]


def _b64(data: str) -> str:
    return base64.urlsafe_b64encode(data.encode()).rstrip(b"=").decode()


class JsonDocuments:
    """A local http.server answering every GET and POST with one body."""

    def __init__(self, body: str):
        encoded = body.encode()

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/doc.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=5)


def test_loads_counts_nesting_outside_strings_only():
    assert json_limits.nesting_depth('{"a": ["[[[[", {"b": "}}]]\\"[["}]}') == 3
    assert json_limits.loads('["[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["]') == ["[" * 34]
    deepest_allowed = "[" * json_limits.MAX_DEPTH + "]" * json_limits.MAX_DEPTH
    assert json_limits.loads(deepest_allowed)
    # Unterminated strings full of escaped quotes: a string pattern that must find its
    # closing quote rescanned the rest of the body from every quote (quadratic: a minute
    # for 64 KiB); the scan takes each string once, to its end if it has none.
    unterminated = ['"' + '\\"' * 20000, '\\"' * 21000, '"\\' * 32000, '"' * 65000]
    for body in [*BAD_BODIES, *unterminated, "{", b"\xff\xfe\x00"]:
        with pytest.raises(json_limits.JsonRefused):
            json_limits.loads(body)


@pytest.mark.parametrize("body", BAD_BODIES, ids=["deep", "deep-member", "depth+1", "large"])
def test_registration_refuses_deep_or_large_json_and_spends_no_token(app, body):
    from idp.extensions import db
    from idp.oidc.models import Client
    from idp.oidc.registration_tokens import InitialAccessToken, issue_token

    with app.app_context():
        token, _ = issue_token("test")
    resp = app.test_client().post(
        "/oauth2/register",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    assert resp.json["error"] == "invalid_request"
    assert "JSON" in resp.json["error_description"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Client)) == 0
        assert all(t.used_at is None for t in db.session.scalars(db.select(InitialAccessToken)))


@pytest.mark.parametrize("body", BAD_BODIES, ids=["deep", "deep-member", "depth+1", "large"])
def test_rfc7592_update_refuses_deep_or_large_json(app, body):
    from idp.oidc.registration_tokens import issue_token

    http = app.test_client()
    with app.app_context():
        token, _ = issue_token("test")
    registered = http.post(
        "/oauth2/register",
        json={"redirect_uris": ["https://rp.example/cb"], "client_name": "Sở"},
        headers={"Authorization": f"Bearer {token}"},
    ).json
    path = registered["registration_client_uri"].split("127.0.0.1:5000", 1)[1]
    access = {"Authorization": f"Bearer {registered['registration_access_token']}"}
    resp = http.put(path, data=body, content_type="application/json", headers=access)
    assert resp.status_code == 400 and resp.json["error"] == "invalid_request"
    assert http.get(path, headers=access).json["client_name"] == "Sở"


def test_a_deep_claims_parameter_is_invalid_request(app, oidc_client):
    claims = '{"userinfo": ' + "[" * 900 + "]" * 900 + "}"  # short enough for the length cap
    resp = app.test_client().get(
        "/oauth2/authorize",
        query_string={
            "client_id": oidc_client["client_id"],
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": "openid",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
            "claims": claims,
        },
    )
    assert resp.status_code == 302
    assert query_of(resp.location)["error"] == "invalid_request"


@pytest.mark.parametrize("path", ["/oauth2/token", "/oauth2/introspect", "/oauth2/revoke"])
def test_a_client_assertion_with_a_deep_payload_is_invalid_client(app, path):
    payload = '{"sub": ' + DEEP + "}"
    assertion = f"{_b64(json.dumps({'alg': 'RS256'}))}.{_b64(payload)}.c2ln"
    resp = app.test_client().post(
        path,
        data={
            "grant_type": "client_credentials",
            "token": "x",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        },
    )
    assert 400 <= resp.status_code < 500 and resp.json["error"] == "invalid_client"


def test_a_deep_jwks_uri_document_is_invalid_client(app):
    from idp.oidc.clients import create_client

    key = RSAKey.generate_key(2048, private=True)
    with JsonDocuments('{"keys": ' + DEEP + "}") as jwks, app.app_context():
        client_id, _ = create_client(
            name="Sở có jwks_uri",
            redirect_uris=[REDIRECT_URI],
            auth_method="private_key_jwt",
            extra_metadata={"jwks_uri": jwks.url},
        )
        now = int(time.time())
        claims = {
            "iss": client_id,
            "sub": client_id,
            "aud": "http://127.0.0.1:5000/oauth2/token",
            "jti": "j-1",
            "iat": now,
            "exp": now + 60,
        }
        assertion = jose_jwt.encode({"alg": "RS256"}, claims, key)
        resp = app.test_client().post(
            "/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion,
            },
        )
    assert 400 <= resp.status_code < 500, resp.get_data(as_text=True)[:300]
    assert resp.json["error"] == "invalid_client"


def test_a_deep_sector_identifier_document_is_invalid_client_metadata(app):
    from idp.oidc.registration_tokens import issue_token

    with JsonDocuments(DEEP) as sector, app.app_context():
        token, _ = issue_token("test")
        resp = app.test_client().post(
            "/oauth2/register",
            json={
                "redirect_uris": ["https://rp.example/cb"],
                "subject_type": "pairwise",
                "sector_identifier_uri": sector.url,
            },
            headers={"Authorization": f"Bearer {token}"},
        )
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    assert resp.json["error"] == "invalid_client_metadata"


def test_a_deep_carrier_api_answer_is_the_service_being_unavailable():
    from idp.errors import ServiceUnavailable
    from idp.subscribers.http import CarrierApiCheck

    with JsonDocuments('{"match": ' + DEEP + "}") as api:
        with pytest.raises(ServiceUnavailable):
            CarrierApiCheck(api.url, "t", timeout=3).is_registered_to("+84912345678", "0" * 12)


def _portal(issuer: str):
    from portal import create_portal_app

    return create_portal_app(
        {
            "IDP_ENV": "test",
            "PORTAL_ISSUER": issuer,
            "PORTAL_CLIENT_ID": "portal",
            "PORTAL_CLIENT_SECRET": "s",
            "PORTAL_BASE_URL": "http://127.0.0.1:9",
            "PORTAL_SECRET_KEY": "k" * 64,
            "REDIS_URL": "",
        }
    )


def test_a_deep_answer_from_the_provider_is_the_provider_being_unreachable():
    """The portal's Authlib client parsed the provider's discovery, JWKS and token answers
    without limits: a deep one raised RecursionError through the portal's pages."""
    from relying_party import RelyingPartyError
    from relying_party.provider_client import PROVIDER_UNREACHABLE

    with JsonDocuments('{"issuer": ' + DEEP + "}") as provider:
        portal = _portal(provider.url.rsplit("/", 1)[0])
        with portal.test_request_context("/"):
            with pytest.raises(RelyingPartyError) as failed:
                portal.extensions["portal"].provider.metadata()
    assert failed.value.problem == PROVIDER_UNREACHABLE


def test_the_portal_reads_request_json_within_the_limits():
    from werkzeug.exceptions import BadRequest

    portal = _portal("http://127.0.0.1:9")
    from flask import request

    deep_post = {"method": "POST", "data": DEEP, "content_type": "application/json"}
    with portal.test_request_context("/", **deep_post):
        with pytest.raises(BadRequest) as refused:
            request.get_json()
    assert refused.value.code == 400 and "deeper" in refused.value.description
