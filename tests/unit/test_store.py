"""Contract tests of the short-lived state store: MemoryStore and RedisStore alike."""

from __future__ import annotations

import functools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import redis

from idp.errors import ServiceUnavailable
from idp.store import MemoryStore, Store, create_store
from idp.store.base import MISSING
from idp.store.redis_store import RedisStore
from tests.redis_time import age_keys

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_answers() -> bool:
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


REDIS_UP = _redis_answers()
needs_redis = pytest.mark.skipif(not REDIS_UP, reason=f"no Redis answering at {REDIS_URL}")


class FakeClock:
    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Backend:
    store: Store
    # Let ``seconds`` pass for the store: a fake clock for memory, TTLs aged for Redis.
    advance: Callable[[float], None]


@pytest.fixture(params=["memory", pytest.param("redis", marks=needs_redis)])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "memory":
        clock = FakeClock()
        yield Backend(MemoryStore(clock=clock), clock.advance)
        return
    prefix = f"test-{uuid.uuid4().hex}:"
    store = RedisStore(REDIS_URL, prefix=prefix)
    try:
        yield Backend(store, functools.partial(age_keys, REDIS_URL, prefix))
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()
        store.close()


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.store


# -- values -----------------------------------------------------------------------------------


def test_get_missing_is_none(store: Store) -> None:
    assert store.get("nothing") is None


def test_set_then_get_round_trips_json(store: Store) -> None:
    value = {"name": "Nguyễn Văn A", "n": 3, "ok": True, "nested": {"list": [1, "hai"]}}
    store.set("flow:1", value, 60)
    assert store.get("flow:1") == value


def test_values_come_back_as_after_a_json_round_trip(store: Store) -> None:
    store.set("k", {"t": (1, 2)}, 60)
    got = store.get("k")
    assert got == {"t": [1, 2]}
    got["t"].append(3)  # a copy: changing it does not change the store
    assert store.get("k") == {"t": [1, 2]}


def test_set_rejects_bad_ttl_and_non_dicts(store: Store) -> None:
    for ttl in (0, -1, 1.5):
        with pytest.raises(ValueError):
            store.set("k", {}, ttl)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.set("k", ["not", "a", "dict"], 60)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.set("k", {"x": object()}, 60)
    assert store.get("k") is None


def test_set_overwrites_and_restarts_ttl(store: Store) -> None:
    store.set("k", {"v": 1}, 10)
    store.set("k", {"v": 2}, 500)
    assert store.get("k") == {"v": 2}
    assert 490 < store.ttl("k") <= 500


def test_add_only_when_absent(store: Store) -> None:
    assert store.add("k", {"v": 1}, 60) is True
    assert store.add("k", {"v": 2}, 60) is False
    assert store.get("k") == {"v": 1}


def test_replace_keeps_remaining_ttl(store: Store) -> None:
    assert store.replace("k", {"v": 0}) is False
    assert store.get("k") is None
    store.set("k", {"v": 1}, 100)
    assert store.replace("k", {"v": 2}) is True
    assert store.get("k") == {"v": 2}
    assert 90 < store.ttl("k") <= 100


def test_pop_returns_value_once(store: Store) -> None:
    store.set("code", {"sub": "abc"}, 60)
    assert store.pop("code") == {"sub": "abc"}
    assert store.pop("code") is None
    assert store.get("code") is None


def test_delete_many_kinds_and_missing(store: Store) -> None:
    store.set("a", {}, 60)
    store.incr("b", 60)
    store.set_add("c", "m", 60)
    store.delete("a", "b", "c", "never-there")
    store.delete()
    assert store.get("a") is None
    assert store.get_counter("b") == 0
    assert store.set_members("c") == set()


def test_ttl(store: Store) -> None:
    assert store.ttl("missing") == -2
    store.set("k", {}, 30)
    assert 29 <= store.ttl("k") <= 30


# -- counters ---------------------------------------------------------------------------------


def test_counter_counts(store: Store) -> None:
    assert store.get_counter("c") == 0
    assert [store.incr("c", 60) for _ in range(3)] == [1, 2, 3]
    assert store.get_counter("c") == 3


def test_counter_ttl_set_on_creation_not_extended(store: Store) -> None:
    store.incr("c", 100)
    store.incr("c", 5000)
    assert 90 < store.ttl("c") <= 100


