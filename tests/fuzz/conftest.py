"""A provider app per fuzz module (Hypothesis runs hundreds of requests against one app),
built like ``tests/conftest.py``'s ``app_factory``: embedded defaults, or PostgreSQL and
Redis when DATABASE_URL / REDIS_URL are set. And a snapshot of what the app has stored."""

from __future__ import annotations

import secrets

import pytest

from tests.conftest import CITIZEN, REAL_DB, REAL_REDIS, REDIRECT_URI, Outbox, _reset_database

# Database tables whose rows a rejected request must leave alone (the audit trail is
# expected to grow), and store keys that are data rather than counters or flows.
SNAPSHOT_TABLES = (
    "citizen",
    "oauth_client",
    "oauth_token",
    "consent",
    "complaint",
    "complaint_evidence",
    "authenticator_app",
    "recovery_code",
    "operator",
    "initial_access_token",
    "registration_access_token",
    "subscriber",
    "upstream",
    "upstream_link",
)
STORE_PREFIXES = ("code:", "login:", "sid:")


@pytest.fixture(scope="module")
def fuzz_app(request, tmp_path_factory, keys_dir):
    """One provider app for the whole module, with a citizen and a confidential client;
    a module may set ``APP_OVERRIDES`` (settings) for it."""
    from idp import create_app
    from idp.citizens.creation import create_citizen
    from idp.extensions import db
    from idp.oidc.clients import create_client

    tmp = tmp_path_factory.mktemp("fuzz")
    settings = {
        "DATABASE_URL": REAL_DB or f"sqlite:///{tmp / 'idp.sqlite3'}",
        "REDIS_URL": REAL_REDIS,
        "REDIS_PREFIX": f"test:fuzz:{secrets.token_hex(4)}:",
        "IDP_KEYS_DIR": str(keys_dir),
        "SMS_BACKEND": "outbox",
        "SMS_OUTBOX_PATH": str(tmp / "outbox.jsonl"),
        "SUBSCRIBER_CHECK": "registry",
        "WTF_CSRF_ENABLED": True,
        **getattr(request.module, "APP_OVERRIDES", {}),
    }
    app = create_app("test", settings)
    app.config["TESTING"] = True
    _reset_database(app)
    with app.app_context():
        citizen = create_citizen(**CITIZEN, actor="test")
        client_id, secret = create_client(
            name="Cổng DVC thử nghiệm",
            redirect_uris=[REDIRECT_URI],
            post_logout_redirect_uris=["http://127.0.0.1:5001/"],
            scope="openid profile phone email citizen_id offline_access",
            trusted=True,
        )
        app.fuzz = {
            "citizen": {"id": citizen.id, "phone_e164": citizen.phone, **CITIZEN},
            "client_id": client_id,
            "client_secret": secret,
            "outbox": Outbox(tmp / "outbox.jsonl"),
        }
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def snapshot(app) -> dict:
    """Every row of the data tables and the number of stored codes and login sessions."""
    from idp.extensions import db
    from idp.services import store

    with app.app_context():
        tables = {t.name: t for t in db.metadata.sorted_tables}
        rows = {}
        for name in SNAPSHOT_TABLES:
            if name in tables:
                result = db.session.execute(db.select(tables[name]))
                rows[name] = sorted(repr(tuple(row)) for row in result)
        db.session.rollback()
        rows["store"] = _store_counts(store())
    return rows


def _store_counts(backend) -> dict[str, int]:
    if hasattr(backend, "_data"):  # MemoryStore
        with backend._lock:
            live = [key for key in list(backend._data) if backend._live(key) is not None]
    else:  # RedisStore
        live = [
            key[len(backend.prefix) :] for key in backend._redis.scan_iter(f"{backend.prefix}*")
        ]
    return {prefix: sum(key.startswith(prefix) for key in live) for prefix in STORE_PREFIXES}


def assert_unchanged(before: dict, after: dict) -> None:
    for name in before:
        assert before[name] == after[name], f"stored data changed: {name}"
