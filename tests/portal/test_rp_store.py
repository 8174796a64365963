"""The relying party's session store: the same semantics in memory and in Redis (Redis
when the run has ``REDIS_URL``)."""

from __future__ import annotations

import secrets

import pytest

from relying_party.store import MemoryStore, RedisStore, SessionStore, create_store
from tests.conftest import REAL_REDIS


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
def store(request) -> SessionStore:
    if request.param == "memory":
        return MemoryStore()
    if not REAL_REDIS:
        pytest.skip("REDIS_URL is not set")
    return RedisStore(REAL_REDIS, prefix=f"test:{secrets.token_hex(4)}:rp:")


def test_values_add_replace_and_delete(store):
    assert store.get("a") is None
    store.set("a", {"n": 1, "t": (1, 2)}, 60)
    assert store.get("a") == {"n": 1, "t": [1, 2]}
    assert not store.add("a", {"n": 2}, 60)
    assert store.add("b", {"n": 2}, 60)
    assert store.replace("a", {"n": 3}) and store.get("a") == {"n": 3}
    assert not store.replace("missing", {"n": 4}) and store.get("missing") is None
    store.delete("a", "b", "missing")
    assert store.get("a") is None and store.get("b") is None


def test_sets(store):
    store.set_add("s", "x", 60)
    store.set_add("s", "y", 60)
    assert store.set_members("s") == {"x", "y"}
    store.set_remove("s", "x")
    store.set_remove("s", "y")
    assert store.set_members("s") == set()


def test_bad_ttls_and_values_are_refused(store):
    with pytest.raises(ValueError):
        store.set("a", {}, 0)
    with pytest.raises(TypeError):
        store.set("a", ["not", "a", "dict"], 60)


def test_values_expire_in_memory():
    clock = Clock()
    store = MemoryStore(clock)
    store.set("a", {}, 10)
    store.set_add("s", "x", 10)
    clock.now += 10
    assert store.get("a") is None and store.set_members("s") == set()
    assert store.add("a", {"again": True}, 10)


def test_an_unreachable_redis_is_store_unavailable():
    from relying_party import StoreUnavailable

    store = RedisStore("redis://127.0.0.1:1/0", timeout=0.5)
    with pytest.raises(StoreUnavailable):
        store.get("a")


def test_create_store_without_a_url_is_in_memory():
    assert isinstance(create_store(None), MemoryStore)
    assert isinstance(create_store("redis://127.0.0.1:6379/0"), RedisStore)
