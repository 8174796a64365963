"""Concurrent wrong passwords are all counted (no read-modify-write in Python).

Real threads post wrong passwords at the same moment, each from its own browser and
address; afterwards the count equals the number of posts. The citizen's count is the
store's atomic increment (in-process store, or Redis when ``REDIS_URL`` is set), and so
is the operator's (the same rule, ``idp.citizens.lockout.UserWideLock``, console keys).
"""

from __future__ import annotations

import threading

from tests.conftest import csrf_of
from tests.http.driver import Browser
from tests.http.test_console import Console, make_operator

THREADS = 8


def _at_once(posts) -> list[int]:
    """Run the prepared ``posts`` (callables) in threads released together."""
    barrier = threading.Barrier(len(posts))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run(post) -> None:
        try:
            barrier.wait(timeout=30)
            statuses.append(post())
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(post,)) for post in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return statuses


def test_concurrent_wrong_passwords_are_all_counted(app_factory, outbox, citizen, oidc_client):
    from idp.citizens import lockout

    app = app_factory(LOCKOUT_THRESHOLD=100)
    posts = []
    for i in range(THREADS):
        browser = Browser(app, outbox)
        browser.http.environ_base["REMOTE_ADDR"] = f"198.51.100.{i + 1}"
        password_url = browser.start_login(browser.authorize_url(oidc_client["client_id"])[0])
        page = browser.get(password_url).get_data(as_text=True)
        form = {"username": citizen["id_number"], "password": "saimatkhau1"}

        def post(browser=browser, url=password_url, page=page, form=form) -> int:
            return browser.post_form(url, page, form).status_code

        posts.append(post)
    assert _at_once(posts) == [400] * THREADS
    with app.app_context():
        assert lockout.failures(citizen["id_number"]) == THREADS


def test_concurrent_wrong_operator_passwords_are_all_counted(app_factory):
    from idp.console.sign_in_rules import LOCK

    app = app_factory(CONSOLE_LOCKOUT_THRESHOLD=100)
    operator = make_operator(app)
    posts = []
    for i in range(THREADS):
        console = Console(app)
        console.http.environ_base["REMOTE_ADDR"] = f"198.51.100.{i + 1}"
        token = csrf_of(console.page("/console/login"))
        form = {"csrf_token": token, "name": operator["name"], "password": "sai-mat-khau-1"}

        def post(console=console, form=form) -> int:
            return console.http.post("/console/login", data=form).status_code

        posts.append(post)
    assert _at_once(posts) == [400] * THREADS
    with app.app_context():
        assert LOCK.failures(operator["name"]) == THREADS
