"""The console's sign-in has the citizens' lockout design: knowing an operator's name is
not enough to keep that operator out.

Failures are throttled per (operator name, address) and per address, before the
password is checked; the user-wide lock counts every address, is capped at 15 minutes,
and under it every password gets the code page: only the right password + a valid code
from the authenticator app signs in.
"""

from __future__ import annotations

import re

from tests.http.test_console import Console, audit_rows, make_operator

CODE_PAGE = "/console/login/code"
THROTTLED = "Có quá nhiều lần đăng nhập không thành công"
GENERIC = "Tên đăng nhập hoặc mật khẩu không đúng."
WRONG_CODE = "Mã xác thực không đúng hoặc đã hết hạn."


def _from(app, ip: str) -> Console:
    console = Console(app)
    console.http.environ_base["REMOTE_ADDR"] = ip
    return console


def _wrong_code(operator: dict) -> str:
    now = operator["totp"].now()
    return "000000" if now != "000000" else "111111"


def _lock(app, name: str, failures: int) -> None:
    """Wrong passwords for ``name``, each from its own address (no throttle in the way)."""
    for i in range(failures):
        resp = _from(app, f"198.51.100.{i + 1}").submit_password(name, "wrong-password-1")
        assert resp.status_code == 400


def _shape(page: str) -> str:
    """The page without what differs on every load (the CSRF token)."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", page)


def test_an_attacker_on_one_address_cannot_keep_the_operator_out_on_another(app_factory):
    from idp.console.sign_in_rules import LOCK

    app = app_factory(CONSOLE_FAILURES_PER_NAME_PER_IP=3, CONSOLE_LOCKOUT_THRESHOLD=5)
    operator = make_operator(app)
    attacker = _from(app, "203.0.113.50")
    answers = [attacker.submit_password(operator["name"], "wrong-password-1") for _ in range(10)]
    assert [resp.status_code for resp in answers] == [400] * 3 + [429] * 7
    assert THROTTLED in answers[-1].get_data(as_text=True)
    # Even the right password is refused from that address while it is throttled (no oracle).
    assert attacker.submit_password(operator["name"], operator["password"]).status_code == 429
    with app.app_context():
        assert LOCK.failures(operator["name"]) == 3 and not LOCK.is_locked(operator["name"])
    owner = _from(app, "192.0.2.77")
    resp = owner.submit_password(operator["name"], operator["password"])
    assert resp.status_code == 302 and CODE_PAGE in resp.location
    signed_in = owner.submit_code(resp.location, operator["totp"].now())
    assert signed_in.status_code == 302 and signed_in.location == "/console/"


def test_the_throttle_answers_alike_for_known_and_unknown_names(app_factory):
    app = app_factory(CONSOLE_FAILURES_PER_NAME_PER_IP=2, CONSOLE_LOCKOUT_THRESHOLD=100)
    operator = make_operator(app)
    answers = {}
    for name in (operator["name"], "khong.co.ai"):
        console = _from(app, "203.0.113.60")
        for _ in range(2):
            resp = console.submit_password(name, "wrong-password-1")
            assert resp.status_code == 400 and GENERIC in resp.get_data(as_text=True)
        resp = console.submit_password(name, "wrong-password-1")
        answers[name] = (resp.status_code, resp.get_data(as_text=True).count(THROTTLED))
    assert answers[operator["name"]] == answers["khong.co.ai"] == (429, 1)
    assert [row.details["reason"] for row in audit_rows(app, event="console.throttled")] == [
        "username_ip",
        "username_ip",
    ]


def test_under_the_lock_the_right_password_and_a_totp_code_sign_in(app_factory):
    from idp.console.sign_in_rules import LOCK

    app = app_factory(CONSOLE_LOCKOUT_THRESHOLD=3)
    operator = make_operator(app)
    _lock(app, operator["name"], 3)
    with app.app_context():
        assert LOCK.is_locked(operator["name"])
    assert audit_rows(app, event="console.lockout", actor=f"operator:{operator['name']}")
    owner = _from(app, "192.0.2.77")
    resp = owner.submit_password(operator["name"], operator["password"])
    assert resp.status_code == 302 and CODE_PAGE in resp.location
    assert owner.http.get("/console/").status_code == 302  # the password alone is not enough
    signed_in = owner.submit_code(resp.location, operator["totp"].now())
    assert signed_in.status_code == 302 and signed_in.location == "/console/"
    assert operator["name"] in owner.page("/console/")
    with app.app_context():
        assert not LOCK.is_locked(operator["name"]) and LOCK.failures(operator["name"]) == 0
    logins = audit_rows(app, event="console.login", actor=f"operator:{operator['name']}")
    assert [row.details["under_lock"] for row in logins] == [True]


def test_under_the_lock_right_and_wrong_passwords_are_answered_alike(app_factory):
    app = app_factory(CONSOLE_LOCKOUT_THRESHOLD=3)
    operator = make_operator(app)
    _lock(app, operator["name"], 3)
    _lock(app, "khong.co.ai", 3)
    attempts = {
        "right": (operator["name"], operator["password"]),
        "wrong": (operator["name"], "wrong-password-1"),
        "unknown": ("khong.co.ai", "wrong-password-1"),
    }
    answers, pages = {}, {}
    for i, (kind, (name, password)) in enumerate(attempts.items()):
        console = _from(app, f"192.0.2.{i + 10}")
        resp = console.submit_password(name, password)
        answers[kind] = (resp.status_code, resp.location)
        pages[kind] = _shape(console.page(resp.location))
        if kind != "right":  # the look-alike step accepts no code, not even the right one
            refused = console.submit_code(resp.location, operator["totp"].now())
            assert refused.status_code == 400 and WRONG_CODE in refused.get_data(as_text=True)
            assert console.http.get("/console/").status_code == 302
    assert answers["right"] == answers["wrong"] == answers["unknown"]
    assert answers["right"][0] == 302 and CODE_PAGE in answers["right"][1]
    assert pages["right"] == pages["wrong"] == pages["unknown"]


def test_wrong_codes_under_the_lock_count_too(app_factory):
    from idp.console.sign_in_rules import LOCK

    app = app_factory(CONSOLE_LOCKOUT_THRESHOLD=3)
    operator = make_operator(app)
    _lock(app, operator["name"], 3)
    with app.app_context():
        assert LOCK.failures(operator["name"]) == 3
    owner = _from(app, "192.0.2.77")
    resp = owner.submit_password(operator["name"], operator["password"])  # 4th attempt
    assert resp.status_code == 302
    for _ in range(2):  # the 5th and 6th: the 6th starts a second, doubled lock
        wrong = owner.submit_code(resp.location, _wrong_code(operator))
        assert wrong.status_code == 400 and WRONG_CODE in wrong.get_data(as_text=True)
    with app.app_context():
        from idp.services import store

        assert LOCK.failures(operator["name"]) == 6
        assert 60 < store().ttl(LOCK.lock_key(operator["name"])) <= 120
    assert len(audit_rows(app, event="console.lockout")) == 2
    signed_in = owner.submit_code(resp.location, operator["totp"].now())
    assert signed_in.status_code == 302 and signed_in.location == "/console/"


def test_an_unenrolled_operator_under_the_lock_gets_the_code_page_not_the_secret(app_factory):
    app = app_factory(CONSOLE_LOCKOUT_THRESHOLD=3)
    newcomer = make_operator(app, "moi.vao", enrolled=False)
    _lock(app, newcomer["name"], 3)
    console = _from(app, "192.0.2.77")
    resp = console.submit_password(newcomer["name"], newcomer["password"])
    assert resp.status_code == 302 and CODE_PAGE in resp.location
    assert newcomer["totp"].secret not in console.page(resp.location)
    assert CODE_PAGE in console.http.get("/console/login/enrol").location
    assert newcomer["totp"].secret not in console.http.get("/console/login/enrol").get_data(
        as_text=True
    )


def test_the_console_lock_doubles_and_is_capped_at_fifteen_minutes(app):
    from idp.console.sign_in_rules import LOCK
    from idp.services import store

    with app.test_request_context():
        lengths = []
        for _ in range(7):
            for _ in range(4):
                assert LOCK.register_failure("van.hanh") is None
            lengths.append(LOCK.register_failure("van.hanh"))
            assert LOCK.is_locked("van.hanh")
        assert lengths == [60, 120, 240, 480, 900, 900, 900]
        assert 0 < store().ttl(LOCK.lock_key("van.hanh")) <= 900


def _code_page(app, operator: dict, ip: str, password: str | None = None):
    """A browser at ``ip`` on the code page after ``password`` (default: the right one)."""
    console = _from(app, ip)
    resp = console.submit_password(operator["name"], password or operator["password"])
    assert resp.status_code == 302 and CODE_PAGE in resp.location
    return console, resp.location


def test_wrong_codes_after_the_right_password_lock_the_names_codes_from_every_address(
    app_factory,
):
    """Someone holding the password cannot keep guessing codes by changing address: the
    5th wrong code locks the name's codes, and then even the right code is refused, with
    the wrong code's message, until the lock passes."""
    from idp.console.sign_in_rules import CODE_LOCK
    from idp.services import store

    app = app_factory(CONSOLE_CODE_LOCKOUT_THRESHOLD=5, CONSOLE_LOCKOUT_THRESHOLD=100)
    operator = make_operator(app)
    for i in range(5):
        console, code_page = _code_page(app, operator, f"203.0.113.{i + 1}")
        wrong = console.submit_code(code_page, _wrong_code(operator))
        assert wrong.status_code == 400 and WRONG_CODE in wrong.get_data(as_text=True)
    with app.app_context():
        assert CODE_LOCK.is_locked(operator["name"])
        assert 0 < store().ttl(CODE_LOCK.lock_key(operator["name"])) <= 900
    lockouts = audit_rows(app, event="console.code_lockout", actor=f"operator:{operator['name']}")
    assert [row.details["seconds"] for row in lockouts] == [900]

    owner, code_page = _code_page(app, operator, "192.0.2.77")
    refused = owner.submit_code(code_page, operator["totp"].now())
    assert refused.status_code == 400 and WRONG_CODE in refused.get_data(as_text=True)
    assert owner.http.get("/console/").status_code == 302
    failures = audit_rows(app, event="console.login_failed", actor=f"operator:{operator['name']}")
    assert failures[-1].details["reason"] == "codes_locked"

    with app.app_context():  # the lock's time passes (the store forgets the key)
        store().delete(CODE_LOCK.lock_key(operator["name"]))
    signed_in = owner.submit_code(code_page, operator["totp"].now())
    assert signed_in.status_code == 302 and signed_in.location == "/console/"


