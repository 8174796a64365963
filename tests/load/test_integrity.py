"""The load-and-integrity run (tests/load/integrity.py) at a small size, on real services.

Only the integrity result is asserted on, never speed.
"""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import REAL_DB, REAL_REDIS
from tests.load.integrity import check_integrity, run

pytestmark = pytest.mark.servers

REGISTRATIONS, LOGINS, CONCURRENCY = 60, 60, 16


def test_concurrent_registrations_and_logins_on_two_replicas_keep_integrity(tmp_path):
    if not (REAL_DB and REAL_REDIS):
        pytest.skip(
            "the load run shares real PostgreSQL and Redis between two replicas: "
            "set DATABASE_URL and REDIS_URL (CI does in its second pass)"
        )
    tampered: list[str] = []

    def tamper_and_recheck(conninfo: str, result) -> None:
        """The checks see a second account for a completed registration's phone that no
        flow completed: they are not blind to what they look for."""
        with psycopg.connect(conninfo) as conn:
            conn.execute(
                "INSERT INTO citizen (subject, id_number, full_name, date_of_birth, gender,"
                " phone, password_hash, status, phone_verified,"
                " created_at, updated_at)"
                " SELECT 'tampered', '079199999999', full_name, date_of_birth, gender, phone,"
                " password_hash, status, true, now(), now()"
                " FROM citizen WHERE id_number = %s",
                (next(iter(result.outcomes.completed)),),
            )
        tampered.extend(check_integrity(conninfo, result.outcomes)[0])

    result = run(
        registrations=REGISTRATIONS,
        logins=LOGINS,
        concurrency=CONCURRENCY,
        database_url=REAL_DB,
        redis_url=REAL_REDIS,
        workdir=tmp_path,
        log=lambda _line: None,
        before_drop=tamper_and_recheck,
    )
    report = result.table() + "\n" + "\n".join(result.violations + result.error_samples)
    assert result.violations == [], report
    assert result.errors == {}, report
    out = result.outcomes
    # 6 racing pairs, 6 + 6 abandoned flows, 36 single registrations (make_plan).
    assert len(out.pairs) == 6, report
    assert all(p["created"] == 1 and p["clear_refusals"] == 1 for p in out.pairs), report
    assert len(out.abandoned) == 12, report
    assert len(out.completed) == 36 + 6, report
    # Replays were tried, on both kinds of flow, and none was accepted.
    assert out.replays["attempted"] >= 10 and out.replays["accepted"] == 0, report
    assert {r["kind"] for r in out.races} == {"reg", "login"}, report
    assert all(r["accepted"] == 1 for r in out.races), report
    # Every login got a token whose userinfo answered, new citizens among them.
    assert len(out.logins) == LOGINS, report
    assert any(done["new"] for done in out.logins), report
    assert all(done["userinfo"] == 200 for done in out.logins), report
    assert result.figures["citizens in the database"] == len(out.seeded) + len(out.completed)
    assert any("079199999999 exists without a completed registration" in v for v in tampered)
    assert any(v.startswith("2 accounts with phone") for v in tampered), tampered
