"""The portal's back-channel logout receiver (``POST /backchannel-logout``) given
Hypothesis-generated garbage and well-formed but wrong logout tokens: unsigned, signed by
a stranger, an HMAC made with the public key, or correctly signed with one claim broken.
It answers 400 every time (never a 5xx) and no portal session ends."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from joserfc.jwk import RSAKey
from werkzeug.datastructures import MultiDict

from relying_party.logout_token import BACKCHANNEL_EVENT
from tests.conftest import REAL_REDIS
from tests.portal.signing import CLIENT_ID, ISSUER, FakeProvider

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT = st.text(max_size=30)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
SESSIONS = [("sid-1", "sub-opaque-1"), ("sid-2", "sub-opaque-2")]


@pytest.fixture(scope="module")
def provider() -> FakeProvider:
    return FakeProvider()


@pytest.fixture(scope="module")
def portal(provider):
    from portal import create_portal_app
    from relying_party.session_store import index_session

    app = create_portal_app(
        {
            "IDP_ENV": "test",
            "PORTAL_ISSUER": ISSUER,
            "PORTAL_CLIENT_ID": CLIENT_ID,
            "PORTAL_CLIENT_SECRET": "secret",
            "PORTAL_BASE_URL": "http://127.0.0.1:5001",
            "PORTAL_SECRET_KEY": secrets.token_hex(32),
            "REDIS_URL": REAL_REDIS,
            "PORTAL_REDIS_PREFIX": f"test:{secrets.token_hex(4)}:portal:",
        }
    )
    client = app.extensions["portal"].provider
    client.fetch_jwks = provider.fetch  # the fake provider's keys, no network
    client.id_token_algorithms = lambda: ["RS256", "ES256"]
    store = app.extensions["portal"].store
    for number, (sid, sub) in enumerate(SESSIONS):
        session_id = f"session-{number}"
        store.set(f"session:{session_id}", {"data": {"citizen": {"sid": sid, "sub": sub}}}, 3600)
        index_session(store, session_id, sid, sub, 3600)
    return app


def live_sessions(app) -> list[bool]:
    store = app.extensions["portal"].store
    return [store.get(f"session:session-{n}") is not None for n in range(len(SESSIONS))]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def good_claims() -> dict:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 120,
        "jti": secrets.token_hex(8),
        "sid": "sid-1",
        "sub": "sub-opaque-1",
        "events": {BACKCHANNEL_EVENT: {}},
    }


# One claim broken (or the header), the rest right: each must be refused on its own.
BREAKS = st.one_of(
    st.tuples(
        st.just("iss"), st.sampled_from([None, "https://evil.example", ISSUER + "/"]) | JSON_VALUES
    ),
    st.tuples(st.just("aud"), st.sampled_from([None, "another", ["another"]]) | st.integers()),
    # A float near now is a valid NumericDate, so the floats stay far from it.
    st.tuples(
        st.just("iat"),
        st.sampled_from([None, "now", 10**12, 0, -1])
        | st.floats(max_value=1e9)
        | st.floats(min_value=1e11),
    ),
    st.tuples(st.just("exp"), st.sampled_from([0, 1, "later"]) | st.lists(st.integers())),
    st.tuples(st.just("jti"), st.sampled_from([None, "j" * 300]) | st.integers() | st.lists(TEXT)),
    st.tuples(
        st.just("events"), st.sampled_from([None, {}, {BACKCHANNEL_EVENT: "x"}]) | JSON_VALUES
    ),
    # None would drop the claim and leave a valid token: a nonce must be present to break it.
    st.tuples(st.just("nonce"), SCALARS.filter(lambda value: value is not None)),
    st.tuples(st.just("sid+sub"), st.sampled_from([(None, None), (1, None), (None, ["x"])])),
    st.tuples(st.just("typ"), st.sampled_from([None, "JWT", "at+jwt", ""])),
)


@st.composite
def bad_tokens(draw, provider):
    kind = draw(st.sampled_from(["garbage", "segments", "unsigned", "stranger", "hmac", "broken"]))
    if kind == "garbage":
        return draw(st.text(max_size=200) | st.integers(0, 40000).map(lambda n: "e" * n))
    if kind == "segments":
        parts = draw(st.lists(st.binary(max_size=60).map(_b64) | TEXT, min_size=2, max_size=5))
        return ".".join(parts)
    claims = good_claims()
    if kind == "unsigned":
        header = {"alg": draw(st.sampled_from(["none", "None", ""])), "typ": "logout+jwt"}
        return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."
    if kind == "stranger":
        stranger = RSAKey.generate_key(2048, private=True, parameters={"kid": "rsa-1"})
        return provider.sign(claims, key=stranger, typ="logout+jwt")
    if kind == "hmac":
        secret = json.dumps(provider.rsa.as_dict(private=False)).encode()
        header = {"alg": "HS256", "kid": "rsa-1", "typ": "logout+jwt"}
        body = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        return f"{body}.{_b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())}"
    name, value = draw(BREAKS)
    typ = "logout+jwt"
    if name == "typ":
        typ = value
    elif name == "sid+sub":
        claims["sid"], claims["sub"] = value
    else:
        claims[name] = value
    claims = {k: v for k, v in claims.items() if v is not None}
    header = {"typ": typ} if typ is not None else {}
    alg = draw(st.sampled_from(["RS256", "ES256"]))
    return provider.sign(claims, alg=alg, **header)


def test_the_fixture_accepts_a_valid_token_so_the_refusals_mean_something(portal, provider):
    """A control: a right token ends the session it names (then the fixture is reset)."""
    from relying_party.session_store import index_session

    http = portal.test_client()
    token = provider.sign(
        {**good_claims(), "sid": "sid-2", "sub": "sub-opaque-2"}, typ="logout+jwt"
    )
    assert http.post("/backchannel-logout", data={"logout_token": token}).status_code == 200
    assert live_sessions(portal) == [True, False]
    store = portal.extensions["portal"].store
    store.set(
        "session:session-1", {"data": {"citizen": {"sid": "sid-2", "sub": "sub-opaque-2"}}}, 3600
    )
    index_session(store, "session-1", "sid-2", "sub-opaque-2", 3600)
    assert live_sessions(portal) == [True, True]


def test_bad_logout_tokens_get_400_and_end_no_session(portal, provider):
    http = portal.test_client()

    @FUZZ
    @given(
        token=bad_tokens(provider),
        how=st.sampled_from(["form", "twice", "json", "query", "missing"]),
    )
    # A non-string "jti" must be refused before it reaches len() or the store key.
    @example(token=provider.sign({**good_claims(), "jti": 7}, typ="logout+jwt"), how="form")
    def run(token, how):
        if how == "form":
            resp = http.post("/backchannel-logout", data={"logout_token": token})
        elif how == "twice":
            resp = http.post(
                "/backchannel-logout",
                data=MultiDict([("logout_token", token), ("logout_token", "x")]),
            )
        elif how == "json":
            resp = http.post("/backchannel-logout", json={"logout_token": token})
        elif how == "query":
            resp = http.post("/backchannel-logout", query_string={"logout_token": token})
        else:
            resp = http.post("/backchannel-logout", data={"token": token})
        assert resp.status_code == 400, (resp.status_code, resp.get_data(as_text=True)[:300])
        assert resp.get_json()["error"] == "invalid_request"
        assert live_sessions(portal) == [True, True]

    run()
