"""Migrations: ``idp db upgrade`` on an empty database reaches a schema equal to the models.

Each run migrates a brand-new database (a temporary SQLite file; a temporary PostgreSQL
database created for the test and dropped after it) with the real console script, twice,
and then asks Alembic to compare the result with the models' metadata: any difference
means a model changed without a migration.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from tests.conftest import REAL_DB

ROOT = Path(__file__).resolve().parents[2]
IDP = str(Path(sys.executable).parent / "idp")
SERVER_URL = REAL_DB or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def idp_db_upgrade(database_url: str, keys_dir: Path) -> str:
    """Run ``idp db upgrade`` in its own process, as an operator would."""
    env = {
        **os.environ,
        "IDP_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "IDP_KEYS_DIR": str(keys_dir),
    }
    done = subprocess.run(
        [IDP, "db", "upgrade"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def schema_differences(database_url: str) -> list:
    import idp.models  # noqa: F401 - every model on the metadata
    from idp.extensions import db

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            return compare_metadata(context, db.metadata)
    finally:
        engine.dispose()


def assert_migrates_cleanly(database_url: str, keys_dir: Path) -> None:
    assert "newest migration" in idp_db_upgrade(database_url, keys_dir)
    assert "newest migration" in idp_db_upgrade(database_url, keys_dir)  # idempotent
    engine = create_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"alembic_version", "citizen", "audit_event"} <= tables
    assert schema_differences(database_url) == []


def test_sqlite_empty_database_migrates_to_the_models(tmp_path, keys_dir):
    assert_migrates_cleanly(f"sqlite:///{tmp_path / 'migrated.sqlite3'}", keys_dir)


@pytest.fixture
def empty_postgres_database():
    """A new, empty PostgreSQL database on 127.0.0.1, dropped after the test."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(SERVER_URL)
    conninfo = {
        "host": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "user": url.username or "postgres",
        "password": url.password or None,
        "dbname": "postgres",
        "connect_timeout": 3,
    }
    try:
        admin = psycopg.connect(**conninfo, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {url.host}:{url.port}: {exc}")
    name = f"test_migrations_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_postgresql_empty_database_migrates_to_the_models(empty_postgres_database, keys_dir):
    assert_migrates_cleanly(empty_postgres_database, keys_dir)


# -- data migrations -------------------------------------------------------------------------

BEFORE_SEALING = "3c5e7a9b1d20"  # the revision before operators' TOTP secrets are sealed
BEFORE_LOCKOUT_MOVE = "899b84067774"  # the citizen still had its lockout columns
BEFORE_OPERATOR_LOCKOUT_MOVE = "b7d41e0c9a52"  # the operator still had its lockout columns
OPERATOR_LOCKOUT_COLUMNS = {"failed_logins", "locked_until"}
PLAIN_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def migration_app(database_url: str, keys_dir: Path):
    from idp import create_app

    return create_app(
        "test", {"DATABASE_URL": database_url, "REDIS_URL": "", "IDP_KEYS_DIR": str(keys_dir)}
    )


def migrate_to(app, revision: str, down: bool = False) -> None:
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        (downgrade if down else upgrade)(directory=str(ROOT / "migrations"), revision=revision)


def stored_secret(app) -> str:
    from idp.extensions import db

    with app.app_context():
        secret = db.session.execute(db.text("SELECT totp_secret FROM operator")).scalar_one()
        db.session.remove()
        return secret


def operator_columns(app) -> set[str]:
    from idp.extensions import db

    with app.app_context():
        columns = {c["name"] for c in inspect(db.engine).get_columns("operator")}
        db.engine.dispose()
    return columns


def assert_operator_secrets_are_sealed_and_unsealed(database_url: str, keys_dir: Path) -> None:
    import pyotp

    from idp.console import totp
    from idp.console.models import Operator
    from idp.extensions import db
    from idp.sealed_secrets import OPERATOR_TOTP, unseal

    app = migration_app(database_url, keys_dir)
    migrate_to(app, BEFORE_SEALING)
    with app.app_context():
        db.session.execute(
            db.text(
                "INSERT INTO operator (name, role, password_hash, totp_secret, totp_confirmed,"
                " last_totp_step, failed_logins, created_at)"
                " VALUES ('van.hanh', 'operator', 'x', :secret, true, 0, 0, CURRENT_TIMESTAMP)"
            ),
            {"secret": PLAIN_SECRET},
        )
        db.session.commit()
        db.session.remove()
    migrate_to(app, "head")
    sealed = stored_secret(app)
    assert PLAIN_SECRET not in sealed and sealed.startswith("gAAAAA")
    assert not OPERATOR_LOCKOUT_COLUMNS & operator_columns(app)  # counted in the store now
    migrate_to(app, BEFORE_OPERATOR_LOCKOUT_MOVE, down=True)
    assert OPERATOR_LOCKOUT_COLUMNS <= operator_columns(app)
    assert stored_secret(app) == sealed  # the row survives both ways
    migrate_to(app, "head")
    assert not OPERATOR_LOCKOUT_COLUMNS & operator_columns(app)
    with app.test_request_context():
        assert unseal(sealed, OPERATOR_TOTP) == PLAIN_SECRET
        operator = db.session.scalar(db.select(Operator))
        totp.accept_code(operator, pyotp.TOTP(PLAIN_SECRET).now())  # the console reads it
        db.session.rollback()
        db.session.remove()
    migrate_to(app, "head")  # a rerun leaves sealed rows alone
    assert stored_secret(app) == sealed
    migrate_to(app, BEFORE_SEALING, down=True)
    assert stored_secret(app) == PLAIN_SECRET
    migrate_to(app, BEFORE_LOCKOUT_MOVE, down=True)  # the citizen's columns come back
    with app.app_context():
        columns = {c["name"] for c in inspect(db.engine).get_columns("citizen")}
        db.engine.dispose()
    assert {"failed_logins", "lockouts", "locked_until"} <= columns
    migrate_to(app, "head")
    assert stored_secret(app).startswith("gAAAAA")
    assert schema_differences(database_url) == []
    with app.app_context():
        db.engine.dispose()


def test_sqlite_operator_secrets_are_sealed_by_the_migration(tmp_path, keys_dir):
    database_url = f"sqlite:///{tmp_path / 'sealing.sqlite3'}"
    assert_operator_secrets_are_sealed_and_unsealed(database_url, keys_dir)


def test_postgresql_operator_secrets_are_sealed_by_the_migration(empty_postgres_database, keys_dir):
    assert_operator_secrets_are_sealed_and_unsealed(empty_postgres_database, keys_dir)
