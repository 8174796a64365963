"""The replica cluster, shared by the tests of this folder; needs real PostgreSQL and Redis."""

from __future__ import annotations

import json

import pytest

from tests.conftest import CITIZEN, REAL_DB, REAL_REDIS, REDIRECT_URI
from tests.replicas.cluster import Cluster, Replica, TemporaryDatabase, idp_command, replica_env

CITIZENS = [
    CITIZEN,
    {
        "id_number": "066192004321",
        "full_name": "Trần Thị Bình",
        "date_of_birth": "1992-08-03",
        "gender": "female",
        "phone": "0987654321",
        "password": "binhmatkhau7",
    },
]


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    if not (REAL_DB and REAL_REDIS):
        pytest.skip(
            "replica tests share real PostgreSQL and Redis between processes: "
            "set DATABASE_URL and REDIS_URL (CI does in its second pass)"
        )
    workdir = tmp_path_factory.mktemp("replicas")
    database = TemporaryDatabase(REAL_DB, "test_replicas")
    env = replica_env(database.url, REAL_REDIS, workdir)
    replicas: list[Replica] = []
    try:
        idp_command(env, "db", "upgrade")
        idp_command(env, "db", "upgrade")  # idempotent, as every deployment runs it
        idp_command(env, "keys", "generate")
        client = json.loads(
            idp_command(
                env,
                *("clients", "create", "--name", "Cổng DVC tỉnh Đắk Lắk"),
                *("--redirect-uri", REDIRECT_URI, "--trusted"),
            )
        )
        citizens = []
        for person in CITIZENS:
            args = [f"--{key.replace('_', '-')}={value}" for key, value in person.items()]
            created = json.loads(idp_command(env, "citizens", "create", *args))
            digits = person["phone"][1:]
            citizens.append({**person, **created, "phone_e164": f"+84{digits}"})
        for name in ("a", "b"):
            replicas.append(Replica(name, env, workdir / f"replica-{name}.log").start())
        yield Cluster(replicas[0], replicas[1], client, citizens, workdir / "outbox.jsonl")
    finally:
        for replica in replicas:
            replica.stop()
        database.drop()
