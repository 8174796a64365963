"""Rate limits per client on the authenticated protocol endpoints: an agency whose back
end sends every call from one address has its own budget; failed authentications are
counted per address, and an address over that limit is refused whatever it sends."""

from __future__ import annotations

import pytest

from tests.conftest import REAL_REDIS
from tests.http.driver import Browser
from tests.http.test_token_lifecycle import make_client, tokens_for

AGENCY_ADDRESS = "203.0.113.50"
OTHER_ADDRESS = "203.0.113.51"


def _agency(app, name: str) -> dict:
    return make_client(app, name=name, extra_metadata={"grant_types": ["client_credentials"]})


def _post(http, path: str, client: dict, secret: str | None = None, ip: str = AGENCY_ADDRESS):
    data = {"grant_type": "client_credentials"} if path == "/oauth2/token" else {"token": "x"}
    return http.post(
        path,
        data=data,
        auth=(client["client_id"], secret or client["client_secret"]),
        headers={"X-Forwarded-For": ip},
    )


def _assert_slow_down(resp, about: str) -> None:
    assert resp.status_code == 429
    body = resp.get_json()
    assert body["error"] == "slow_down"
    assert about in body["error_description"]
    assert resp.headers["Cache-Control"] == "no-store"
    assert 1 <= int(resp.headers["Retry-After"]) <= 60


@pytest.fixture
def limited(app_factory):
    def build(**limits):
        return app_factory(TRUSTED_PROXIES="127.0.0.1", **limits)

    return build


@pytest.mark.parametrize(
    ("setting", "path", "ok"),
    [
        ("TOKEN_PER_CLIENT", "/oauth2/token", 200),
        ("INTROSPECTION_PER_CLIENT", "/oauth2/introspect", 200),
        ("REVOCATION_PER_CLIENT", "/oauth2/revoke", 200),
    ],
)
def test_two_clients_on_one_address_each_have_their_own_budget(limited, setting, path, ok):
    app = limited(**{f"RATE_LIMIT_{setting}": "3/minute"})
    busy, quiet = _agency(app, "Sở Tư pháp"), _agency(app, "Sở Y tế")
    http = app.test_client()
    for _ in range(3):
        assert _post(http, path, busy).status_code == ok
    _assert_slow_down(_post(http, path, busy), "this client")
    # The other agency's back end, same address, still has its whole budget.
    for _ in range(3):
        assert _post(http, path, quiet).status_code == ok
    _assert_slow_down(_post(http, path, quiet), "this client")


def test_a_clients_budget_follows_it_across_addresses(limited):
    app = limited(RATE_LIMIT_TOKEN_PER_CLIENT="2/minute")
    agency = _agency(app, "Sở Tư pháp")
    http = app.test_client()
    assert _post(http, "/oauth2/token", agency, ip=AGENCY_ADDRESS).status_code == 200
    assert _post(http, "/oauth2/token", agency, ip=OTHER_ADDRESS).status_code == 200
    _assert_slow_down(_post(http, "/oauth2/token", agency, ip="203.0.113.52"), "this client")


def test_the_endpoints_count_separately_for_one_client(limited):
    app = limited(
        RATE_LIMIT_TOKEN_PER_CLIENT="1/minute", RATE_LIMIT_REVOCATION_PER_CLIENT="1/minute"
    )
    agency = _agency(app, "Sở Tư pháp")
    http = app.test_client()
    assert _post(http, "/oauth2/token", agency).status_code == 200
    assert _post(http, "/oauth2/revoke", agency).status_code == 200
    assert _post(http, "/oauth2/introspect", agency).status_code == 200
    assert _post(http, "/oauth2/token", agency).status_code == 429


@pytest.mark.parametrize("path", ["/oauth2/token", "/oauth2/introspect", "/oauth2/revoke"])
def test_failed_client_authentications_are_throttled_per_address(limited, path):
    app = limited(RATE_LIMIT_CLIENT_AUTH_FAILURES="3/minute")
    agency = _agency(app, "Sở Tư pháp")
    http = app.test_client()
    for _ in range(3):
        assert _post(http, path, agency, secret="doan-sai").status_code == 401
    # Over the limit the address is refused whatever its credentials: the
    # right secret gets the same 429, so a guesser learns nothing from it.
    _assert_slow_down(_post(http, path, agency, secret="doan-sai"), "failed authentications")
    _assert_slow_down(_post(http, path, agency), "failed authentications")
    # The agency's other address is not affected.
    assert _post(http, path, agency, ip=OTHER_ADDRESS).status_code == 200


