"""No open redirect through any return address: a table of hostile values against
login's and registration's return_to, redirect_uri and post_logout_redirect_uri."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from idp.flows.login.flow import safe_return_path
from idp.flows.registration.return_address import safe_return_address
from tests.conftest import pkce_pair

HOSTILE = [
    "//evil.example",
    "//evil.example/account",
    "https://evil.example",
    "https://evil.example/callback",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://127.0.0.1:5001.evil.example/callback",
    "http://127.0.0.1:5001@evil.example/callback",
    "/%0d%0aLocation:%20https://evil.example",
    "/\tevil",
    "///evil.example",
    " //evil.example",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_login_return_to(hostile):
    assert safe_return_path(hostile) in (None, hostile) and not _leaves(safe_return_path(hostile))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_registration_return_to(app, oidc_client, hostile):
    with app.test_request_context("/"):
        assert not _leaves(safe_return_address(hostile))


def _leaves(address: str | None) -> bool:
    """Whether a browser sent to ``address`` would leave this provider."""
    if address is None:
        return False
    squeezed = "".join(address.split()).replace("\\", "/").lower()
    return squeezed.startswith(("//", "http:", "https:", "javascript:", "data:"))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_authorize_never_redirects_to_an_unregistered_redirect_uri(app, oidc_client, hostile):
    _, challenge = pkce_pair()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": oidc_client["client_id"],
            "redirect_uri": hostile,
            "scope": "openid",
            "state": "s",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    resp = app.test_client().get(f"/oauth2/authorize?{query}")
    assert resp.status_code == 400
    assert "evil" not in (resp.location or "")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_logout_never_redirects_to_an_unregistered_address(app, oidc_client, hostile):
    query = urlencode({"client_id": oidc_client["client_id"], "post_logout_redirect_uri": hostile})
    resp = app.test_client().get(f"/oauth2/logout?{query}")
    assert resp.status_code == 400
    assert "evil" not in (resp.location or "")


def test_registered_addresses_still_work(app, oidc_client):
    assert safe_return_path("/account?tab=1") == "/account?tab=1"
    with app.test_request_context("/"):
        assert safe_return_address("http://127.0.0.1:5001/callback") is not None
