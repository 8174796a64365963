"""Audit rows join the caller's unit of work: one commit carries the change and its
audit row; rows recorded before a rollback or an exception are still written."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from idp import audit
from idp.audit import AuditEvent
from idp.extensions import db
from tests.conftest import CITIZEN
from tests.http.driver import Browser


class _Commits:
    """Counts commits of any SQLAlchemy session while in use."""

    def __init__(self):
        self.count = 0

    def _seen(self, session):
        self.count += 1

    def __enter__(self):
        event.listen(Session, "after_commit", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(Session, "after_commit", self._seen)


def _events(app) -> list[str]:
    with app.app_context():
        return [e.event for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def _citizen_name(app, citizen_id: int) -> str:
    from idp.models import Citizen

    with app.app_context():
        return db.session.get(Citizen, citizen_id).full_name


def test_audit_row_is_written_by_the_callers_commit(app, citizen):
    from idp.models import Citizen

    @app.get("/_t/change")
    def change():
        found = db.session.get(Citizen, citizen["id"])
        found.full_name = "Nguyễn Văn Bình"
        audit.record("test.changed", citizen_id=found.id)
        db.session.commit()
        return "ok"

    with _Commits() as commits:
        assert app.test_client().get("/_t/change").status_code == 200
    assert commits.count == 1
    assert [e for e in _events(app) if e.startswith("test.")] == ["test.changed"]
    assert _citizen_name(app, citizen["id"]) == "Nguyễn Văn Bình"


def test_rows_no_commit_picked_up_are_committed_once_after_the_request(app):
    @app.get("/_t/record")
    def record_only():
        audit.record("test.one")
        audit.record("test.two")
        return "ok"

    with _Commits() as commits:
        assert app.test_client().get("/_t/record").status_code == 200
    assert commits.count == 1
    assert [e for e in _events(app) if e.startswith("test.")] == ["test.one", "test.two"]


def test_rows_recorded_before_a_rollback_survive_it(app, citizen):
    from idp.models import Citizen

    @app.get("/_t/rollback")
    def rolled_back():
        audit.record("test.before_flush")
        db.session.flush()  # the row reached the database in the doomed transaction
        audit.record("test.before_rollback", citizen_id=citizen["id"])
        found = db.session.get(Citizen, citizen["id"])
        found.full_name = "Discarded"
        db.session.rollback()
        audit.record("test.after_rollback")
        return "ok"

    assert app.test_client().get("/_t/rollback").status_code == 200
    assert [e for e in _events(app) if e.startswith("test.")] == [
        "test.before_flush",
        "test.before_rollback",
        "test.after_rollback",
    ]
    assert _citizen_name(app, citizen["id"]) == CITIZEN["full_name"]
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.event.like("test.%")))
        assert all(row.request_id for row in rows)


def test_a_row_recorded_if_committed_goes_with_a_rolled_back_change(app, citizen):
    from idp.models import Citizen

    @app.get("/_t/conditional")
    def conditional():
        found = db.session.get(Citizen, citizen["id"])
        found.full_name = "Never committed"
        audit.record("test.changed", citizen_id=found.id, if_committed=True)
        audit.record("test.refused", citizen_id=found.id)
        db.session.rollback()
        return "ok"

    assert app.test_client().get("/_t/conditional").status_code == 200
    assert [e for e in _events(app) if e.startswith("test.")] == ["test.refused"]
    assert _citizen_name(app, citizen["id"]) == CITIZEN["full_name"]


@pytest.mark.parametrize("handled", [True, False])
def test_rows_survive_an_exception_in_the_view_without_its_work(app_factory, citizen, handled):
    from idp.models import Citizen

    app = app_factory()
    app.config["PROPAGATE_EXCEPTIONS"] = not handled

    @app.get("/_t/boom")
    def boom():
        found = db.session.get(Citizen, citizen["id"])
        found.full_name = "Half done"
        audit.record("test.before_boom", citizen_id=citizen["id"])
        raise RuntimeError("boom")

    http = app.test_client()
    if handled:
        assert http.get("/_t/boom").status_code == 500
    else:
        with pytest.raises(RuntimeError):
            http.get("/_t/boom")
    assert [e for e in _events(app) if e.startswith("test.")] == ["test.before_boom"]
    assert _citizen_name(app, citizen["id"]) == CITIZEN["full_name"]


def test_a_failed_password_is_audited_in_one_commit(app, outbox, citizen, oidc_client):
    browser = Browser(app, outbox)
    url, _ = browser.authorize_url(oidc_client["client_id"])
    password_url = browser.start_login(url)
    with _Commits() as commits:
        browser.submit_password(password_url, CITIZEN["id_number"], "wrong password")
    assert commits.count <= 1
    assert "login.failed" in _events(app)


def test_each_login_step_commits_at_most_once(app, outbox, citizen, oidc_client):
    browser = Browser(app, outbox)
    url, _ = browser.authorize_url(oidc_client["client_id"])
    counts = []
    original = browser.http.open

    def counted(*args, **kwargs):
        with _Commits() as commits:
            response = original(*args, **kwargs)
        counts.append(commits.count)
        return response

    browser.http.open = counted
    browser.login(url, CITIZEN["id_number"], CITIZEN["password"], citizen["phone_e164"])
    assert counts and max(counts) <= 1, counts
    events = _events(app)
    for name in ("otp.sent", "otp.verified", "login.success", "authorization.code_issued"):
        assert events.count(name) == 1, events


def test_outside_a_request_record_commits_at_once(app):
    with app.app_context():
        with _Commits() as commits:
            audit.record("test.cli")
        assert commits.count == 1
        db.session.rollback()
    assert _events(app)[-1] == "test.cli"
