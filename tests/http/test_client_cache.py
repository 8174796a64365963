"""The per-process client cache: the hot paths stop reading ``oauth_client`` on every
request, yet a suspension or a new secret is obeyed at once in this process and within
``CLIENT_CACHE_SECONDS`` elsewhere."""

from __future__ import annotations

import pytest
from sqlalchemy import event, update

from tests.http.test_token_lifecycle import make_client


def client_credentials(app, client):
    http = app.test_client()
    return http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
    )


@pytest.fixture
def agency(app):
    return make_client(app, extra_metadata={"grant_types": ["client_credentials"]})


@pytest.fixture
def client_reads(app):
    """How many statements read ``oauth_client`` (collected while the test runs)."""
    from idp.extensions import db

    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        if "FROM oauth_client" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_a_second_request_reads_the_client_from_memory(app, agency, client_reads):
    assert client_credentials(app, agency).status_code == 200
    first = len(client_reads)
    assert first >= 1
    assert client_credentials(app, agency).status_code == 200
    assert client_credentials(app, agency).status_code == 200
    assert len(client_reads) == first


def test_a_suspension_in_this_process_is_obeyed_at_once(app, agency):
    from idp.extensions import db
    from idp.oidc.models import Client

    assert client_credentials(app, agency).status_code == 200
    with app.app_context():
        row = db.session.scalar(db.select(Client).filter_by(client_id=agency["client_id"]))
        row.status = "suspended"
        db.session.commit()
    resp = client_credentials(app, agency)
    assert resp.status_code == 401 and resp.get_json()["error"] == "invalid_client"


def test_a_rotated_secret_replaces_the_old_one_at_once(app, agency):
    from idp.extensions import db
    from idp.oidc.models import Client

    assert client_credentials(app, agency).status_code == 200
    with app.app_context():
        row = db.session.scalar(db.select(Client).filter_by(client_id=agency["client_id"]))
        row.set_secret("a-brand-new-high-entropy-secret-value-0123456789")
        db.session.commit()
    assert client_credentials(app, agency).status_code == 401
    renewed = {**agency, "client_secret": "a-brand-new-high-entropy-secret-value-0123456789"}
    assert client_credentials(app, renewed).status_code == 200


def suspend_elsewhere(app, client_id: str) -> None:
    """Another replica's write does not pass through this process's session; a plain SQL
    UPDATE stands for it."""
    from idp.extensions import db
    from idp.oidc.models import Client

    with app.app_context(), db.engine.begin() as conn:
        conn.execute(update(Client).where(Client.client_id == client_id).values(status="suspended"))


def test_a_change_made_by_another_replica_is_seen_after_the_cache_window(app_factory, clock):
    app = app_factory(CLIENT_CACHE_SECONDS=1)
    agency = make_client(app, extra_metadata={"grant_types": ["client_credentials"]})
    assert client_credentials(app, agency).status_code == 200
    suspend_elsewhere(app, agency["client_id"])
    assert client_credentials(app, agency).status_code == 200  # within the window
    clock.advance(1.1)
    assert client_credentials(app, agency).get_json()["error"] == "invalid_client"


def test_the_cache_can_be_turned_off(app_factory):
    app = app_factory(CLIENT_CACHE_SECONDS=0)
    agency = make_client(app, extra_metadata={"grant_types": ["client_credentials"]})
    assert client_credentials(app, agency).status_code == 200
    suspend_elsewhere(app, agency["client_id"])
    assert client_credentials(app, agency).status_code == 401
