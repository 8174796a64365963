"""The console's own session, separate from citizens' sign-in.

The browser holds a random id in the ``idp_console`` cookie (path ``/console``,
HttpOnly, SameSite=Strict; in production Secure, named ``__Host-idp_console`` and so on
path ``/``); the record lives in the store. Between
password and code the record is ``second_factor`` for a few minutes (under the user-wide
lock also for a wrong password: then it names no operator and no code is accepted,
``idp.console.sign_in_rules``) and says under which name its wrong codes are counted
(``codes_counted_as``: the operator's name, or the look-alike's own); once signed in it
is ``signed_in`` with a fresh id (no fixation), expires after ``CONSOLE_IDLE_SECONDS``
without a request and after ``CONSOLE_SESSION_MAX_SECONDS`` in any case.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from functools import wraps

from flask import current_app, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from idp import flow_cookie
from idp.console.models import OPERATOR
from idp.errors import Problem
from idp.services import clock, store

#: The cookie's name and path in development and test; production uses ``__Host-``.
COOKIE = "idp_console"
PATH = "/console"
SECOND_FACTOR = "second_factor"
SIGNED_IN = "signed_in"
SECOND_FACTOR_SECONDS = 300

ROLE_FORBIDDEN = Problem(
    "console.forbidden",
    "Vai trò kiểm toán viên (auditor) chỉ được xem; thao tác này cần vai trò operator.",
)


@dataclass
class ConsoleSession:
    """``operator_id`` None: the look-alike code step under the lock (``name`` as typed)."""

    operator_id: int | None
    name: str
    role: str
    stage: str
    created_at: int
    under_lock: bool = False
    codes_counted_as: str = ""
    key: str = ""

    @property
    def actor(self) -> str:
        """How the audit trail names this operator."""
        return f"operator:{self.name}"

    @property
    def can_change(self) -> bool:
        return self.role == OPERATOR


def _save(session: ConsoleSession, ttl: int) -> None:
    record = asdict(session)
    record.pop("key")
    store().set(f"console:{session.key}", record, ttl)


def _read() -> ConsoleSession | None:
    key = request.cookies.get(current_app.config["CONSOLE_COOKIE_NAME"], "")
    if not key or len(key) > 100:
        return None
    record = store().get(f"console:{key}")
    return ConsoleSession(**record, key=key) if record else None


def _replace(session: ConsoleSession | None, new: ConsoleSession, ttl: int) -> None:
    if session is not None:
        store().delete(f"console:{session.key}")
    new.key = secrets.token_urlsafe(32)
    _save(new, ttl)
    g.console_cookie = new.key
    flow_cookie.renew_keeping_login()  # a fresh CSRF token at each stage of sign-in


def begin_second_factor(
    operator_id: int | None,
    name: str,
    role: str,
    codes_counted_as: str,
    under_lock: bool = False,
) -> ConsoleSession:
    """Remember who is between the two factors: the operator whose password was right,
    or (under the lock only) no operator, the look-alike step for the name ``name``;
    and the name its wrong codes are counted under."""
    if operator_id is None and not under_lock:
        raise ValueError("only the lock's look-alike step has no operator")
    if not codes_counted_as:
        raise ValueError("every code step counts its wrong codes under some name")
    pending = ConsoleSession(
        operator_id, name, role, SECOND_FACTOR, 0, under_lock, codes_counted_as
    )
    _replace(_read(), pending, SECOND_FACTOR_SECONDS)
    return pending


def pending_operator() -> ConsoleSession | None:
    """The session of an operator who gave the password and owes the code (a record from
    before code counting, which names no count, starts over)."""
    session = _read()
    if session is None or session.stage != SECOND_FACTOR or not session.codes_counted_as:
        return None
    return session


def complete_sign_in(pending: ConsoleSession) -> ConsoleSession:
    """Both factors passed: a signed-in session under a new id."""
    if pending.operator_id is None:
        raise ValueError("the look-alike step never signs in")
    signed_in = ConsoleSession(
        pending.operator_id, pending.name, pending.role, SIGNED_IN, int(clock().now())
    )
    _replace(pending, signed_in, current_app.config["CONSOLE_IDLE_SECONDS"])
    return signed_in


def current_session() -> ConsoleSession | None:
    """This request's signed-in console session (its idle timer restarts), or None."""
    session = _read()
    if session is None or session.stage != SIGNED_IN:
        return None
    config = current_app.config
    if session.created_at + config["CONSOLE_SESSION_MAX_SECONDS"] < clock().now():
        store().delete(f"console:{session.key}")
        return None
    _save(session, config["CONSOLE_IDLE_SECONDS"])
    return session


def end_session() -> ConsoleSession | None:
    """Sign out: the record is deleted and the cookie cleared."""
    session = _read()
    if session is not None:
        store().delete(f"console:{session.key}")
    g.console_cookie = ""
    return session


def apply_cookie(response: Response) -> Response:
    """after_request hook of the console blueprint: set or clear its cookie."""
    value = g.get("console_cookie")
    if value is None:
        return response
    config = current_app.config
    name, path = config["CONSOLE_COOKIE_NAME"], config["CONSOLE_COOKIE_PATH"]
    secure = config["SESSION_COOKIE_SECURE"]
    if value:
        response.set_cookie(name, value, httponly=True, secure=secure, samesite="Strict", path=path)
    else:
        response.delete_cookie(name, path=path, httponly=True, secure=secure, samesite="Strict")
    return response


def require_console(change: bool = False):
    """View decorator: a signed-in operator (``change=True``: role operator, not auditor)."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            session = current_session()
            if session is None:
                return redirect(url_for("console.login", next=request.path))
            g.console = session
            if change and not session.can_change:
                return render_template("console/message.html", problem=ROLE_FORBIDDEN), 403
            return view(*args, **kwargs)

        return guarded

    return decorate