def test_failures_on_one_endpoint_count_for_all_three(limited):
    app = limited(RATE_LIMIT_CLIENT_AUTH_FAILURES="2/minute")
    agency = _agency(app, "Sở Tư pháp")
    http = app.test_client()
    assert _post(http, "/oauth2/token", agency, secret="sai").status_code == 401
    assert _post(http, "/oauth2/introspect", agency, secret="sai").status_code == 401
    assert _post(http, "/oauth2/revoke", agency).status_code == 429


def test_successful_authentications_do_not_spend_the_failure_budget(limited):
    app = limited(RATE_LIMIT_CLIENT_AUTH_FAILURES="1/minute")
    agency = _agency(app, "Sở Tư pháp")
    http = app.test_client()
    for _ in range(5):
        assert _post(http, "/oauth2/token", agency).status_code == 200
    assert _post(http, "/oauth2/token", agency, secret="sai").status_code == 401
    assert _post(http, "/oauth2/token", agency, secret="sai").status_code == 429


def test_a_public_clients_count_is_per_address(limited):
    """Anyone can name a public client: its budget is per (client, address), so one
    address cannot spend it for everyone."""
    app = limited(RATE_LIMIT_TOKEN_PER_CLIENT="2/minute")
    public = make_client(app, name="Ứng dụng di động", auth_method="none")
    http = app.test_client()

    def redeem_bogus_code(ip: str):
        data = {"grant_type": "authorization_code", "client_id": public["client_id"], "code": "x"}
        return http.post("/oauth2/token", data=data, headers={"X-Forwarded-For": ip})

    for _ in range(2):
        assert redeem_bogus_code(AGENCY_ADDRESS).status_code == 400  # invalid_grant
    _assert_slow_down(redeem_bogus_code(AGENCY_ADDRESS), "this client")
    assert redeem_bogus_code(OTHER_ADDRESS).status_code == 400


@pytest.mark.skipif(
    not REAL_REDIS, reason="memory:// counters are per process by design; needs REDIS_URL"
)
def test_two_replicas_on_one_redis_share_a_clients_count(limited):
    first = limited(RATE_LIMIT_TOKEN_PER_CLIENT="3/minute")
    second = limited(RATE_LIMIT_TOKEN_PER_CLIENT="3/minute")
    agency = _agency(first, "Sở Tư pháp")
    a, b = first.test_client(), second.test_client()
    assert _post(a, "/oauth2/token", agency).status_code == 200
    assert _post(b, "/oauth2/token", agency).status_code == 200
    assert _post(a, "/oauth2/token", agency).status_code == 200
    _assert_slow_down(_post(b, "/oauth2/token", agency), "this client")


def test_a_per_client_limit_is_one_rate(app_factory):
    from idp.settings import SettingsError

    with pytest.raises(SettingsError, match="RATE_LIMIT_TOKEN_PER_CLIENT"):
        app_factory(RATE_LIMIT_TOKEN_PER_CLIENT="10/second;100/minute")


def _userinfo(http, access_token: str, ip: str = AGENCY_ADDRESS):
    return http.get(
        "/oauth2/userinfo",
        headers={"Authorization": f"Bearer {access_token}", "X-Forwarded-For": ip},
    )


def _access_token(app, outbox, citizen, client) -> str:
    return tokens_for(Browser(app, outbox), citizen, client)["access_token"]


def test_userinfo_is_limited_per_access_tokens_client(limited, outbox, citizen):
    app = limited(RATE_LIMIT_USERINFO_PER_CLIENT="2/minute")
    first = make_client(app, name="Sở Tư pháp", trusted=True)
    second = make_client(app, name="Sở Y tế", trusted=True)
    first_token = _access_token(app, outbox, citizen, first)
    second_token = _access_token(app, outbox, citizen, second)
    http = app.test_client()
    for _ in range(2):
        assert _userinfo(http, first_token).status_code == 200
    _assert_slow_down(_userinfo(http, first_token), "this client")
    assert _userinfo(http, second_token).status_code == 200