def test_wrong_codes_on_the_look_alike_page_never_lock_the_owners_codes(app_factory):
    """Without the password nobody reaches the name's code count: under the password lock
    wrong passwords get the look-alike page, and its wrong codes (from many addresses,
    past the threshold on each page) lock only the look-alike's own count."""
    from idp.console.sign_in_rules import CODE_LOCK, look_alike_code_count

    app = app_factory(CONSOLE_LOCKOUT_THRESHOLD=3, CONSOLE_CODE_LOCKOUT_THRESHOLD=2)
    operator = make_operator(app)
    _lock(app, operator["name"], 3)
    for i in range(6):
        password = f"wrong-password-{i % 2}"
        console, code_page = _code_page(app, operator, f"203.0.113.{i + 1}", password)
        for _ in range(3):
            wrong = console.submit_code(code_page, operator["totp"].now())
            assert wrong.status_code == 400 and WRONG_CODE in wrong.get_data(as_text=True)
    with app.app_context():
        assert not CODE_LOCK.is_locked(operator["name"])
        assert CODE_LOCK.failures(operator["name"]) == 0
        # Pages opened with one wrong password share their count, as real pages would.
        counted_as = look_alike_code_count(operator["name"], "wrong-password-0")
        assert CODE_LOCK.is_locked(counted_as) and CODE_LOCK.failures(counted_as) == 9
    owner, code_page = _code_page(app, operator, "192.0.2.77")
    signed_in = owner.submit_code(code_page, operator["totp"].now())
    assert signed_in.status_code == 302 and signed_in.location == "/console/"