def test_counters_and_values_do_not_mix(store: Store) -> None:
    store.set("v", {"a": 1}, 60)
    store.incr("c", 60)
    with pytest.raises(TypeError):
        store.incr("v", 60)
    with pytest.raises(TypeError):
        store.get_counter("v")
    with pytest.raises(TypeError):
        store.get("c")


def test_get_counters_reads_several_in_order(store: Store) -> None:
    assert store.get_counters([]) == []
    store.incr("a", 60)
    store.incr("b", 60)
    store.incr("b", 60)
    assert store.get_counters(["b", "missing", "a"]) == [2, 0, 1]
    store.set("v", {"a": 1}, 60)
    with pytest.raises(TypeError):
        store.get_counters(["a", "v"])


def test_incr_many_counts_each_with_its_own_ttl(store: Store) -> None:
    assert store.incr_many([]) == []
    store.incr("a", 100)
    assert store.incr_many([("a", 5000), ("b", 100), ("b", 100)]) == [2, 1, 2]
    assert store.get_counters(["a", "b"]) == [2, 2]
    assert 90 < store.ttl("a") <= 100  # not extended, as ``incr``
    assert 90 < store.ttl("b") <= 100
    with pytest.raises(ValueError):
        store.incr_many([("c", 0)])


def test_read_many_reads_values_counters_and_ttls(store: Store) -> None:
    assert store.read_many() == ([], [], [])
    store.set("v", {"a": 1}, 100)
    store.incr("c", 50)
    values, counters, ttls = store.read_many(
        values=["v", "missing"], counters=["c", "none"], ttls=["v", "c", "gone"]
    )
    assert values == [{"a": 1}, None]
    assert counters == [1, 0]
    assert 90 < ttls[0] <= 100 and 40 < ttls[1] <= 50 and ttls[2] == MISSING
    with pytest.raises(TypeError):
        store.read_many(counters=["v"])
    with pytest.raises(TypeError):
        store.read_many(values=["c"])


def test_write_many_sets_adds_and_deletes(store: Store) -> None:
    store.write_many()
    store.set("old", {"x": 1}, 60)
    store.incr("count", 60)
    store.write_many(
        sets=[("a", {"n": 1}, 100), ("b", {"n": 2}, 50)],
        set_adds=[("s", "m1", 100), ("s", "m2", 100)],
        deletes=["old", "count", "missing"],
    )
    assert store.get("a") == {"n": 1} and store.get("b") == {"n": 2}
    assert 40 < store.ttl("b") <= 50
    assert store.set_members("s") == {"m1", "m2"}
    assert store.get("old") is None and store.get_counter("count") == 0
    with pytest.raises(ValueError):
        store.write_many(sets=[("c", {}, 0)])


# -- sets -------------------------------------------------------------------------------------


def test_set_add_members_remove(store: Store) -> None:
    assert store.set_members("s") == set()
    store.set_add("s", "jti-1", 60)
    store.set_add("s", "jti-2", 60)
    store.set_add("s", "jti-1", 60)
    assert store.set_members("s") == {"jti-1", "jti-2"}
    store.set_remove("s", "jti-1")
    store.set_remove("s", "not-a-member")
    store.set_remove("missing", "x")
    assert store.set_members("s") == {"jti-2"}


def test_set_add_refreshes_ttl(store: Store) -> None:
    store.set_add("s", "a", 10)
    store.set_add("s", "b", 500)
    assert 490 < store.ttl("s") <= 500


def test_emptied_set_disappears(store: Store) -> None:
    store.set_add("s", "a", 60)
    store.set_remove("s", "a")
    assert store.ttl("s") == -2


# -- several at once (one round trip) ---------------------------------------------------------


def test_get_many_in_order_with_missing_as_none(store: Store) -> None:
    store.set("a", {"n": 1}, 60)
    store.set("c", {"n": 3}, 60)
    assert store.get_many(["a", "b", "c"]) == [{"n": 1}, None, {"n": 3}]
    assert store.get_many([]) == []


def test_get_many_skips_expired(backend: Backend) -> None:
    backend.store.set("short", {"n": 1}, 1)
    backend.store.set("long", {"n": 2}, 60)
    backend.advance(1.2)
    assert backend.store.get_many(["short", "long"]) == [None, {"n": 2}]


def test_get_linked_reads_the_value_and_the_keys_it_names(store: Store) -> None:
    store.set("rec", {"x": 1, "links": ["m1", "m2", "m3"]}, 60)
    store.set("m1", {"t": 10}, 60)
    store.set("m3", {"t": 30}, 60)
    value, linked = store.get_linked("rec", "links")
    assert value == {"x": 1, "links": ["m1", "m2", "m3"]}
    assert linked == [{"t": 10}, None, {"t": 30}]


