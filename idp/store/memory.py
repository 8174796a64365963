"""In-process store: the embedded default when ``REDIS_URL`` is unset.

Single-process only. The state lives in this process's memory, so it is not shared
between server workers or replicas and is lost on restart; production settings refuse
to start without Redis. Within one process it is thread-safe (one lock guards everything)
and has exactly the semantics of ``RedisStore``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from idp.store.base import MISSING, Store, check_ttl, decode, encode

# How often (in clock seconds) expired entries are swept out, so that keys nobody reads
# again do not accumulate. Reads drop an expired entry on their own.
_SWEEP_INTERVAL = 60.0


@dataclass
class _Entry:
    # One of: str (an encoded dict), int (a counter), set[str] (a set).
    value: str | int | set[str]
    expires_at: float


class MemoryStore(Store):
    """A thread-safe dict with TTLs checked on access against ``clock`` (monotonic seconds).

    ``clock`` is injectable so tests can advance time without sleeping.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._data: dict[str, _Entry] = {}
        self._next_sweep = clock() + _SWEEP_INTERVAL

    # -- helpers (call with the lock held) ------------------------------------------------

    def _live(self, key: str) -> _Entry | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._clock():
            del self._data[key]
            return None
        return entry

    def _put(self, key: str, value: str | int | set[str], ttl: int) -> None:
        now = self._clock()
        if now >= self._next_sweep:
            self._data = {k: e for k, e in self._data.items() if e.expires_at > now}
            self._next_sweep = now + _SWEEP_INTERVAL
        self._data[key] = _Entry(value, now + ttl)

    @staticmethod
    def _text(entry: _Entry | None, key: str) -> str | None:
        if entry is None:
            return None
        if not isinstance(entry.value, str):
            raise TypeError(f"store key {key!r} does not hold a value")
        return entry.value

    # -- values ---------------------------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return decode(self._text(self._live(key), key))

    def set(self, key: str, value: dict[str, Any], ttl: int) -> None:
        raw, ttl = encode(value), check_ttl(ttl)
        with self._lock:
            self._put(key, raw, ttl)

    def add(self, key: str, value: dict[str, Any], ttl: int) -> bool:
        raw, ttl = encode(value), check_ttl(ttl)
        with self._lock:
            if self._live(key) is not None:
                return False
            self._put(key, raw, ttl)
            return True

    def replace(self, key: str, value: dict[str, Any]) -> bool:
        raw = encode(value)
        with self._lock:
            entry = self._live(key)
            if entry is None:
                return False
            entry.value = raw
            return True

    def pop(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            raw = self._text(self._live(key), key)
            if raw is not None:
                del self._data[key]
            return decode(raw)

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._data.pop(key, None)

    # -- counters -------------------------------------------------------------------------

    def incr(self, key: str, ttl: int) -> int:
        ttl = check_ttl(ttl)
        with self._lock:
            entry = self._live(key)
            if entry is None:
                self._put(key, 1, ttl)
                return 1
            if not isinstance(entry.value, int):
                raise TypeError(f"store key {key!r} does not hold a counter")
            entry.value += 1
            return entry.value

    def get_counter(self, key: str) -> int:
        with self._lock:
            entry = self._live(key)
            if entry is None:
                return 0
            if not isinstance(entry.value, int):
                raise TypeError(f"store key {key!r} does not hold a counter")
            return entry.value

    def ttl(self, key: str) -> int:
        with self._lock:
            entry = self._live(key)
            if entry is None:
                return MISSING
            return math.ceil(entry.expires_at - self._clock())

    # -- sets -----------------------------------------------------------------------------

    def set_add(self, key: str, member: str, ttl: int) -> None:
        ttl = check_ttl(ttl)
        with self._lock:
            entry = self._live(key)
            if entry is None:
                members: set[str] = set()
            elif isinstance(entry.value, set):
                members = entry.value
            else:
                raise TypeError(f"store key {key!r} does not hold a set")
            members.add(str(member))
            self._put(key, members, ttl)

    def set_remove(self, key: str, member: str) -> None:
        with self._lock:
            entry = self._live(key)
            if entry is None:
                return
            if not isinstance(entry.value, set):
                raise TypeError(f"store key {key!r} does not hold a set")
            entry.value.discard(str(member))
            if not entry.value:
                del self._data[key]

    def set_members(self, key: str) -> set[str]:
        with self._lock:
            entry = self._live(key)
            if entry is None:
                return set()
            if not isinstance(entry.value, set):
                raise TypeError(f"store key {key!r} does not hold a set")
            return set(entry.value)

    # -- several at once --------------------------------------------------------------------

    def get_many(self, keys: Sequence[str]) -> list[dict[str, Any] | None]:
        with self._lock:
            raws = [self._text(self._live(key), key) for key in keys]
        return [decode(raw, key) for raw, key in zip(raws, keys, strict=True)]

    def get_linked(self, key: str, field: str) -> tuple[dict[str, Any] | None, list]:
        with self._lock:
            value = decode(self._text(self._live(key), key), key)
            linked = value.get(field) if value is not None else None
            if not isinstance(linked, list):
                return value, []
            raws = [self._text(self._live(str(k)), str(k)) for k in linked]
        return value, [decode(raw) for raw in raws]

    def ping(self) -> None:
        return None
