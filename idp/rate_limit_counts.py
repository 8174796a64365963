"""One store call for the protocol endpoints' limits: read one fixed-window count and add
one to another (or to the same) in a single Redis round trip.

Flask-Limiter checks each limit with its own call; a token request needs two counts (the
address's failed authentications, the client's requests) once client authentication has
succeeded, so they are taken together here, on the limiter's own storage: a Lua script on
Redis, the storage's own methods on ``memory://``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from limits.storage import RedisStorage, Storage

# KEYS[1]: a count only read; KEYS[2]: the count this request adds one to (it may be the
# same key); ARGV[1]: KEYS[2]'s window in seconds, set when the window starts.
_READ_AND_HIT = """
local read = tonumber(redis.call('GET', KEYS[1]) or '0')
local hit = redis.call('INCR', KEYS[2])
if hit == 1 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
return {read, hit, redis.call('TTL', KEYS[1]), redis.call('TTL', KEYS[2])}
"""


@dataclass(frozen=True)
class Counts:
    """The read count and the hit count after this request, with their seconds left."""

    read: int
    hit: int
    read_seconds_left: int
    hit_seconds_left: int


def read_and_hit(storage: Storage, read_key: str, hit_key: str, window: int) -> Counts:
    """Read ``read_key``'s count and add one to ``hit_key``'s (window ``window`` seconds)."""
    if isinstance(storage, RedisStorage):
        script = _script(storage)
        keys = [storage.prefixed_key(read_key), storage.prefixed_key(hit_key)]
        read, hit, read_ttl, hit_ttl = script(keys=keys, args=[window])
        return Counts(int(read), int(hit), max(0, int(read_ttl)), max(0, int(hit_ttl)))
    read = storage.get(read_key)
    hit = storage.incr(hit_key, window)
    now = time.time()
    return Counts(
        read,
        hit,
        max(0, round(storage.get_expiry(read_key) - now)) if read else 0,
        max(0, round(storage.get_expiry(hit_key) - now)),
    )


def _script(storage: RedisStorage):
    script = getattr(storage, "_idp_read_and_hit", None)
    if script is None:
        script = storage.get_connection().register_script(_READ_AND_HIT)
        storage._idp_read_and_hit = script  # type: ignore[attr-defined]
    return script
