"""Garbage input gets a 4xx with a clear message, never a 500 and never stored data:
parameter counts, field lengths, control characters, body size, content types and
malformed JWTs on the protocol endpoints."""

from __future__ import annotations

import base64
import json

import pytest

from idp.abuse.input_limits import (
    ADDRESS_CHARACTERS,
    CONTROL_CHARACTERS,
    FIELD_TOO_LONG,
    TOO_MANY_PARAMETERS,
)
from tests.conftest import csrf_of

GARBAGE_JWTS = [
    "not-a-jwt",
    "a.b.c",
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
    "....",
    base64.urlsafe_b64encode(b'{"alg":"RS256"}').decode() + ".%%%." + "x" * 10,
    "e" * 5000,
]


def _page_text(resp) -> str:
    return resp.get_data(as_text=True)


def test_too_many_parameters_on_a_page_and_a_protocol_endpoint(app):
    http = app.test_client()
    query = "&".join(f"p{i}=1" for i in range(101))
    resp = http.get(f"/login?{query}")
    assert resp.status_code == 400 and TOO_MANY_PARAMETERS.message in _page_text(resp)
    resp = http.post("/oauth2/token", data={f"p{i}": "1" for i in range(101)})
    assert resp.status_code == 400 and resp.json["error"] == "invalid_request"


def test_over_long_field_is_refused_before_the_view(app):
    http = app.test_client()
    resp = http.get("/register")
    page = http.get(resp.location).get_data(as_text=True)
    resp = http.post("/recovery/identify", data={"csrf_token": csrf_of(page), "username": "1" * 65})
    assert resp.status_code == 400 and FIELD_TOO_LONG.message in _page_text(resp)
    resp = http.post("/oauth2/token", data={"grant_type": "x" * 20000})
    assert resp.status_code == 400 and resp.json["error"] == "invalid_request"


@pytest.mark.parametrize("value", ["066\x00090001234", "abc\x1b[31m", "x\x7f", "\u0085"])
def test_control_characters_are_refused(app, value):
    resp = app.test_client().get("/login", query_string={"login_hint": value})
    assert resp.status_code == 400 and CONTROL_CHARACTERS.message in _page_text(resp)
    resp = app.test_client().post("/oauth2/token", data={"grant_type": value})
    assert resp.status_code == 400 and resp.json["error"] == "invalid_request"


@pytest.mark.parametrize("value", ["https://x.example/\\evil", 'https://x.example/"', "/\tevil"])
def test_redirect_uri_with_forbidden_characters_gets_a_page(app, oidc_client, value):
    query = {"client_id": oidc_client["client_id"], "redirect_uri": value, "scope": "openid"}
    resp = app.test_client().get("/oauth2/authorize", query_string=query)
    assert resp.status_code == 400 and resp.mimetype == "text/html"
    assert ADDRESS_CHARACTERS.message in _page_text(
        resp
    ) or CONTROL_CHARACTERS.message in _page_text(resp)


def test_body_over_the_limit_is_413(app):
    resp = app.test_client().post(
        "/oauth2/token",
        data=b"a=" + b"x" * (2 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert resp.status_code == 413


def test_json_at_the_token_endpoint_is_invalid_request(app, oidc_client):
    resp = app.test_client().post(
        "/oauth2/token",
        data=json.dumps({"grant_type": "authorization_code", "code": "x"}),
        content_type="application/json",
        headers={
            "Authorization": "Basic "
            + base64.b64encode(
                f"{oidc_client['client_id']}:{oidc_client['client_secret']}".encode()
            ).decode()
        },
    )
    assert 400 <= resp.status_code < 500
    assert resp.json["error"] in ("invalid_request", "unsupported_grant_type")


def test_form_at_the_registration_endpoint_is_refused(app):
    resp = app.test_client().post(
        "/oauth2/register", data={"redirect_uris": "https://x.example/cb"}
    )
    assert 400 <= resp.status_code < 500
    assert "error" in resp.json


@pytest.mark.parametrize("jwt", GARBAGE_JWTS)
def test_malformed_jwts_are_4xx(app, oidc_client, jwt):
    http = app.test_client()
    resp = http.get("/oauth2/logout", query_string={"id_token_hint": jwt})
    assert 400 <= resp.status_code < 500
    resp = http.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": "x",
            "client_id": oidc_client["client_id"],
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": jwt,
        },
    )
    assert 400 <= resp.status_code < 500 and "error" in resp.json
    resp = http.get(
        "/oauth2/authorize",
        query_string={
            "client_id": oidc_client["client_id"],
            "response_type": "code",
            "scope": "openid",
            "request": jwt,
        },
    )
    assert 300 <= resp.status_code < 500
    for path in ("/oauth2/userinfo", "/oauth2/introspect"):
        resp = http.post(path, headers={"Authorization": f"Bearer {jwt}"}, data={"token": jwt})
        assert 400 <= resp.status_code < 500, path


@pytest.mark.parametrize(
    "path", ["/console/citizens/٢/lock", "/console/citizens/２/unlock", "/console/citizens/²/lock"]
)
def test_route_numbers_take_ascii_digits_only(app, path):
    """Werkzeug's int converter takes any Unicode digit (int("٢") == 2): a second address
    for the same citizen. Found by tests/fuzz/test_signed_in_forms.py."""
    from werkzeug.exceptions import NotFound

    urls = app.url_map.bind("localhost")
    with pytest.raises(NotFound):
        urls.match(path, method="POST")
    assert urls.match("/console/citizens/2/lock", method="POST")[1] == {"citizen_id": 2}
