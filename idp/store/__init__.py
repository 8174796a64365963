"""The short-lived state store (flows, OTPs, codes, counters): Redis or in-process."""

from __future__ import annotations

from idp.store.base import Store
from idp.store.memory import MemoryStore

__all__ = ["MemoryStore", "Store", "create_store"]


def create_store(redis_url: str | None, prefix: str = "idp:") -> Store:
    """A ``RedisStore`` for ``redis_url``; without one, a single-process ``MemoryStore``."""
    if not redis_url:
        return MemoryStore()
    from idp.store.redis_store import RedisStore

    return RedisStore(redis_url, prefix=prefix)
