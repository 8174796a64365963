"""Time passing for Redis, which has no clock a test can move.

The in-process store ages its keys by the application clock, so a test ``advance``s the
clock instead of sleeping. Against Redis, ``age_keys`` does the same to the keys a test
owns: each one's TTL is shortened by the seconds that "passed" (a key whose TTL runs out
is deleted), as real time would have done. Keys without a TTL do not expire and are left.
"""

from __future__ import annotations

import redis


def age_keys(url: str, prefix: str, seconds: float) -> None:
    """Let ``seconds`` pass for every key under ``prefix`` (and Flask-Limiter's keys under
    it) in the Redis at ``url``."""
    elapsed = int(seconds * 1000)
    client = redis.Redis.from_url(url)
    try:
        for pattern in (f"{prefix}*", f"LIMITS:LIMITER/{prefix}*"):
            for key in client.scan_iter(match=pattern, count=1000):
                left = client.pttl(key)
                if left < 0:  # -1: no TTL; -2: gone meanwhile
                    continue
                if left <= elapsed:
                    client.delete(key)
                else:
                    client.pexpire(key, left - elapsed)
    finally:
        client.close()
