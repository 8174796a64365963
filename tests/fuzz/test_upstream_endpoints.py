"""Hypothesis-generated answers from an upstream identity provider: whatever comes back to
``/upstream/{name}/callback`` (any query, any state, an unknown upstream) and whatever is
posted to ``/upstream/{name}/backchannel-logout`` (malformed JWTs, and well-formed ones
signed with keys the upstream never published) is a 4xx page or, once past the input
limits, a JSON error; never a 5xx, and no stored row changes: no account, link or session
comes from it."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc import jwt as jose_jwt
from joserfc.jwk import RSAKey

from tests.federation.wiring import add_test_upstream
from tests.fuzz.conftest import assert_unchanged, snapshot

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TEXT = st.text(max_size=300)
FORGER = RSAKey.generate_key(2048)


@pytest.fixture(scope="module")
def with_upstream(fuzz_app):
    """The fuzz app with an upstream whose issuer nothing answers at."""
    add_test_upstream(fuzz_app, "http://127.0.0.1:1", discover=False, create_accounts=True)
    return fuzz_app


def _forged(claims: dict) -> str:
    return jose_jwt.encode({"alg": "RS256", "typ": "logout+jwt"}, claims, FORGER)


@FUZZ
@given(
    name=st.sampled_from(["vneid", "unknown", "VNeID", "a" * 40]),
    query=st.dictionaries(
        st.sampled_from(["state", "code", "iss", "error", "error_description", "x"]), TEXT
    ),
)
def test_any_callback_is_a_4xx_page(with_upstream, name, query):
    before = snapshot(with_upstream)
    answer = with_upstream.test_client().get(f"/upstream/{name}/callback", query_string=query)
    assert 400 <= answer.status_code < 500, answer.status_code
    assert "Quay lại" in answer.get_data(as_text=True)
    assert_unchanged(before, snapshot(with_upstream))


@FUZZ
@given(
    name=st.sampled_from(["vneid", "unknown"]),
    token=st.one_of(
        TEXT,
        st.fixed_dictionaries(
            {"iss": TEXT, "aud": TEXT, "sid": TEXT, "jti": TEXT, "iat": st.integers()}
        ).map(_forged),
    ),
)
def test_any_logout_token_is_a_json_4xx(with_upstream, name, token):
    before = snapshot(with_upstream)
    answer = with_upstream.test_client().post(
        f"/upstream/{name}/backchannel-logout", data={"logout_token": token}
    )
    assert answer.status_code == 400
    if answer.is_json:  # control characters are refused before the view (idp.abuse)
        assert answer.get_json()["error"] == "invalid_request"
    assert_unchanged(before, snapshot(with_upstream))
