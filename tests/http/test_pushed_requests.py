"""Pushed authorization requests (RFC 9126): the push, the browser's request with the
``request_uri``, its single use and lifetime, the clients that must push, and every
refusal as a JSON error or an error page, never a 500."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest

from tests.conftest import REDIRECT_URI, authorization_params, query_of
from tests.http.driver import Browser
from tests.http.test_code_flow import redeem, verify_id_token
from tests.http.test_token_lifecycle import make_client

URN = "urn:ietf:params:oauth:request_uri:"


@pytest.fixture
def browser(app, outbox):
    return Browser(app, outbox)


def authorization_request(client_id: str, /, **extra) -> tuple[dict, str]:
    return authorization_params(client_id, **{"state": "st-par", **extra})


def push(http, client: dict, params: dict, **kw):
    return http.post(
        "/oauth2/par", data=params, auth=(client["client_id"], client["client_secret"]), **kw
    )


def front_channel(client_id: str, request_uri: str, **extra) -> str:
    return "/oauth2/authorize?" + urlencode(
        {"client_id": client_id, "request_uri": request_uri, **extra}
    )


def test_discovery_names_the_endpoint_and_whether_pushing_is_required(app):
    metadata = app.test_client().get("/.well-known/openid-configuration").get_json()
    assert metadata["pushed_authorization_request_endpoint"] == ("http://127.0.0.1:5000/oauth2/par")
    assert metadata["require_pushed_authorization_requests"] is False


def test_a_pushed_request_completes_the_code_flow(browser, citizen, oidc_client):
    params, verifier = authorization_request(oidc_client["client_id"])
    answer = push(browser.http, oidc_client, params)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert body["expires_in"] == 60
    assert body["request_uri"].startswith(URN) and len(body["request_uri"]) > len(URN) + 40

    url = front_channel(oidc_client["client_id"], body["request_uri"])
    done = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    assert done.status_code == 302 and done.location.startswith(REDIRECT_URI)
    returned = query_of(done.location)
    assert returned["state"] == "st-par" and returned["iss"] == "http://127.0.0.1:5000"
    tokens = redeem(browser.http, oidc_client, returned["code"], verifier)
    assert tokens.status_code == 200, tokens.get_data(as_text=True)
    verify_id_token(browser.http, tokens.get_json()["id_token"], oidc_client["client_id"])


def test_front_channel_parameters_beside_the_request_uri_are_ignored(browser, citizen, oidc_client):
    params, _ = authorization_request(oidc_client["client_id"])
    request_uri = push(browser.http, oidc_client, params).get_json()["request_uri"]
    url = front_channel(
        oidc_client["client_id"],
        request_uri,
        redirect_uri="http://127.0.0.1:5001/elsewhere",
        state="tampered",
        scope="openid citizen_id",
    )
    done = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    assert done.location.startswith(REDIRECT_URI + "?")
    assert query_of(done.location)["state"] == "st-par"


def test_a_request_uri_works_once(browser, citizen, oidc_client):
    params, _ = authorization_request(oidc_client["client_id"])
    request_uri = push(browser.http, oidc_client, params).get_json()["request_uri"]
    url = front_channel(oidc_client["client_id"], request_uri)
    assert browser.get(url).status_code == 302  # on to the login
    again = browser.get(url)
    assert again.status_code == 400
    assert "invalid_request_uri" in again.get_data(as_text=True)


def test_a_request_uri_expires(app, browser, oidc_client, clock):
    params, _ = authorization_request(oidc_client["client_id"])
    request_uri = push(browser.http, oidc_client, params).get_json()["request_uri"]
    clock.advance(61)
    answer = browser.get(front_channel(oidc_client["client_id"], request_uri))
    assert answer.status_code == 400 and "invalid_request_uri" in answer.get_data(as_text=True)


def test_a_request_uri_is_only_its_clients(app, browser, oidc_client):
    other_id = make_client(app, name="Khác", scope="openid")["client_id"]
    params, _ = authorization_request(oidc_client["client_id"])
    request_uri = push(browser.http, oidc_client, params).get_json()["request_uri"]
    for client_id in (other_id, ""):
        answer = browser.get(front_channel(client_id, request_uri))
        assert answer.status_code == 400
        assert "invalid_request_uri" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("request_uri", "error"),
    [
        (URN + "made-up", "invalid_request_uri"),
        (URN, "invalid_request_uri"),
        (URN + "x" * 100, "invalid_request_uri"),
        (URN + "x" * 5000, "invalid_request"),  # longer than any parameter may be
    ],
)
def test_made_up_request_uris_are_an_error_page(browser, oidc_client, request_uri, error):
    answer = browser.get(front_channel(oidc_client["client_id"], request_uri))
    assert answer.status_code == 400
    assert f"<code>{error}</code>" in answer.get_data(as_text=True)


def test_a_request_uri_on_another_host_stays_refused(browser, oidc_client):
    params, _ = authorization_request(
        oidc_client["client_id"], request_uri="https://client.example/request.jwt"
    )
    answer = browser.get("/oauth2/authorize?" + urlencode(params))
    assert answer.status_code == 302
    assert query_of(answer.location)["error"] == "request_uri_not_supported"


def test_the_push_needs_the_clients_credentials(browser, oidc_client):
    params, _ = authorization_request(oidc_client["client_id"])
    answer = browser.http.post("/oauth2/par", data=params)
    assert answer.status_code == 401 and answer.get_json()["error"] == "invalid_client"
    wrong = browser.http.post(
        "/oauth2/par", data=params, auth=(oidc_client["client_id"], "not-the-secret")
    )
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "invalid_client"
    malformed = browser.http.post(
        "/oauth2/par", data=params, headers={"Authorization": "Basic %%%"}
    )
    assert malformed.status_code == 401


def test_client_secret_post_and_the_credentials_are_not_kept(app, browser, citizen):
    client = make_client(app, name="Post", trusted=True, auth_method="client_secret_post")
    client_id, secret = client["client_id"], client["client_secret"]
    params, _ = authorization_request(client_id)
    answer = browser.http.post("/oauth2/par", data={**params, "client_secret": secret})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    with app.test_request_context():
        from idp.oidc import pushed_requests

        kept = pushed_requests.take(client_id, answer.get_json()["request_uri"])
    assert kept is not None and "client_secret" not in kept and kept["state"] == "st-par"


def test_a_public_client_pushes_with_its_client_id_and_pkce(app, browser, citizen):
    client_id = make_client(app, name="Ứng dụng", trusted=True, auth_method="none")["client_id"]
    params, verifier = authorization_request(client_id)
    answer = browser.http.post("/oauth2/par", data=params)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    url = front_channel(client_id, answer.get_json()["request_uri"])
    done = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    code = query_of(done.location)["code"]
    tokens = browser.http.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": client_id,
        },
    )
    assert tokens.status_code == 200, tokens.get_data(as_text=True)
    no_pkce, _ = authorization_request(client_id, code_challenge=None)
    refused = browser.http.post("/oauth2/par", data=no_pkce)
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"redirect_uri": "https://evil.example/cb"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "openid admin"}, "invalid_scope"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": None}, "invalid_request"),
        ({"claims": "{not json"}, "invalid_request"),
        ({"max_age": "-1"}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"request_uri": URN + "abc"}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "invalid_request_object"),
        ({"client_id": "someone-else"}, "invalid_request"),
    ],
)
def test_a_request_that_cannot_succeed_is_refused_at_the_push(browser, oidc_client, change, error):
    params, _ = authorization_request(oidc_client["client_id"], **change)
    answer = push(browser.http, oidc_client, params)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.get_json()["error"] == error
    assert "Location" not in answer.headers  # an error here is never a redirect
    assert answer.headers["Cache-Control"] == "no-store"


def test_prompt_none_is_decided_when_the_browser_comes(browser, oidc_client):
    params, _ = authorization_request(oidc_client["client_id"], prompt="none")
    answer = push(browser.http, oidc_client, params)
    assert answer.status_code == 201
    sent = browser.get(front_channel(oidc_client["client_id"], answer.get_json()["request_uri"]))
    assert sent.status_code == 302 and query_of(sent.location)["error"] == "login_required"


def test_a_repeated_or_oversized_parameter_is_invalid_request(browser, oidc_client):
    params, _ = authorization_request(oidc_client["client_id"])
    body = urlencode(params) + "&scope=openid"
    auth = base64.b64encode(
        f"{oidc_client['client_id']}:{oidc_client['client_secret']}".encode()
    ).decode()
    answer = browser.http.post(
        "/oauth2/par",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": f"Basic {auth}"},
    )
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_request"
    long_state, _ = authorization_request(oidc_client["client_id"], state="s" * 3000)
    answer = push(browser.http, oidc_client, long_state)
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_request"


def _requiring_client(app) -> dict:
    metadata = {"require_pushed_authorization_requests": True}
    return make_client(app, name="Thuế", trusted=True, extra_metadata=metadata)


def test_a_client_that_must_push_is_refused_the_front_channel(app, browser, citizen):
    client = _requiring_client(app)
    url, _ = browser.authorize_url(client["client_id"])
    refused = browser.get(url)
    assert refused.status_code == 302 and refused.location.startswith(REDIRECT_URI)
    returned = query_of(refused.location)
    assert returned["error"] == "invalid_request" and returned["state"] == "st-123"
    params, _ = authorization_request(client["client_id"])
    request_uri = push(browser.http, client, params).get_json()["request_uri"]
    done = browser.login(
        front_channel(client["client_id"], request_uri),
        citizen["id_number"],
        citizen["password"],
        citizen["phone_e164"],
    )
    assert "code" in query_of(done.location)


def test_the_provider_can_require_every_client_to_push(app_factory, outbox, oidc_client):
    app = app_factory(REQUIRE_PUSHED_AUTHORIZATION_REQUESTS=True)
    browser = Browser(app, outbox)
    metadata = browser.get("/.well-known/openid-configuration").get_json()
    assert metadata["require_pushed_authorization_requests"] is True
    url, _ = browser.authorize_url(oidc_client["client_id"])
    assert query_of(browser.get(url).location)["error"] == "invalid_request"


def test_registration_takes_and_shows_the_clients_requirement(app_factory):
    from tests.http.test_dynamic_registration import metadata, serve_provider

    server, provider = serve_provider(app_factory)
    with server:
        answer = provider.register(metadata(require_pushed_authorization_requests=True))
        assert answer.status_code == 201, answer.text
        assert answer.json()["require_pushed_authorization_requests"] is True
        plain = provider.register(metadata())
        assert plain.json()["require_pushed_authorization_requests"] is False
        bad = provider.register(metadata(require_pushed_authorization_requests="yes"))
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_client_metadata"


def test_private_key_jwt_may_name_the_par_endpoint_as_audience(app, browser):
    """RFC 9126 §2: the assertion's audience may be the issuer, the token endpoint or the
    pushed authorization request endpoint."""
    import time
    import uuid

    import jwt as pyjwt
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = json.loads(pyjwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    client_id = make_client(
        app,
        name="Khoá riêng",
        auth_method="private_key_jwt",
        extra_metadata={"jwks": {"keys": [{**public, "kid": "k1", "use": "sig"}]}},
    )["client_id"]

    def assertion(audience: str) -> str:
        now = int(time.time())
        claims = {
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + 60,
        }
        return pyjwt.encode(claims, key, algorithm="ES256", headers={"kid": "k1"})

    params, _ = authorization_request(client_id)
    for audience in ("http://127.0.0.1:5000/oauth2/par", "http://127.0.0.1:5000"):
        answer = browser.http.post(
            "/oauth2/par",
            data={
                **params,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion(audience),
            },
        )
        assert answer.status_code == 201, answer.get_data(as_text=True)
    elsewhere = browser.http.post(
        "/oauth2/par",
        data={
            **params,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion("https://other.example/token"),
        },
    )
    # RFC 6749 §5.2: invalid_client, 400 when no Authorization header was used.
    assert elsewhere.status_code == 400, elsewhere.get_data(as_text=True)
    assert elsewhere.get_json()["error"] == "invalid_client"
