"""An agency's app on the relying-party module, registered at the provider under the FAPI
2.0 Security Profile, signs a citizen in over real HTTP: the module pushes the request
(RFC 9126), authenticates with private_key_jwt (ES256), and holds DPoP-bound tokens
(RFC 9449) at the token endpoint, at userinfo and at refresh. Without those the provider
refuses it (the profile's own tests: tests/http/test_fapi2.py)."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from flask import Blueprint, Flask
from joserfc.jwk import ECKey

from tests.conftest import CITIZEN, Outbox
from tests.live import LiveServer, free_port
from tests.servers.test_independent_client import sign_in_through_the_pages

pytestmark = pytest.mark.servers
AGENCY = "http://127.0.0.1:9"  # its callback is never reached: the test carries the answer


def agency_app(issuer: str, client_id: str, signing: ECKey, proving: ECKey, **changes) -> Flask:
    from relying_party import ClientSettings, MemoryStore, mount
    from relying_party.signed_in import current_citizen, fresh_access_token

    app = Flask("fapi_agency")
    app.secret_key = "s" * 64
    bp = Blueprint("site", __name__)
    bp.add_url_rule("/", "home", lambda: (current_citizen() or {}).get("name", "anonymous"))
    bp.add_url_rule("/login", "login", lambda: "login page")
    bp.add_url_rule("/token", "token", lambda: fresh_access_token() or "none")
    options = {
        "base_url": AGENCY,
        "scope": "openid profile phone offline_access",
        "token_endpoint_auth_method": "private_key_jwt",
        "private_key": json.dumps(signing.as_dict(private=True)),
        "private_key_alg": "ES256",
        "use_par": True,
        "dpop_key": json.dumps(proving.as_dict(private=True)),
        "dpop_alg": "ES256",
    }
    settings = ClientSettings(issuer, client_id, "", **{**options, **changes})
    mount(app, bp, settings, MemoryStore())
    app.register_blueprint(bp)
    return app


@pytest.fixture
def provider(app_factory):
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    app = app_factory(IDP_ISSUER=issuer, DPOP_REQUIRE_NONCE=True)
    from idp.citizens.creation import create_citizen
    from idp.oidc.clients import create_client
    from idp.oidc.security_profiles import fapi2_metadata

    signing = ECKey.generate_key("P-256", private=True, parameters={"kid": "agency-1"})
    with app.app_context():
        create_citizen(**CITIZEN, actor="test")
        client_id, _ = create_client(
            name="Cục Thuế tỉnh Đắk Lắk",
            redirect_uris=[f"{AGENCY}/callback"],
            scope="openid profile phone offline_access",
            trusted=True,
            auth_method="private_key_jwt",
            alg="ES256",
            extra_metadata=fapi2_metadata(
                {
                    "token_endpoint_auth_method": "private_key_jwt",
                    "jwks": {"keys": [signing.as_dict(private=False)]},
                    "grant_types": ["authorization_code", "refresh_token"],
                }
            ),
        )
    with LiveServer(app, port) as server:
        yield server, client_id, signing, Outbox(app_factory.outbox), app


def test_the_module_signs_in_through_par_private_key_jwt_and_dpop(provider):
    server, client_id, signing, outbox, idp_app = provider
    proving = ECKey.generate_key("P-256", private=True)
    agency = agency_app(server.url, client_id, signing, proving).test_client()
    start = agency.get("/login/national?next=/")
    assert start.status_code == 302
    query = dict(parse_qsl(urlsplit(start.location).query))
    assert set(query) == {"client_id", "request_uri"}  # pushed: nothing else in the URL
    callback = sign_in_through_the_pages(server, start.location, outbox)
    parts = urlsplit(callback)
    done = agency.get(f"{parts.path}?{parts.query}")
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    assert agency.get("/").get_data(as_text=True) == CITIZEN["full_name"]

    with agency.session_transaction() as session:
        tokens = dict(session["tokens"])
        session["tokens"] = {**tokens, "expires_at": 0}  # due for a refresh
    with idp_app.app_context():
        from idp.oidc.tokens import find_access_token

        bound = find_access_token(tokens["access_token"])
    assert bound is not None and bound.jkt == proving.thumbprint()
    renewed = agency.get("/token").get_data(as_text=True)
    assert renewed not in ("none", tokens["access_token"])
    with idp_app.app_context():
        assert find_access_token(renewed).jkt == proving.thumbprint()


def test_without_the_push_the_provider_refuses_the_agency(provider):
    server, client_id, signing, _, _ = provider
    proving = ECKey.generate_key("P-256", private=True)
    agency = agency_app(server.url, client_id, signing, proving, use_par=False).test_client()
    start = agency.get("/login/national?next=/")
    refused = requests.get(start.location, allow_redirects=False, timeout=5)
    assert "error=invalid_request" in refused.headers["Location"]