def test_failed_bearer_authentications_are_throttled_per_address(limited, outbox, citizen):
    app = limited(RATE_LIMIT_BEARER_FAILURES="2/minute")
    client = make_client(app, name="Sở Tư pháp", trusted=True)
    token = _access_token(app, outbox, citizen, client)
    http = app.test_client()
    for _ in range(3):
        assert _userinfo(http, token).status_code == 200  # successes are not counted
    for _ in range(2):
        assert _userinfo(http, "doan-bua").status_code == 401
    _assert_slow_down(_userinfo(http, token), "failed authentications")
    assert _userinfo(http, token, ip=OTHER_ADDRESS).status_code == 200


def test_each_protocol_request_makes_one_limiter_call(limited, outbox, citizen, monkeypatch):
    """Both counts of a request (the address's failures, the client's requests) are taken
    in one store call: one Redis round trip (counted on Redis, where it matters)."""
    import idp.rate_limits

    app = limited()
    agency = _agency(app, "Sở Tư pháp")
    client = make_client(app, name="Sở Y tế", trusted=True)
    token = _access_token(app, outbox, citizen, client)
    http = app.test_client()
    calls: list[str] = []
    original = idp.rate_limits.read_and_hit

    def counting(storage, read_key, hit_key, window):
        calls.append(hit_key)
        return original(storage, read_key, hit_key, window)

    monkeypatch.setattr(idp.rate_limits, "read_and_hit", counting)
    round_trips: list[tuple] = []
    storage = app.extensions["idp_limiter"].storage
    if REAL_REDIS:
        connection = storage.get_connection()
        send = connection.execute_command

        def counted_send(*args, **kwargs):
            round_trips.append(args[:1])
            return send(*args, **kwargs)

        monkeypatch.setattr(connection, "execute_command", counted_send)
    requests = [
        lambda: _post(http, "/oauth2/token", agency),
        lambda: _post(http, "/oauth2/token", agency, secret="sai"),
        lambda: _post(http, "/oauth2/introspect", agency),
        lambda: _post(http, "/oauth2/revoke", agency, secret="sai"),
        lambda: _userinfo(http, token),
        lambda: _userinfo(http, "doan-bua"),
    ]
    for send_request in requests:
        calls.clear()
        round_trips.clear()
        assert send_request().status_code in (200, 401)
        assert len(calls) == 1
        if REAL_REDIS:
            assert len(round_trips) == 1, round_trips


def test_an_unreachable_limiter_store_skips_the_limits(limited, monkeypatch):
    """Like the other limits (``swallow_errors``): logged, the request is answered."""
    import idp.rate_limits

    def unreachable(*args, **kwargs):
        raise ConnectionError("Redis is down")

    app = limited(
        RATE_LIMIT_TOKEN_PER_CLIENT="1/minute", RATE_LIMIT_CLIENT_AUTH_FAILURES="1/minute"
    )
    agency = _agency(app, "Sở Tư pháp")
    monkeypatch.setattr(idp.rate_limits, "read_and_hit", unreachable)
    http = app.test_client()
    for _ in range(3):
        assert _post(http, "/oauth2/token", agency).status_code == 200
        assert _post(http, "/oauth2/token", agency, secret="sai").status_code == 401


def _push(http, client: dict, secret: str | None = None, ip: str = AGENCY_ADDRESS):
    from tests.http.test_pushed_requests import authorization_request

    params, _ = authorization_request(client["client_id"])
    return http.post(
        "/oauth2/par",
        data=params,
        auth=(client["client_id"], secret or client["client_secret"]),
        headers={"X-Forwarded-For": ip},
    )


def test_pushed_requests_are_limited_per_client(limited):
    """RFC 9126 pushes: counted per client after authentication, like the token endpoint."""
    app = limited(RATE_LIMIT_PAR_PER_CLIENT="2/minute")
    busy, quiet = make_client(app, name="Cục Thuế"), make_client(app, name="BHXH")
    http = app.test_client()
    for _ in range(2):
        assert _push(http, busy).status_code == 201
    _assert_slow_down(_push(http, busy), "this client")
    assert _push(http, quiet).status_code == 201


def test_failed_pushes_are_throttled_per_address(limited):
    app = limited(RATE_LIMIT_CLIENT_AUTH_FAILURES="2/minute")
    agency = make_client(app, name="Cục Thuế")
    http = app.test_client()
    for _ in range(2):
        assert _push(http, agency, secret="doan-sai").status_code == 401
    _assert_slow_down(_push(http, agency), "failed authentications")
    assert _push(http, agency, ip=OTHER_ADDRESS).status_code == 201
