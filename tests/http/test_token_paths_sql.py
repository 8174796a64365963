"""Structural: what the token paths ask of the database (counted, not timed).

With a warm client cache, client_credentials sends no SQL at all; introspection and
userinfo of an access token (opaque or JWT) open no transaction: no BEGIN, COMMIT or
ROLLBACK, only userinfo's one read of the citizen in autocommit. A code exchange without
a refresh token opens none either.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from tests.conftest import query_of
from tests.http.driver import Browser
from tests.http.test_code_flow import redeem
from tests.http.test_token_lifecycle import introspect, make_client, tokens_for


@pytest.fixture
def browser(app, outbox):
    return Browser(app, outbox)


class Sql:
    """SQL statements and transaction boundaries sent on the app's engine."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.transactions: list[str] = []

    def clear(self) -> None:
        self.statements.clear()
        self.transactions.clear()


@pytest.fixture
def sql(app):
    from idp.extensions import db

    with app.app_context():
        engine = db.engine
    seen = Sql()

    def statement(conn, cursor, text, *args):
        seen.statements.append(text)

    def boundary(name):
        def listener(conn, *args):
            # A connection in AUTOCOMMIT sends no BEGIN/COMMIT/ROLLBACK whatever SQLAlchemy
            # calls its transaction; only the others count.
            if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                seen.transactions.append(name)

        return listener

    listeners = [
        ("before_cursor_execute", statement),
        ("begin", boundary("BEGIN")),
        ("commit", boundary("COMMIT")),
        ("rollback", boundary("ROLLBACK")),
    ]
    for name, fn in listeners:
        event.listen(engine, name, fn)
    yield seen
    for name, fn in listeners:
        event.remove(engine, name, fn)


def test_client_credentials_sends_no_sql_with_a_warm_client_cache(app, browser, sql):
    client = make_client(app, extra_metadata={"grant_types": ["client_credentials"]})
    auth = (client["client_id"], client["client_secret"])
    form = {"grant_type": "client_credentials"}
    assert browser.http.post("/oauth2/token", data=form, auth=auth).status_code == 200
    sql.clear()
    for _ in range(3):
        assert browser.http.post("/oauth2/token", data=form, auth=auth).status_code == 200
    assert sql.statements == [] and sql.transactions == []


@pytest.mark.parametrize("token_format", ["opaque", "jwt"])
def test_introspection_and_userinfo_open_no_transaction(app, browser, citizen, sql, token_format):
    metadata = {"access_token_format": "jwt"} if token_format == "jwt" else {}
    client = make_client(app, trusted=True, extra_metadata=metadata)
    access = tokens_for(browser, citizen, client)["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}
    assert introspect(browser.http, client, access)["active"] is True  # warms the cache
    sql.clear()
    assert introspect(browser.http, client, access)["active"] is True
    assert sql.statements == [] and sql.transactions == []
    assert browser.http.get("/oauth2/userinfo", headers=bearer).status_code == 200
    assert sql.transactions == []
    assert len(sql.statements) == 1 and "FROM citizen" in sql.statements[0]


def test_a_code_exchange_without_refresh_token_opens_no_transaction(app, browser, citizen, sql):
    client = make_client(app)  # a third party without offline_access: no refresh token
    tokens_for(browser, citizen, client)  # signs in, consents and warms the cache
    url, req = browser.authorize_url(client["client_id"])
    code = query_of(browser.get(url).location)["code"]
    sql.clear()
    resp = redeem(browser.http, client, code, req["verifier"])
    assert resp.status_code == 200 and "refresh_token" not in resp.get_json()
    assert sql.transactions == []


@pytest.mark.parametrize("token_format", ["opaque", "jwt"])
def test_a_token_check_is_one_store_call(app, browser, citizen, token_format):
    """Introspection reads the token and every marker that can revoke it in one store
    call (``get_linked`` for an opaque token, ``get_many`` for a JWT) and no other value
    (the rate limiter's one call is its own: test_client_rate_limits.py)."""
    from idp.services import services

    metadata = {"access_token_format": "jwt"} if token_format == "jwt" else {}
    client = make_client(app, trusted=True, extra_metadata=metadata)
    access = tokens_for(browser, citizen, client)["access_token"]
    assert introspect(browser.http, client, access)["active"] is True
    with app.app_context():
        store = services().store
    calls: list[str] = []
    names = ("get", "get_many", "get_linked", "set", "add", "pop", "delete", "replace")
    originals = {name: getattr(store, name) for name in names}

    def counting(name):
        def call(*args, **kwargs):
            calls.append(name)
            return originals[name](*args, **kwargs)

        return call

    for name in names:
        setattr(store, name, counting(name))
    try:
        # A back end's request: no browser cookies (a login session cookie is read).
        assert introspect(app.test_client(), client, access)["active"] is True
    finally:
        for name in names:
            delattr(store, name)
    assert calls == ["get_many" if token_format == "jwt" else "get_linked"]
