"""The relying party's session store: one small interface, two implementations.

Server-side sessions, their index by the provider's ``sid`` and ``sub``, the ids of
logout tokens already seen and refresh locks live here, each with a time to live.
Values are JSON objects; what goes in comes back as after a JSON round trip. A Redis
that cannot be reached raises ``StoreUnavailable``.
"""

from __future__ import annotations

import json
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from relying_party.errors import StoreUnavailable


class SessionStore(ABC):
    """Short-lived JSON values and sets of strings, each with a TTL in whole seconds."""

    @abstractmethod
    def get(self, key: str) -> dict[str, Any] | None:
        """The value under ``key``, or None if it is missing or expired."""

    @abstractmethod
    def set(self, key: str, value: dict[str, Any], ttl: int) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds, replacing any old value."""

    @abstractmethod
    def add(self, key: str, value: dict[str, Any], ttl: int) -> bool:
        """Store ``value`` only if ``key`` is absent; True if it was stored."""

    @abstractmethod
    def replace(self, key: str, value: dict[str, Any]) -> bool:
        """Overwrite an existing value, keeping its TTL; False if the key is gone."""

    @abstractmethod
    def delete(self, *keys: str) -> None:
        """Delete the keys that exist; missing keys are ignored."""

    @abstractmethod
    def set_add(self, key: str, member: str, ttl: int) -> None:
        """Add ``member`` to the set under ``key`` and (re)start its TTL."""

    @abstractmethod
    def set_remove(self, key: str, member: str) -> None:
        """Remove ``member`` from the set; an emptied set disappears."""

    @abstractmethod
    def set_members(self, key: str) -> set[str]:
        """The members of the set (empty if it is missing or expired)."""


def _encode(value: dict[str, Any]) -> str:
    if not isinstance(value, dict):
        raise TypeError(f"store values are dicts, not {type(value).__name__}")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _check_ttl(ttl: int) -> int:
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
        raise ValueError(f"ttl must be a positive number of seconds, not {ttl!r}")
    return ttl


class MemoryStore(SessionStore):
    """One process's memory (a single-worker server, tests, a demo); thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._data: dict[str, tuple[str | set[str], float]] = {}

    def _live(self, key: str) -> str | set[str] | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[1] <= self._clock():
            del self._data[key]
            return None
        return entry[0]

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            value = self._live(key)
        return json.loads(value) if isinstance(value, str) else None

    def set(self, key: str, value: dict[str, Any], ttl: int) -> None:
        encoded, ttl = _encode(value), _check_ttl(ttl)
        with self._lock:
            self._data[key] = (encoded, self._clock() + ttl)

    def add(self, key: str, value: dict[str, Any], ttl: int) -> bool:
        encoded, ttl = _encode(value), _check_ttl(ttl)
        with self._lock:
            if self._live(key) is not None:
                return False
            self._data[key] = (encoded, self._clock() + ttl)
            return True

    def replace(self, key: str, value: dict[str, Any]) -> bool:
        encoded = _encode(value)
        with self._lock:
            if not isinstance(self._live(key), str):
                return False
            self._data[key] = (encoded, self._data[key][1])
            return True

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._data.pop(key, None)

    def set_add(self, key: str, member: str, ttl: int) -> None:
        ttl = _check_ttl(ttl)
        with self._lock:
            members = self._live(key)
            members = set(members) if isinstance(members, set) else set()
            members.add(member)
            self._data[key] = (members, self._clock() + ttl)

    def set_remove(self, key: str, member: str) -> None:
        with self._lock:
            members = self._live(key)
            if isinstance(members, set):
                members.discard(member)
                if not members:
                    del self._data[key]

    def set_members(self, key: str) -> set[str]:
        with self._lock:
            members = self._live(key)
            return set(members) if isinstance(members, set) else set()


class RedisStore(SessionStore):
    """Redis (shared by every worker and replica); keys under ``prefix``."""

    def __init__(self, url: str, prefix: str = "rp:", timeout: float = 2.0):
        import redis

        self._errors = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        self._redis = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self.prefix = prefix

    def _run(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except self._errors as exc:
            raise StoreUnavailable("redis") from exc

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self._run(lambda: self._redis.get(self.prefix + key))
        return json.loads(raw) if raw is not None else None

    def set(self, key: str, value: dict[str, Any], ttl: int) -> None:
        encoded, ttl = _encode(value), _check_ttl(ttl)
        self._run(lambda: self._redis.set(self.prefix + key, encoded, ex=ttl))

    def add(self, key: str, value: dict[str, Any], ttl: int) -> bool:
        encoded, ttl = _encode(value), _check_ttl(ttl)
        return bool(self._run(lambda: self._redis.set(self.prefix + key, encoded, ex=ttl, nx=True)))

    def replace(self, key: str, value: dict[str, Any]) -> bool:
        encoded = _encode(value)
        return bool(
            self._run(lambda: self._redis.set(self.prefix + key, encoded, xx=True, keepttl=True))
        )

    def delete(self, *keys: str) -> None:
        if keys:
            self._run(lambda: self._redis.delete(*(self.prefix + key for key in keys)))

    def set_add(self, key: str, member: str, ttl: int) -> None:
        ttl = _check_ttl(ttl)

        def add() -> None:
            with self._redis.pipeline() as pipe:
                pipe.sadd(self.prefix + key, member).expire(self.prefix + key, ttl).execute()

        self._run(add)

    def set_remove(self, key: str, member: str) -> None:
        self._run(lambda: self._redis.srem(self.prefix + key, member))

    def set_members(self, key: str) -> set[str]:
        return set(self._run(lambda: self._redis.smembers(self.prefix + key)))


def create_store(redis_url: str | None, prefix: str = "rp:") -> SessionStore:
    """A ``RedisStore`` for ``redis_url``; without one, a single-process ``MemoryStore``."""
    return RedisStore(redis_url, prefix=prefix) if redis_url else MemoryStore()
