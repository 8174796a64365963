"""The short-lived state store (flows, OTPs, codes, counters): Redis or in-process."""

from __future__ import annotations

from collections.abc import Callable

from idp.store.base import Store
from idp.store.memory import MemoryStore

__all__ = ["MemoryStore", "Store", "create_store"]


def create_store(
    redis_url: str | None, prefix: str = "idp:", monotonic: Callable[[], float] | None = None
) -> Store:
    """A ``RedisStore`` for ``redis_url``; without one, a single-process ``MemoryStore``
    whose TTLs run on ``monotonic`` (the app's clock; Redis keeps its own time)."""
    if not redis_url:
        return MemoryStore(monotonic) if monotonic else MemoryStore()
    from idp.store.redis_store import RedisStore

    return RedisStore(redis_url, prefix=prefix)
