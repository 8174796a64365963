"""A wrong password costs the same work whether or not the user name has an account.

Timing differences come from different work, so the work is counted, not timed: the
argon2 verifications, every store call by kind, every SQL statement by verb and table
and every commit of one password POST, for a known and an unknown user name, must be
equal: outside the lock, at the failure that starts it, and under it.
"""

from __future__ import annotations

import re
from collections import Counter

import argon2
import pytest
from sqlalchemy import event

from tests.http.driver import Browser

STORE_CALLS = (
    "get",
    "set",
    "add",
    "replace",
    "pop",
    "delete",
    "incr",
    "get_counter",
    "ttl",
    "set_add",
    "set_remove",
    "set_members",
)
UNKNOWN = "066090009999"


@pytest.fixture
def work(app_factory, monkeypatch):
    """An app whose argon2 verifications, store calls and SQL are counted while on."""
    app = app_factory(LOCKOUT_THRESHOLD=3)
    counted: Counter = Counter()
    on = {"now": False}

    def count(name: str) -> None:
        if on["now"]:
            counted[name] += 1

    verify = argon2.PasswordHasher.verify

    def counting_verify(self, hash_, password):
        count("argon2.verify")
        return verify(self, hash_, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)
    store = app.extensions["idp"].store
    for name in STORE_CALLS:
        method = getattr(store, name)

        def counting(*args, _method=method, _name=name, **kwargs):
            count(f"store.{_name}")
            return _method(*args, **kwargs)

        monkeypatch.setattr(store, name, counting)
    with app.app_context():
        from idp.extensions import db

        engine = db.engine

    def on_sql(conn, cursor, statement, parameters, context, executemany):
        verb = statement.split(None, 1)[0].upper()
        table = re.search(r"(?:FROM|INTO|UPDATE)\s+\"?(\w+)", statement, re.I)
        count(f"sql.{verb}.{table.group(1) if table else '-'}")

    def on_commit(conn):
        count("sql.commit")

    event.listen(engine, "before_cursor_execute", on_sql)
    event.listen(engine, "commit", on_commit)
    yield app, counted, on
    event.remove(engine, "before_cursor_execute", on_sql)
    event.remove(engine, "commit", on_commit)


def _password_post(
    app, outbox, oidc_client, username: str, ip: str, counted, on, password: str = "saisai123"
):
    """The work of one password POST (the flow set up beforehand is not counted)."""
    browser = Browser(app, outbox)
    browser.http.environ_base["REMOTE_ADDR"] = ip
    password_url = browser.start_login(browser.authorize_url(oidc_client["client_id"])[0])
    page = browser.get(password_url).get_data(as_text=True)
    counted.clear()
    on["now"] = True
    resp = browser.post_form(password_url, page, {"username": username, "password": password})
    on["now"] = False
    return resp.status_code, Counter(counted)


def test_known_and_unknown_user_names_do_the_same_work(work, outbox, citizen, oidc_client):
    app, counted, on = work
    steps = {}
    for username in (citizen["id_number"], UNKNOWN):
        steps[username] = [
            _password_post(app, outbox, oidc_client, username, f"192.0.2.{i}", counted, on)
            for i in range(4)  # two failures, the one that starts the lock, one under it
        ]
    known, unknown = steps[citizen["id_number"]], steps[UNKNOWN]
    assert [status for status, _ in known] == [400, 400, 400, 302]
    for (_, known_work), (_, unknown_work) in zip(known, unknown, strict=True):
        assert known_work == unknown_work
        assert known_work["argon2.verify"] == 1
        assert not any(name.startswith("sql.UPDATE") for name in known_work)


def test_under_the_lock_right_and_wrong_passwords_do_the_same_work(
    work, outbox, citizen, oidc_client
):
    """Under the lock the answer is the OTP step either way, and so is the work: the right
    password is counted like a wrong one, and the look-alike step's send is audited and
    spends the typed number's SMS budget as the real one does."""
    app, counted, on = work
    for i in range(3):  # LOCKOUT_THRESHOLD wrong passwords start the lock
        _password_post(
            app, outbox, oidc_client, citizen["id_number"], f"198.51.100.{i}", counted, on
        )
    wrong = _password_post(
        app, outbox, oidc_client, citizen["id_number"], "203.0.113.1", counted, on
    )
    right = _password_post(
        app,
        outbox,
        oidc_client,
        citizen["id_number"],
        "203.0.113.2",
        counted,
        on,
        password=citizen["password"],
    )
    assert wrong[0] == right[0] == 302
    assert wrong[1] == right[1]
    assert right[1]["argon2.verify"] == 1