def test_get_linked_missing_or_without_links(store: Store) -> None:
    assert store.get_linked("nothing", "links") == (None, [])
    store.set("plain", {"x": 1}, 60)
    assert store.get_linked("plain", "links") == ({"x": 1}, [])
    store.set("empty", {"links": []}, 60)
    assert store.get_linked("empty", "links") == ({"links": []}, [])


def test_ping(store: Store) -> None:
    store.ping()


# -- expiry -----------------------------------------------------------------------------------


def test_everything_expires(backend: Backend) -> None:
    store = backend.store
    store.set("v", {"x": 1}, 1)
    store.incr("c", 1)
    store.set_add("s", "m", 1)
    backend.advance(1.2)
    assert store.get("v") is None
    assert store.pop("v") is None
    assert store.ttl("v") == -2
    assert store.replace("v", {"x": 2}) is False
    assert store.get_counter("c") == 0
    assert store.incr("c", 60) == 1  # a new counter
    assert store.set_members("s") == set()
    assert store.add("v", {"x": 3}, 60) is True
    assert store.get("v") == {"x": 3}


def test_not_expired_just_before_ttl(backend: Backend) -> None:
    backend.store.set("v", {"x": 1}, 2)
    backend.advance(0.5)
    assert backend.store.get("v") == {"x": 1}
    assert backend.store.ttl("v") in (1, 2)


# -- concurrency ------------------------------------------------------------------------------


def _in_threads(n: int, work: Callable[[], object]) -> list[object]:
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        results[i] = work()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_concurrent_pops_exactly_one_wins(store: Store) -> None:
    for round_ in range(5):
        key = f"code:{round_}"
        store.set(key, {"round": round_}, 60)
        results = _in_threads(20, lambda key=key: store.pop(key))
        assert [r for r in results if r is not None] == [{"round": round_}]


def test_concurrent_adds_exactly_one_wins(store: Store) -> None:
    results = _in_threads(20, lambda: store.add("lock", {"owner": "x"}, 60))
    assert results.count(True) == 1


def test_concurrent_increments_are_all_counted(store: Store) -> None:
    def work() -> None:
        for _ in range(10):
            store.incr("hits", 60)

    _in_threads(20, work)
    assert store.get_counter("hits") == 200


# -- backend-specific -------------------------------------------------------------------------


def test_memory_store_sweeps_expired_entries() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    for i in range(100):
        store.set(f"k{i}", {}, 1)
    clock.advance(120)
    store.set("fresh", {}, 60)
    assert len(store._data) == 1


def test_create_store_without_url_is_memory() -> None:
    assert isinstance(create_store(None), MemoryStore)
    assert isinstance(create_store(""), MemoryStore)


def test_create_store_with_url_is_redis() -> None:
    store = create_store("redis://127.0.0.1:6379/0", prefix="p:")
    assert isinstance(store, RedisStore)
    assert store.prefix == "p:"
    store.close()


@needs_redis
def test_redis_prefixes_isolate() -> None:
    a = RedisStore(REDIS_URL, prefix=f"test-{uuid.uuid4().hex}:")
    b = RedisStore(REDIS_URL, prefix=f"test-{uuid.uuid4().hex}:")
    try:
        a.set("k", {"from": "a"}, 60)
        assert b.get("k") is None
        assert a.get("k") == {"from": "a"}
    finally:
        a.delete("k")
        a.close()
        b.close()


def test_dead_redis_is_service_unavailable_and_fails_fast() -> None:
    store = RedisStore("redis://127.0.0.1:1/0", prefix="x:")
    calls: list[Callable[[], object]] = [
        store.ping,
        lambda: store.get("k"),
        lambda: store.set("k", {}, 5),
        lambda: store.add("k", {}, 5),
        lambda: store.replace("k", {}),
        lambda: store.pop("k"),
        lambda: store.delete("k"),
        lambda: store.incr("k", 5),
        lambda: store.get_counter("k"),
        lambda: store.ttl("k"),
        lambda: store.set_add("k", "m", 5),
        lambda: store.set_remove("k", "m"),
        lambda: store.set_members("k"),
    ]
    started = time.monotonic()
    for call in calls:
        with pytest.raises(ServiceUnavailable) as info:
            call()
        assert info.value.service == "redis"
    assert time.monotonic() - started < 10
