"""The portal's ID token validation against valid and tampered tokens (OIDC Core §3.1.3.7)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from joserfc.jwk import RSAKey

from relying_party.id_token import ExpectedIdToken, validate_id_token
from relying_party.signed_jwt import TokenRejected
from tests.portal.signing import (
    ACCESS_TOKEN,
    CLIENT_ID,
    ISSUER,
    NONCE,
    FakeProvider,
    id_token_claims,
    unsigned,
)

EXPECTED = ExpectedIdToken(
    issuer=ISSUER, client_id=CLIENT_ID, nonce=NONCE, access_token=ACCESS_TOKEN
)


@pytest.fixture(scope="module")
def provider() -> FakeProvider:
    return FakeProvider()


@pytest.fixture(autouse=True)
def _reset(provider):
    provider.after_refetch = None
    provider.fetches.clear()


def rejected(token: str, provider: FakeProvider, expected=EXPECTED, now=None) -> str:
    with pytest.raises(TokenRejected) as caught:
        validate_id_token(token, provider.fetch, expected, now=now)
    assert caught.value.problem.code == "portal.id_token_rejected"
    return caught.value.reason


def test_a_valid_token_passes_and_returns_its_claims(provider):
    claims = validate_id_token(provider.sign(id_token_claims()), provider.fetch, EXPECTED)
    assert claims["sub"] == "sub-opaque-1"
    assert claims["sid"] == "sid-1"
    assert provider.fetches == [False]


def test_an_es256_token_passes(provider):
    claims = id_token_claims(at_hash=None)
    token = provider.sign(claims, alg="ES256")
    assert validate_id_token(token, provider.fetch, EXPECTED)["acr"] == "LoA1"


def test_wrong_signature_is_refused(provider):
    impostor = RSAKey.generate_key(2048, private=True, parameters={"kid": "rsa-1"})
    token = provider.sign(id_token_claims(), key=impostor)
    assert rejected(token, provider) == "signature"


def test_a_payload_changed_after_signing_is_refused(provider):
    header, _payload, signature = provider.sign(id_token_claims()).split(".")
    other = provider.sign(id_token_claims(sub="someone-else")).split(".")[1]
    assert rejected(f"{header}.{other}.{signature}", provider) == "signature"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"aud": "another-client"}, "aud"),
        ({"aud": ["another-client"]}, "aud"),
        ({"iss": "https://evil.example"}, "iss"),
        ({"iss": ISSUER + "/"}, "iss"),
        ({"nonce": "n-replayed"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"azp": "another-client"}, "azp"),
        ({"aud": [CLIENT_ID, "another-client"], "azp": None}, "azp"),
        ({"acr": None}, "acr"),
        ({"acr": "LoA0"}, "acr"),
        ({"sub": None}, "sub"),
        ({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}, "at_hash"),
    ],
)
def test_a_claim_that_is_wrong_or_missing_is_refused(provider, changes, reason):
    assert rejected(provider.sign(id_token_claims(**changes)), provider) == reason


def test_expired_token_is_refused_beyond_the_leeway(provider):
    now = int(time.time())
    token = provider.sign(id_token_claims(now=now - 4000))  # exp = now - 400
    assert rejected(token, provider, now=now) == "exp"


def test_expiry_within_the_leeway_is_tolerated(provider):
    now = int(time.time())
    token = provider.sign(id_token_claims(now=now, exp=now - 30))
    assert validate_id_token(token, provider.fetch, EXPECTED, now=now)["exp"] == now - 30


def test_issued_in_the_future_or_long_ago_is_refused(provider):
    now = int(time.time())
    future = provider.sign(id_token_claims(now=now, iat=now + 600))
    assert rejected(future, provider, now=now) == "iat"
    stale = provider.sign(id_token_claims(now=now, iat=now - 3000, exp=now + 600))
    assert rejected(stale, provider, now=now) == "iat"


def test_unknown_kid_is_found_by_one_refetch_of_the_key_set(provider):
    rotated = RSAKey.generate_key(2048, private=True, parameters={"kid": "rsa-2"})
    provider.after_refetch = [provider.rsa, rotated]
    token = provider.sign(id_token_claims(), key=rotated)
    assert validate_id_token(token, provider.fetch, EXPECTED)["sub"] == "sub-opaque-1"
    assert provider.fetches == [False, True]


def test_unknown_kid_that_the_refetch_does_not_find_is_refused(provider):
    stranger = RSAKey.generate_key(2048, private=True, parameters={"kid": "rsa-unknown"})
    token = provider.sign(id_token_claims(), key=stranger)
    assert rejected(token, provider) == "kid"
    assert provider.fetches == [False, True]


def test_alg_none_is_refused(provider):
    assert rejected(unsigned(id_token_claims()), provider) == "alg"


def test_hmac_signed_with_the_public_key_is_refused(provider):
    head_and_body = unsigned(id_token_claims(), alg="HS256").rstrip(".")
    secret = provider.rsa.as_pem(private=False)
    mac = hmac.new(secret, head_and_body.encode(), hashlib.sha256).digest()
    token = head_and_body + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    assert rejected(token, provider) == "alg"


def test_only_the_expected_algorithms_are_accepted(provider):
    token = provider.sign(id_token_claims(at_hash=None), alg="ES256")
    rs256_only = ExpectedIdToken(
        issuer=ISSUER, client_id=CLIENT_ID, nonce=NONCE, algorithms=("RS256",)
    )
    assert rejected(token, provider, expected=rs256_only) == "alg"


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c", "x" * 20000])
def test_garbage_is_refused_as_malformed(provider, garbage):
    assert rejected(garbage, provider) == "malformed"


def test_an_empty_expected_nonce_never_passes(provider):
    no_nonce = ExpectedIdToken(issuer=ISSUER, client_id=CLIENT_ID, nonce="")
    assert rejected(provider.sign(id_token_claims()), provider, expected=no_nonce) == "nonce"
