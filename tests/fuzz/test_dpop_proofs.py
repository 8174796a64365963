"""Whatever arrives in a ``DPoP`` header (RFC 9449): random text, JWTs with random headers
and claims, keys of the wrong kind. The token endpoint answers 400 ``invalid_dpop_proof``
(or ``use_dpop_nonce``), userinfo 401, never a 5xx, and nothing is issued or stored."""

from __future__ import annotations

import base64
import json
import time

import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import assert_unchanged, snapshot

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEY = ec.generate_private_key(ec.SECP256R1())
JWK = json.loads(pyjwt.algorithms.ECAlgorithm.to_jwk(KEY.public_key()))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
# What an HTTP header can carry (no line breaks): visible ASCII and spaces.
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(header: object, claims: object, signature: bytes) -> str:
    return ".".join(
        (
            _b64(json.dumps(header).encode()),
            _b64(json.dumps(claims).encode()),
            _b64(signature),
        )
    )


PROOFS = st.one_of(
    HEADER_TEXT,
    st.builds(_segments, JSON_VALUES, JSON_VALUES, st.binary(max_size=80)),
    st.builds(
        _segments,
        st.fixed_dictionaries(
            {
                "typ": st.sampled_from(["dpop+jwt", "JWT", ""]),
                "alg": st.sampled_from(["ES256", "RS256", "none", "HS256", "X"]),
            },
            optional={"jwk": st.one_of(st.just(JWK), JSON_VALUES)},
        ),
        st.dictionaries(
            st.sampled_from(["jti", "htm", "htu", "iat", "ath", "nonce"]), JSON_VALUES, max_size=6
        ),
        st.binary(min_size=64, max_size=64),
    ),
)


def _signed(claims: dict) -> str:
    return pyjwt.encode(claims, KEY, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": JWK})


@FUZZ
@given(proof=PROOFS)
@example(proof=_signed({"jti": "x", "htm": "POST", "htu": 5, "iat": int(time.time())}))
@example(proof=_signed({"jti": ["x"], "htm": "POST", "htu": "", "iat": 1.5}))
@example(proof=_signed({"jti": "y", "htm": None, "htu": "http://[::1", "iat": True}))
def test_the_token_endpoint_refuses_any_broken_proof_cleanly(fuzz_app, proof):
    http = fuzz_app.test_client()
    before = snapshot(fuzz_app)
    answer = http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(fuzz_app.fuzz["client_id"], fuzz_app.fuzz["client_secret"]),
        headers={"DPoP": proof},
    )
    assert answer.status_code == 400, answer.get_data(as_text=True)[:300]
    assert answer.get_json()["error"] in ("invalid_dpop_proof", "use_dpop_nonce")
    assert_unchanged(before, snapshot(fuzz_app))


@FUZZ
@given(proof=PROOFS, token=HEADER_TEXT)
def test_userinfo_refuses_any_broken_proof_cleanly(fuzz_app, proof, token):
    http = fuzz_app.test_client()
    answer = http.get(
        "/oauth2/userinfo",
        headers={"Authorization": f"DPoP {token.strip() or 'x'}", "DPoP": proof},
    )
    assert answer.status_code in (400, 401), answer.get_data(as_text=True)[:300]
