"""Registered clients kept in each process for a few seconds, so the protocol's hot paths
(token, introspection, userinfo) do not read ``oauth_client`` on every request.

Each entry is a detached, unmodified ``Client`` row; a request gets its own copy through
``Session.merge(load=False)``, which attaches it to the request's session without a query
(SQLAlchemy's documented pattern for caching ORM objects). Writes to clients in this
process empty every cache at once (an ``after_flush`` hook), so an operator's suspension
or secret rotation is seen by the next request here; other replicas see it within
``CLIENT_CACHE_SECONDS`` (default 5, the same bound as for signing-key changes; 0 turns
the cache off).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, make_transient_to_detached

from idp.extensions import db
from idp.oidc.models import Client
from idp.oidc.reads import autocommit_scalar

_caches: weakref.WeakSet[ClientCache] = weakref.WeakSet()


class ClientCache:
    """``client_id`` → a detached ``Client`` and the monotonic time it was read."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._clock = clock  # monotonic seconds: the app's clock
        self._entries: dict[str, tuple[float, Client]] = {}
        self._lock = threading.Lock()
        self._generation = 0  # bumped by clear(): a read that straddles a write is not kept
        _caches.add(self)

    def get(self, client_id: str) -> Client | None:
        """The client attached to this request's session, from memory when fresh."""
        if self.seconds <= 0:
            return _load(client_id)
        entry = self._entries.get(client_id)
        if entry is not None and self._clock() - entry[0] < self.seconds:
            return db.session.merge(entry[1], load=False)
        read_at, generation = self._clock(), self._generation
        client = _load(client_id)
        if client is None:
            # Unknown ids are not remembered: a client registered a moment ago must work.
            return None
        pristine = Client(**{c.key: getattr(client, c.key) for c in Client.__mapper__.column_attrs})
        with self._lock:
            if generation == self._generation:
                make_transient_to_detached(pristine)  # as if loaded, then detached
                self._entries[client_id] = (read_at, pristine)
        return client

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()


def _load(client_id: str) -> Client | None:
    """Read the client in autocommit (no transaction for the request to end) and attach
    it to the request's session without another query."""
    client = autocommit_scalar(db.select(Client).filter_by(client_id=client_id))
    return None if client is None else db.session.merge(client, load=False)


def cached_client(client_id: str) -> Client | None:
    """The client with this ``client_id`` (any status), or None."""
    if not client_id or len(client_id) > 64:
        return None
    return current_app.extensions["client_cache"].get(client_id)


def init_app(app) -> None:
    app.extensions["client_cache"] = ClientCache(
        app.config["CLIENT_CACHE_SECONDS"], app.extensions["idp"].clock.monotonic
    )


@event.listens_for(Session, "after_flush")
def _forget_changed_clients(session: Session, _context) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, Client) for obj in changed):
        for cache in list(_caches):
            cache.clear()
