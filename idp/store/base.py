"""The short-lived state store: one interface, two backends with identical semantics.

Flows, OTP records, authorization codes, rate-limit counters, revoked token ids and login
sessions live here. Every value has a time to live; nothing in it must survive longer.

Semantics every backend honours (the contract tests in ``tests/unit/test_store.py`` run
against each one):

- Values are JSON objects (``dict``). What goes in comes back as it would after a JSON
  round trip: a fresh copy, tuples as lists, non-string keys as strings.
- ``ttl`` arguments are whole seconds and must be positive.
- ``pop`` is an atomic get-and-delete: of several concurrent pops exactly one gets the value.
- Counters (``incr``/``get_counter``) and sets (``set_add``...) are separate kinds of entry;
  do not mix them with ``get``/``set`` on the same key.
- A backing service that cannot be reached raises ``ServiceUnavailable``; a value the
  store was asked to hold that is not JSON-serialisable raises ``TypeError``.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

#: ``ttl()`` of a key that does not exist (the same number Redis answers).
MISSING = -2
#: ``ttl()`` of a key without an expiry (never created by this interface).
NO_EXPIRY = -1

Keys = Sequence[str]
#: ``read_many``'s answer: the values, the counters and the ttls asked for, in order.
Reads = tuple[list[dict[str, Any] | None], list[int], list[int]]
#: ``write_many``'s ``(key, value, ttl)`` and ``(key, member, ttl)``.
ValueWrites = Sequence[tuple[str, dict[str, Any], int]]
MemberWrites = Sequence[tuple[str, str, int]]


class Store(ABC):
    """Short-lived key/value state with TTLs, atomic get-and-delete, counters and sets."""

    @abstractmethod
    def get(self, key: str) -> dict[str, Any] | None:
        """The value under ``key``, or None if it is missing or expired."""

    @abstractmethod
    def set(self, key: str, value: dict[str, Any], ttl: int) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds, replacing any old value."""

    @abstractmethod
    def add(self, key: str, value: dict[str, Any], ttl: int) -> bool:
        """Store ``value`` only if ``key`` is absent. True if it was stored."""

    @abstractmethod
    def replace(self, key: str, value: dict[str, Any]) -> bool:
        """Overwrite an existing value, keeping its remaining TTL. False if the key is gone."""

    @abstractmethod
    def pop(self, key: str) -> dict[str, Any] | None:
        """Atomically get and delete: of two concurrent pops exactly one gets the value."""

    @abstractmethod
    def delete(self, *keys: str) -> None:
        """Delete the keys (of any kind) that exist; missing keys are ignored."""

    @abstractmethod
    def incr(self, key: str, ttl: int) -> int:
        """Atomically add one to a counter and return the new count.

        A missing counter starts at 0 and gets ``ttl``; later increments do not extend it.
        """

    @abstractmethod
    def get_counter(self, key: str) -> int:
        """The current count (0 if the counter is missing or expired)."""

    @abstractmethod
    def ttl(self, key: str) -> int:
        """Whole seconds left, rounded up (so > 0 while the key exists); -2 if missing."""

    @abstractmethod
    def set_add(self, key: str, member: str, ttl: int) -> None:
        """Add ``member`` to the set under ``key`` and (re)start its TTL of ``ttl`` seconds."""

    @abstractmethod
    def set_remove(self, key: str, member: str) -> None:
        """Remove ``member`` from the set; an emptied set disappears."""

    @abstractmethod
    def set_members(self, key: str) -> set[str]:
        """The members of the set (empty if the set is missing or expired)."""

    @abstractmethod
    def get_many(self, keys: Sequence[str]) -> list[dict[str, Any] | None]:
        """The values under ``keys`` in one round trip (None for a missing one)."""

    @abstractmethod
    def get_linked(self, key: str, field: str) -> tuple[dict[str, Any] | None, list]:
        """The value under ``key`` and, in the same round trip, the values under the keys
        it lists in ``value[field]`` (a list of key names, in order; None where missing).

        ``(None, [])`` when ``key`` is missing; ``(value, [])`` when it lists no keys.
        """

    @abstractmethod
    def ping(self) -> None:
        """Check the backing service; raise ``ServiceUnavailable`` if it is down."""

    def get_counters(self, keys: Sequence[str]) -> list[int]:
        """``get_counter`` of each key, in order; one round trip on a remote backend."""
        return [self.get_counter(key) for key in keys]

    def incr_many(self, counters: Sequence[tuple[str, int]]) -> list[int]:
        """``incr`` each ``(key, ttl)``, in order; one round trip on a remote backend.

        Each increment is atomic, as ``incr``'s; the batch as a whole is not a transaction
        that others' increments wait for."""
        return [self.incr(key, ttl) for key, ttl in counters]

    def read_many(self, values: Keys = (), counters: Keys = (), ttls: Keys = ()) -> Reads:
        """``get`` of each of ``values``, ``get_counter`` of each of ``counters`` and
        ``ttl`` of each of ``ttls``, in order; one round trip on a remote backend (reads
        only, not one atomic snapshot)."""
        return (
            [self.get(key) for key in values],
            self.get_counters(counters),
            [self.ttl(key) for key in ttls],
        )

    def write_many(
        self, sets: ValueWrites = (), set_adds: MemberWrites = (), deletes: Keys = ()
    ) -> None:
        """``set`` each ``(key, value, ttl)``, ``set_add`` each ``(key, member, ttl)``,
        then ``delete`` the ``deletes``; one round trip on a remote backend."""
        for key, value, ttl in sets:
            self.set(key, value, ttl)
        for key, member, ttl in set_adds:
            self.set_add(key, member, ttl)
        if deletes:
            self.delete(*deletes)


def check_ttl(ttl: int) -> int:
    """Validate a TTL argument: a positive whole number of seconds."""
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
        raise ValueError(f"ttl must be a positive number of seconds, not {ttl!r}")
    return ttl


def encode(value: dict[str, Any]) -> str:
    """Serialise a stored value (the same encoding for every backend)."""
    if not isinstance(value, dict):
        raise TypeError(f"store values are dicts, not {type(value).__name__}")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def decode(raw: str | None, key: str = "") -> dict[str, Any] | None:
    """Deserialise a stored value."""
    if raw is None:
        return None
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise TypeError(f"store key {key!r} does not hold a value")
    return value
