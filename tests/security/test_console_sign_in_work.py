"""A console password POST costs the same work whatever it reveals.

Timing differences come from different work, so the work is counted, not timed: the
argon2 verifications, every store call by kind, every SQL statement by verb and table
and every commit of one password POST. A known and an unknown operator name must do the
same work for a wrong password: outside the lock, at the failure that starts it, and
under it; under the lock the right password must do the same work as a wrong one too,
up to the second factor. At the code step, a wrong code costs the same on the real code
page (right password) as on the look-alike one (wrong password): counted, at the one that
locks the codes, and under the code lock.
"""

from __future__ import annotations

from collections import Counter

from tests.http.test_console import Console, make_operator
from tests.security.test_login_work import work  # noqa: F401 - the counting app fixture

UNKNOWN = "khong.co.ai"


def _password_post(app, name: str, password: str, ip: str, counted, on):
    """The work of one password POST (the page fetched beforehand is not counted)."""
    console = Console(app)
    console.http.environ_base["REMOTE_ADDR"] = ip
    from tests.conftest import csrf_of

    token = csrf_of(console.page("/console/login"))
    counted.clear()
    on["now"] = True
    resp = console.http.post(
        "/console/login", data={"csrf_token": token, "name": name, "password": password}
    )
    on["now"] = False
    return resp.status_code, Counter(counted)


def _code_post(console: Console, code_page: str, code: str, counted, on):
    """The work of one code POST (the page fetched beforehand is not counted)."""
    from tests.conftest import csrf_of

    token = csrf_of(console.page(code_page))
    counted.clear()
    on["now"] = True
    resp = console.http.post(code_page, data={"csrf_token": token, "otp": code})
    on["now"] = False
    return resp.status_code, Counter(counted)


def test_known_and_unknown_operator_names_do_the_same_work(work):  # noqa: F811
    app, counted, on = work
    app.config["CONSOLE_LOCKOUT_THRESHOLD"] = 3
    operator = make_operator(app)
    steps = {}
    for name in (operator["name"], UNKNOWN):
        steps[name] = [
            _password_post(app, name, "wrong-password-1", f"192.0.2.{i}", counted, on)
            for i in range(4)  # two failures, the one that starts the lock, one under it
        ]
    known, unknown = steps[operator["name"]], steps[UNKNOWN]
    assert [status for status, _ in known] == [400, 400, 400, 302]
    for (_, known_work), (_, unknown_work) in zip(known, unknown, strict=True):
        assert known_work == unknown_work
        assert known_work["argon2.verify"] == 1
        assert not any(name.startswith("sql.UPDATE") for name in known_work)

    # Under the lock the right password does what a wrong one does, up to the code page
    # (both names at their 5th attempt: neither starts another lock).
    right = _password_post(app, operator["name"], operator["password"], "192.0.2.9", counted, on)
    wrong = _password_post(app, UNKNOWN, "wrong-password-1", "192.0.2.10", counted, on)
    assert right == wrong == known[-1]


def test_the_real_and_the_look_alike_code_pages_do_the_same_work(work):  # noqa: F811
    app, counted, on = work
    # The password lock (3) and the code lock (2) are reached at the same code on both
    # pages: six failures each way keep the name's password count at the same phase.
    app.config["CONSOLE_LOCKOUT_THRESHOLD"] = 3
    app.config["CONSOLE_CODE_LOCKOUT_THRESHOLD"] = 2
    operator = make_operator(app)
    for i in range(3):
        _password_post(app, operator["name"], "wrong-password-1", f"192.0.2.{i}", counted, on)
    from tests.conftest import csrf_of

    pages = {}
    tries = (("real", operator["password"], "7"), ("look-alike", "wrong-password-2", "8"))
    for kind, password, host in tries:
        console = Console(app)
        console.http.environ_base["REMOTE_ADDR"] = f"198.51.100.{host}"
        token = csrf_of(console.page("/console/login"))
        resp = console.http.post(
            "/console/login",
            data={"csrf_token": token, "name": operator["name"], "password": password},
        )
        assert resp.status_code == 302 and "/console/login/code" in resp.location
        pages[kind] = (console, resp.location)
    wrong = "000000" if operator["totp"].now() != "000000" else "111111"
    steps = {
        kind: [_code_post(console, page, wrong, counted, on) for _ in range(3)]
        for kind, (console, page) in pages.items()
    }  # counted, the one that locks the page's codes, one under that lock
    assert steps["real"] == steps["look-alike"]
    assert [status for status, _ in steps["real"]] == [400, 400, 400]
    from idp.console.sign_in_rules import CODE_LOCK, look_alike_code_count

    with app.app_context():  # both pages' codes were locked by their second wrong code
        assert CODE_LOCK.is_locked(operator["name"])
        assert CODE_LOCK.is_locked(look_alike_code_count(operator["name"], "wrong-password-2"))
    for _, real_work in steps["real"]:
        assert real_work["sql.SELECT.operator"] >= 1
        assert not any(name.startswith("sql.UPDATE") for name in real_work)
