"""The portal's logout token validation (Back-Channel Logout 1.0 §2.6)."""

from __future__ import annotations

import time

import pytest
from joserfc.jwk import RSAKey

from relying_party.logout_token import (
    BACKCHANNEL_EVENT,
    ExpectedLogoutToken,
    validate_logout_token,
)
from relying_party.signed_jwt import TokenRejected
from tests.portal.signing import CLIENT_ID, ISSUER, FakeProvider, unsigned

EXPECTED = ExpectedLogoutToken(issuer=ISSUER, client_id=CLIENT_ID)


@pytest.fixture(scope="module")
def provider() -> FakeProvider:
    return FakeProvider()


def logout_claims(now: int | None = None, **changes) -> dict:
    now = int(time.time()) if now is None else now
    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 120,
        "jti": "jti-1",
        "sid": "sid-1",
        "sub": "sub-opaque-1",
        "events": {BACKCHANNEL_EVENT: {}},
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def sign(provider: FakeProvider, claims: dict, typ: str | None = "logout+jwt", **kw) -> str:
    header = {"typ": typ} if typ else {}
    return provider.sign(claims, **header, **kw)


def rejected(token: str, provider: FakeProvider, now=None) -> str:
    with pytest.raises(TokenRejected) as caught:
        validate_logout_token(token, provider.fetch, EXPECTED, now=now)
    assert caught.value.problem.code == "portal.logout_token_rejected"
    return caught.value.reason


def test_a_valid_logout_token_passes(provider):
    claims = validate_logout_token(sign(provider, logout_claims()), provider.fetch, EXPECTED)
    assert (claims["sid"], claims["sub"], claims["jti"]) == ("sid-1", "sub-opaque-1", "jti-1")


def test_sid_alone_or_sub_alone_is_enough(provider):
    for claims in (logout_claims(sub=None), logout_claims(sid=None)):
        assert validate_logout_token(sign(provider, claims), provider.fetch, EXPECTED)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"nonce": "n-1"}, "nonce"),
        ({"events": None}, "events"),
        ({"events": {"http://example.com/other": {}}}, "events"),
        ({"events": {BACKCHANNEL_EVENT: "yes"}}, "events"),
        ({"sid": None, "sub": None}, "sid"),
        ({"jti": None}, "jti"),
        ({"jti": "j" * 300}, "jti"),
        ({"aud": "another-client"}, "aud"),
        ({"iss": "https://evil.example"}, "iss"),
        ({"iat": None}, "iat"),
    ],
)
def test_a_claim_that_is_wrong_or_missing_is_refused(provider, changes, reason):
    assert rejected(sign(provider, logout_claims(**changes)), provider) == reason


def test_an_id_token_is_not_a_logout_token(provider):
    assert rejected(sign(provider, logout_claims(), typ="JWT"), provider) == "typ"
    assert rejected(sign(provider, logout_claims(), typ=None), provider) == "typ"


def test_expired_or_stale_tokens_are_refused(provider):
    now = int(time.time())
    expired = sign(provider, logout_claims(now=now - 600))
    assert rejected(expired, provider, now=now) == "exp"
    stale = sign(provider, logout_claims(now=now - 1000, exp=now + 100))
    assert rejected(stale, provider, now=now) == "iat"


def test_signature_and_algorithm_are_checked(provider):
    impostor = RSAKey.generate_key(2048, private=True, parameters={"kid": "rsa-1"})
    assert rejected(sign(provider, logout_claims(), key=impostor), provider) == "signature"
    assert rejected(unsigned(logout_claims()), provider) == "alg"
