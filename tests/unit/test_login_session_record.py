"""A login session's stored record: it round-trips, and a record written by a newer
release (a field this one does not know) still reads, so replicas of two releases can
share the store during a rolling deploy."""

from __future__ import annotations

from idp.login_session import LoginSession


def test_a_record_round_trips_and_tolerates_unknown_fields():
    session = LoginSession(
        citizen_id=7,
        sid="s",
        auth_time=1,
        amr=["fed"],
        acr="LoA2",
        created_at=1,
        upstream="vneid",
        upstream_sid="u",
        key="k",
    )
    record = session.to_record()
    assert "key" not in record
    assert LoginSession.from_record(record, "k") == session
    newer = {**record, "a_field_of_a_later_release": True}
    assert LoginSession.from_record(newer, "k") == session
