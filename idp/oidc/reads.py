"""Reads outside the request's ORM transaction, for the protocol's hot paths.

A read through ``db.session`` opens a transaction (BEGIN on PostgreSQL) that the request
teardown ends with a ROLLBACK: two round trips that a single-row read does not need.
These reads run on a connection in ``AUTOCOMMIT`` and hand back detached objects, so a
request that only reads this way sends its SELECTs and nothing else.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from idp.extensions import db

T = TypeVar("T")


def autocommit_get(model: type[T], ident: Any) -> T | None:
    """``model`` by primary key, read in autocommit and detached (columns loaded)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        with Session(bind=conn, expire_on_commit=False) as session:
            return session.get(model, ident)


def autocommit_scalar(statement) -> Any:
    """The first result of an ORM ``select`` read in autocommit (objects detached)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        with Session(bind=conn, expire_on_commit=False) as session:
            return session.scalar(statement)
