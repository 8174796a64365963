"""How quickly PostgreSQL and Redis answer right now, from the generator's CPU.

The provider's database paths wait on these services, which are the machine's own and
shared with whatever else runs there; their round-trip times, taken in the same run,
tell a slow database apart from a slow provider.
"""

from __future__ import annotations

import statistics
import time

import psycopg
import redis


def _median_ms(action, times: int) -> float:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        action()
        spent.append((time.perf_counter() - started) * 1000)
    return statistics.median(spent)


def measure(libpq_dsn: str, redis_url: str, times: int = 200) -> dict[str, float]:
    """Median milliseconds of ``SELECT 1``, of a one-row INSERT + COMMIT, of a Redis PING."""
    with psycopg.connect(libpq_dsn) as conn:
        # A logged table: a temporary one would COMMIT without waiting for the WAL flush.
        conn.execute("CREATE TABLE IF NOT EXISTS bench_probe (n integer)")
        conn.commit()

        def select_one() -> None:
            conn.execute("SELECT 1").fetchone()
            conn.rollback()

        def insert_commit() -> None:
            conn.execute("INSERT INTO bench_probe VALUES (1)")
            conn.commit()

        select_ms = _median_ms(select_one, times)
        commit_ms = _median_ms(insert_commit, times // 2)
        conn.execute("DROP TABLE bench_probe")
        conn.commit()
    client = redis.Redis.from_url(redis_url)
    ping_ms = _median_ms(client.ping, times)
    return {"select_ms": select_ms, "commit_ms": commit_ms, "redis_ping_ms": ping_ms}
