"""Reads outside the request's ORM transaction, for the protocol's hot paths.

A read through ``db.session`` opens a transaction (BEGIN on PostgreSQL) that the request
teardown ends with a ROLLBACK: two round trips that a single-row read does not need.
These reads run on a connection in ``AUTOCOMMIT`` and hand back detached objects, so a
request that only reads this way sends its SELECTs and nothing else.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from idp.extensions import db

T = TypeVar("T")


@functools.lru_cache(maxsize=16)
def _by_primary_key(model: type) -> tuple[list[str], Select]:
    mapper = sa_inspect(model)
    keys = [prop.key for prop in mapper.column_attrs]
    columns = [prop.columns[0] for prop in mapper.column_attrs]
    return keys, select(*columns).where(mapper.primary_key[0] == bindparam("ident"))


def autocommit_get(model: type[T], ident: Any) -> T | None:
    """``model`` by primary key, read in autocommit with a Core select: a read-only,
    unattached instance holding the row's columns (no session, no relationships)."""
    keys, statement = _by_primary_key(model)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        row = conn.execute(statement, {"ident": ident}).first()
    if row is None:
        return None
    # The mapper's bare instance with its columns in place: the declarative constructor
    # costs as much as the read itself.
    instance = sa_inspect(model).class_manager.new_instance()
    instance.__dict__.update(zip(keys, row, strict=True))
    return instance


def autocommit_scalar(statement) -> Any:
    """The first result of an ORM ``select`` read in autocommit (objects detached)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        with Session(bind=conn, expire_on_commit=False) as session:
            return session.scalar(statement)
