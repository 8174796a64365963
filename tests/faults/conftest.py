"""Private Redis and PostgreSQL servers for the fault tests (skipped only without binaries)."""

from __future__ import annotations

import pytest

from tests.faults.services import (
    PrivatePostgres,
    PrivateRedis,
    postgres_bin_dir,
    redis_server_binary,
)


@pytest.fixture
def private_redis(tmp_path):
    if not redis_server_binary():
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = PrivateRedis(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def postgres_cluster():
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    server = PrivatePostgres(bin_dir).create()
    yield server
    server.destroy()


@pytest.fixture
def private_postgres(postgres_cluster):
    """The private cluster, running, with a new empty database at ``.url``."""
    postgres_cluster.new_database()
    return postgres_cluster