def test_a_successful_sign_in_clears_the_code_count(app_factory):
    from idp.console.sign_in_rules import CODE_LOCK

    app = app_factory(CONSOLE_CODE_LOCKOUT_THRESHOLD=5)
    operator = make_operator(app)
    owner, code_page = _code_page(app, operator, "192.0.2.77")
    for _ in range(4):
        assert owner.submit_code(code_page, _wrong_code(operator)).status_code == 400
    with app.app_context():
        assert CODE_LOCK.failures(operator["name"]) == 4
    signed_in = owner.submit_code(code_page, operator["totp"].now())
    assert signed_in.status_code == 302 and signed_in.location == "/console/"
    with app.app_context():
        assert CODE_LOCK.failures(operator["name"]) == 0
    # Four more wrong codes start from nothing: no lock.
    again, code_page = _code_page(app, operator, "192.0.2.78")
    for _ in range(4):
        assert again.submit_code(code_page, _wrong_code(operator)).status_code == 400
    with app.app_context():
        assert not CODE_LOCK.is_locked(operator["name"])


def test_the_code_lock_doubles_from_fifteen_minutes_to_a_week(app):
    from idp.console.sign_in_rules import CODE_LOCK

    with app.test_request_context():
        lengths = []
        for _ in range(12):
            for _ in range(4):
                assert CODE_LOCK.register_failure("van.hanh") is None
            lengths.append(CODE_LOCK.register_failure("van.hanh"))
        assert lengths == [900 * 2**k for k in range(10)] + [604800, 604800]


def test_a_pending_sign_in_from_before_code_counting_starts_over(app):
    """A code step stored by the previous version names no code count: it is not used
    (its codes would be counted nowhere), the browser goes back to the password."""
    from idp.services import store

    operator = make_operator(app)
    console, code_page = _code_page(app, operator, "192.0.2.77")
    cookie = console.http.get_cookie(app.config["CONSOLE_COOKIE_NAME"], path="/console")
    with app.app_context():
        record = store().get(f"console:{cookie.value}")
        assert record.pop("codes_counted_as") == operator["name"]
        store().set(f"console:{cookie.value}", record, 300)
    resp = console.http.get(code_page)
    assert resp.status_code == 302 and resp.location == "/console/login"
