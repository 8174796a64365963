"""The relying party's client registration: URIs from the base URL, and the private key of
private_key_jwt read from a JWK or a PEM."""

from __future__ import annotations

import json

import pytest
from joserfc.jwk import ECKey, RSAKey

from relying_party import ClientSettings
from relying_party.provider_client import signing_key

ISSUER = "https://dvc.example.gov.vn/"


def test_redirect_uris_follow_the_base_url():
    settings = ClientSettings(ISSUER, "c", "s", base_url="https://agency.example/")
    assert settings.issuer == "https://dvc.example.gov.vn"
    assert settings.redirect_uri == "https://agency.example/callback"
    assert settings.post_logout_redirect_uri == "https://agency.example/"


def test_an_unknown_auth_method_or_a_key_without_private_key_jwt_is_refused():
    with pytest.raises(ValueError, match="token_endpoint_auth_method"):
        ClientSettings(ISSUER, "c", "s", "https://a", token_endpoint_auth_method="none")
    with pytest.raises(ValueError, match="private_key"):
        ClientSettings(ISSUER, "c", "", "https://a", token_endpoint_auth_method="private_key_jwt")
    with pytest.raises(ValueError, match="private_key"):
        ClientSettings(ISSUER, "c", "s", "https://a", private_key="{}")


@pytest.mark.parametrize(
    ("key", "alg"),
    [
        (RSAKey.generate_key(2048, private=True), "RS256"),
        (ECKey.generate_key("P-256", private=True), "ES256"),
    ],
)
def test_the_private_key_is_read_from_a_jwk_or_a_pem(key, alg):
    for text in (json.dumps(key.as_dict(private=True)), key.as_pem(private=True).decode()):
        settings = ClientSettings(
            ISSUER,
            "c",
            "",
            "https://a",
            token_endpoint_auth_method="private_key_jwt",
            private_key=text,
            private_key_alg=alg,
        )
        assert signing_key(settings).thumbprint() == key.thumbprint()
