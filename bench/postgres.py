"""A fresh PostgreSQL database for one benchmark run, dropped afterwards."""

from __future__ import annotations

import secrets

import psycopg
from psycopg import sql


class BenchDatabase:
    """``bench_<random>`` on the server at ``admin_dsn`` (a libpq URL to an existing db)."""

    def __init__(self, admin_dsn: str = "postgresql://postgres@127.0.0.1:5432/postgres"):
        self.admin_dsn = admin_dsn
        self.name = f"bench_{secrets.token_hex(4)}"

    @property
    def libpq_url(self) -> str:
        """This database's address for psycopg."""
        return f"{self.admin_dsn.rsplit('/', 1)[0]}/{self.name}"

    @property
    def sqlalchemy_url(self) -> str:
        """The provider's ``DATABASE_URL`` for this database."""
        base = self.admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        return f"{base}/{self.name}"

    def create(self) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))

    def drop(self) -> None:
        """Drop the database, closing any connection still open to it."""
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )
