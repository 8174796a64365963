"""Redis backend of the short-lived state store (``REDIS_URL``): shared by every replica."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from idp.errors import ServiceUnavailable
from idp.store.base import (
    MISSING,
    NO_EXPIRY,
    Keys,
    MemberWrites,
    Reads,
    Store,
    ValueWrites,
    check_ttl,
    decode,
    encode,
)

# A dead or unreachable Redis must fail a request fast (and show a "try again" page),
# not hang a worker: short socket timeouts and a single quick retry, which is enough to
# get past a connection that Redis closed while it sat in the pool.
_SOCKET_TIMEOUT = 1.0


# Errors that mean "Redis cannot serve us right now" rather than "we asked wrongly":
# unreachable, timed out, loading, a replica that became read-only in a failover, out of memory.
_OUTAGES = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.TryAgainError,
)


@contextmanager
def _guard() -> Iterator[None]:
    """Translate redis-py errors into the store's own."""
    try:
        yield
    except _OUTAGES as exc:
        raise ServiceUnavailable("redis") from exc
    except redis.exceptions.ResponseError as exc:
        text = str(exc)
        if "WRONGTYPE" in text or "not an integer" in text:
            # A key used as the wrong kind of entry: the TypeError MemoryStore raises too.
            raise TypeError(text) from exc
        raise


def _seconds(ms: int) -> int:
    """``ttl()``'s answer from Redis' PTTL."""
    if ms == -2:
        return MISSING
    if ms == -1:
        return NO_EXPIRY
    return math.ceil(ms / 1000)


# ``get_linked``: the value and the keys it lists, read atomically in one round trip. The
# linked keys are not declared in KEYS (they are known only once the value is read), which
# standalone and replicated Redis allow; Redis Cluster would need them in one hash slot.
_GET_LINKED = """
local raw = redis.call('GET', KEYS[1])
if not raw then return {} end
local out = {raw}
local ok, value = pcall(cjson.decode, raw)
if ok and type(value) == 'table' and type(value[ARGV[2]]) == 'table' then
  for _, name in ipairs(value[ARGV[2]]) do
    out[#out + 1] = redis.call('GET', ARGV[1] .. tostring(name))
  end
end
return out
"""


class RedisStore(Store):
    """``Store`` over Redis (6.2+ for GETDEL, 7.0+ for ``EXPIRE ... NX``).

    Every key is prefixed with ``prefix`` so that several deployments (or test runs) can
    share one Redis database.
    """

    def __init__(self, url: str, prefix: str = "idp:"):
        self.prefix = prefix
        self._redis = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=_SOCKET_TIMEOUT,
            socket_connect_timeout=_SOCKET_TIMEOUT,
            retry=Retry(ExponentialBackoff(cap=0.1, base=0.01), retries=1),
            health_check_interval=30,
        )
        self._get_linked = self._redis.register_script(_GET_LINKED)

    def _k(self, key: str) -> str:
        return self.prefix + key

    def close(self) -> None:
        """Release the connection pool."""
        self._redis.close()

    # -- values ---------------------------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        with _guard():
            raw = self._redis.get(self._k(key))
        return decode(raw, key)

    def set(self, key: str, value: dict[str, Any], ttl: int) -> None:
        raw, ttl = encode(value), check_ttl(ttl)
        with _guard():
            self._redis.set(self._k(key), raw, ex=ttl)

    def add(self, key: str, value: dict[str, Any], ttl: int) -> bool:
        raw, ttl = encode(value), check_ttl(ttl)
        with _guard():
            return bool(self._redis.set(self._k(key), raw, ex=ttl, nx=True))

    def replace(self, key: str, value: dict[str, Any]) -> bool:
        raw = encode(value)
        with _guard():
            return bool(self._redis.set(self._k(key), raw, xx=True, keepttl=True))

    def pop(self, key: str) -> dict[str, Any] | None:
        with _guard():
            raw = self._redis.getdel(self._k(key))
        return decode(raw, key)

    def delete(self, *keys: str) -> None:
        if not keys:
            return
        with _guard():
            self._redis.delete(*(self._k(key) for key in keys))

    # -- counters -------------------------------------------------------------------------

    def incr(self, key: str, ttl: int) -> int:
        ttl = check_ttl(ttl)
        with _guard():
            pipe = self._redis.pipeline(transaction=True)
            pipe.incr(self._k(key))
            pipe.expire(self._k(key), ttl, nx=True)
            count, _ = pipe.execute()
        return int(count)

    def get_counter(self, key: str) -> int:
        with _guard():
            raw = self._redis.get(self._k(key))
        if raw is None:
            return 0
        try:
            return int(raw)
        except ValueError:
            raise TypeError(f"store key {key!r} does not hold a counter") from None

    def ttl(self, key: str) -> int:
        with _guard():
            ms = self._redis.pttl(self._k(key))
        return _seconds(ms)

    # -- sets -----------------------------------------------------------------------------

    def set_add(self, key: str, member: str, ttl: int) -> None:
        ttl = check_ttl(ttl)
        with _guard():
            pipe = self._redis.pipeline(transaction=True)
            pipe.sadd(self._k(key), str(member))
            pipe.expire(self._k(key), ttl)
            pipe.execute()

    def set_remove(self, key: str, member: str) -> None:
        with _guard():
            self._redis.srem(self._k(key), str(member))

    def set_members(self, key: str) -> set[str]:
        with _guard():
            return set(self._redis.smembers(self._k(key)))

    # -- several at once --------------------------------------------------------------------

    def get_many(self, keys: Sequence[str]) -> list[dict[str, Any] | None]:
        if not keys:
            return []
        with _guard():
            raws = self._redis.mget([self._k(key) for key in keys])
        return [decode(raw, key) for raw, key in zip(raws, keys, strict=True)]

    def get_linked(self, key: str, field: str) -> tuple[dict[str, Any] | None, list]:
        with _guard():
            raws = self._get_linked(keys=[self._k(key)], args=[self.prefix, field])
        if not raws:
            return None, []
        value = decode(raws[0], key)
        linked = value.get(field) if value is not None else None
        count = len(linked) if isinstance(linked, list) else 0
        # A Lua false (a missing key) comes back as None; pad in case the list was empty.
        rest = [decode(raw) if raw else None for raw in raws[1:]]
        return value, (rest + [None] * count)[:count]

    def ping(self) -> None:
        with _guard():
            self._redis.ping()

    def get_counters(self, keys: Sequence[str]) -> list[int]:
        """``get_counter`` of each key, in order, with one MGET."""
        if not keys:
            return []
        with _guard():
            raws = self._redis.mget([self._k(key) for key in keys])
        counts = []
        for key, raw in zip(keys, raws, strict=True):
            try:
                counts.append(0 if raw is None else int(raw))
            except ValueError:
                raise TypeError(f"store key {key!r} does not hold a counter") from None
        return counts

    def incr_many(self, counters: Sequence[tuple[str, int]]) -> list[int]:
        """``incr`` each ``(key, ttl)``, in order, in one pipelined round trip."""
        if not counters:
            return []
        checked = [(self._k(key), check_ttl(ttl)) for key, ttl in counters]
        with _guard():
            pipe = self._redis.pipeline(transaction=True)
            for key, ttl in checked:
                pipe.incr(key)
                pipe.expire(key, ttl, nx=True)
            answers = pipe.execute()
        return [int(count) for count in answers[::2]]

    def read_many(self, values: Keys = (), counters: Keys = (), ttls: Keys = ()) -> Reads:
        """``get``, ``get_counter`` and ``ttl`` of several keys in one pipelined round trip."""
        if not (values or counters or ttls):
            return [], [], []
        with _guard():
            pipe = self._redis.pipeline(transaction=False)
            for key in (*values, *counters):
                pipe.get(self._k(key))
            for key in ttls:
                pipe.pttl(self._k(key))
            answers = pipe.execute()
        found = [decode(raw, key) for key, raw in zip(values, answers, strict=False)]
        counts = []
        for key, raw in zip(counters, answers[len(values) :], strict=False):
            try:
                counts.append(0 if raw is None else int(raw))
            except ValueError:
                raise TypeError(f"store key {key!r} does not hold a counter") from None
        seconds = [_seconds(ms) for ms in answers[len(values) + len(counters) :]]
        return found, counts, seconds

    def write_many(
        self, sets: ValueWrites = (), set_adds: MemberWrites = (), deletes: Keys = ()
    ) -> None:
        """``set``s, ``set_add``s, then ``delete``s, in one MULTI/EXEC round trip."""
        encoded = [(self._k(key), encode(value), check_ttl(ttl)) for key, value, ttl in sets]
        added = [(self._k(key), str(member), check_ttl(ttl)) for key, member, ttl in set_adds]
        if not (encoded or added or deletes):
            return
        with _guard():
            pipe = self._redis.pipeline(transaction=True)
            for key, raw, ttl in encoded:
                pipe.set(key, raw, ex=ttl)
            for key, member, ttl in added:
                pipe.sadd(key, member)
                pipe.expire(key, ttl)
            if deletes:
                pipe.delete(*(self._k(key) for key in deletes))
            pipe.execute()
