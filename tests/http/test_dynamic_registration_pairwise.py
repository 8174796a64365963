"""Pairwise subject identifiers for dynamically registered clients (OIDC Core §8.1,
OIDC Registration §5): the sector_identifier_uri is served by a local http.server, the
logins go through the real forms, the ID tokens are checked with PyJWT."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import requests

from tests.conftest import CITIZEN, REDIRECT_URI, query_of
from tests.http.driver import Browser
from tests.http.test_dynamic_registration import metadata, serve_provider
from tests.live import free_port

OTHER_REDIRECT = "http://127.0.0.1:5001/other-callback"
LOCALHOST_REDIRECT = "http://localhost:5002/callback"


class SectorDocuments:
    """A local http.server answering each path with the JSON body set for it."""

    def __init__(self):
        self.bodies: dict[str, bytes] = {}
        documents = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = documents.bodies.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def serve(self, path: str, content) -> str:
        raw = content if isinstance(content, bytes) else json.dumps(content).encode()
        self.bodies[path] = raw
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def sectors():
    documents = SectorDocuments()
    documents.thread.start()
    yield documents
    documents.server.shutdown()
    documents.thread.join(timeout=5)


@pytest.fixture
def provider(app_factory):
    server, provider = serve_provider(app_factory)
    with server:
        yield provider


def register_pairwise(provider, redirect_uris, sector_uri=None) -> dict:
    resp = provider.register(
        metadata(
            redirect_uris=redirect_uris, subject_type="pairwise", sector_identifier_uri=sector_uri
        )
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def sub_after_login(provider, outbox, client: dict, redirect_uri: str, phone: str) -> str:
    """A fresh browser logs the citizen in at ``client``; the verified ID token's sub."""
    browser = Browser(provider.app, outbox)
    url, req = browser.authorize_url(client["client_id"], redirect_uri=redirect_uri)
    final = browser.login(url, CITIZEN["id_number"], CITIZEN["password"], phone)
    assert final.status_code == 302 and final.location.startswith(redirect_uri), final.location
    token = requests.post(
        f"{provider.url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": query_of(final.location)["code"],
            "redirect_uri": redirect_uri,
            "code_verifier": req["verifier"],
        },
        auth=(client["client_id"], client["client_secret"]),
        timeout=10,
    )
    assert token.status_code == 200, token.text
    tokens = token.json()
    header = jwt.get_unverified_header(tokens["id_token"])
    jwks = requests.get(f"{provider.url}/oauth2/jwks", timeout=10).json()
    key = jwt.PyJWK.from_dict(next(k for k in jwks["keys"] if k["kid"] == header["kid"]))
    claims = jwt.decode(
        tokens["id_token"],
        key.key,
        algorithms=[header["alg"]],
        audience=client["client_id"],
        issuer=provider.url,
    )
    info = requests.get(
        f"{provider.url}/oauth2/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    ).json()
    assert info["sub"] == claims["sub"]
    return claims["sub"]


def test_pairwise_sub_differs_between_sectors_and_is_stable_within_one(provider, sectors, outbox):
    from idp.citizens.creation import create_citizen
    from idp.extensions import db
    from idp.oidc.models import Client

    with provider.app.app_context():
        citizen = create_citizen(**CITIZEN, actor="test")
        public_sub, phone = citizen.subject, citizen.phone
    sector_uri = sectors.serve("/sector.json", [REDIRECT_URI, OTHER_REDIRECT])
    first = register_pairwise(provider, [REDIRECT_URI], sector_uri)
    same_sector = register_pairwise(provider, [OTHER_REDIRECT], sector_uri)
    other_sector = register_pairwise(provider, [LOCALHOST_REDIRECT])
    with provider.app.app_context():
        stored = {
            c.client_id: c.client_metadata.get("sector_identifier")
            for c in db.session.scalars(db.select(Client))
        }
    assert stored[first["client_id"]] == "127.0.0.1"
    assert stored[other_sector["client_id"]] == "localhost"

    sub_first = sub_after_login(provider, outbox, first, REDIRECT_URI, phone)
    sub_same_sector = sub_after_login(provider, outbox, same_sector, OTHER_REDIRECT, phone)
    sub_other = sub_after_login(provider, outbox, other_sector, LOCALHOST_REDIRECT, phone)
    sub_again = sub_after_login(provider, outbox, first, REDIRECT_URI, phone)

    assert sub_first == sub_again  # stable across logins at one client
    assert sub_first == sub_same_sector  # one sector, one sub
    assert sub_first != sub_other  # another sector, another sub
    assert public_sub not in (sub_first, sub_other)
    assert CITIZEN["id_number"] not in (sub_first, sub_other)


@pytest.mark.parametrize(
    ("document", "description"),
    [
        ([REDIRECT_URI], "redirect_uris[1]"),
        ({"redirect_uris": [REDIRECT_URI, OTHER_REDIRECT]}, "JSON array"),
        (b"<html>not json</html>", "JSON array"),
        (None, "JSON array"),  # 404
    ],
)
def test_sector_identifier_document_must_list_every_redirect_uri(
    provider, sectors, document, description
):
    uri = f"http://127.0.0.1:{sectors.port}/missing.json"
    if document is not None:
        uri = sectors.serve("/sector.json", document)
    resp = provider.register(
        metadata(
            redirect_uris=[REDIRECT_URI, OTHER_REDIRECT],
            subject_type="pairwise",
            sector_identifier_uri=uri,
        )
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_client_metadata"
    assert description in resp.json()["error_description"]


def test_unreachable_sector_identifier_uri_is_refused(provider):
    resp = provider.register(
        metadata(
            subject_type="pairwise",
            sector_identifier_uri=f"http://127.0.0.1:{free_port()}/sector.json",
        )
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client_metadata"


def test_sector_identifier_uri_must_be_https_in_production_like_settings(app_factory, sectors):
    server, provider = serve_provider(app_factory, REGISTRATION_REQUIRE_HTTPS=True)
    with server:
        resp = provider.register(
            metadata(
                redirect_uris=["https://portal.example.vn/cb"],
                subject_type="pairwise",
                sector_identifier_uri=sectors.serve("/s.json", ["https://portal.example.vn/cb"]),
            )
        )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client_metadata"
    assert "https" in resp.json()["error_description"]
