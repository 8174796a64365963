"""A pooled connection pinged at checkout (idle for DATABASE_PING_IDLE_SECONDS or more) goes
out with no transaction open, so the hot paths' autocommit reads can use it. A bench run
found client_credentials and the authorization endpoint answering 500 ("can't change
'autocommit' now: connection in transaction status INTRANS") once the pool's connections
had been idle for ten seconds."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.servers


@pytest.fixture
def app(app_factory, private_postgres):
    # Every checkout pings; no client is kept in memory, so each request reads it.
    return app_factory(
        DATABASE_URL=private_postgres.url, DATABASE_PING_IDLE_SECONDS=0, CLIENT_CACHE_SECONDS=0
    )


def test_client_authentication_after_idle_pings_reads_in_autocommit(app, oidc_client):
    from idp.extensions import db

    http = app.test_client()
    auth = (oidc_client["client_id"], oidc_client["client_secret"])
    for _ in range(3):  # the client is read in autocommit each time (no cache)
        answer = http.post("/oauth2/introspect", data={"token": "unknown"}, auth=auth)
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
        assert answer.get_json() == {"active": False}
    with app.app_context(), db.engine.connect() as conn:
        assert conn.connection.dbapi_connection.info.transaction_status.name == "IDLE"
