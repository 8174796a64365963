"""The flow cookie (Flask's signed session cookie), renewed at login and bound to it.

The cookie holds this browser's id (which binds self-service flows), the CSRF token of its
forms, its page language and a few short-lived notes. Before login all of that is
fixation material: a cookie planted by an attacker carries a browser id and a CSRF token
he knows. So at login everything but the language is dropped (a new browser id and a new
CSRF token follow) and the cookie records which login session it belongs to (a hash of
the login session cookie). A request whose flow cookie belongs to another login session,
or to none while this browser is signed in, or to one that has ended, starts from an empty
cookie before anything reads it, the CSRF check included: a cookie planted again after
login is worth nothing either.
"""

from __future__ import annotations

import hashlib

from flask import Flask, current_app, g, request, session

#: What survives a renewal: only the page language, which is no secret.
KEPT = ("lang",)
#: The key under which the cookie names its login session.
BOUND_TO = "login"


def _fingerprint(login_key: str) -> str:
    return hashlib.sha256(login_key.encode()).hexdigest()[:32]


def renew(login_key: str | None) -> None:
    """Drop every pre-login key, bind the cookie to ``login_key`` (None: to no login)."""
    kept = {name: session[name] for name in KEPT if name in session}
    session.clear()
    session.update(kept)
    if login_key is not None:
        session[BOUND_TO] = _fingerprint(login_key)
    # Flask-WTF caches the request's CSRF token in g; the next form gets a fresh one.
    g.pop("csrf_token", None)


def renew_keeping_login() -> None:
    """Drop every pre-sign-in key but stay bound to the same login (console sign-in)."""
    binding = session.get(BOUND_TO)
    renew(None)
    if binding is not None:
        session[BOUND_TO] = binding


def _drop_foreign_cookie() -> None:
    from idp.login_session import current_login  # idp.login_session imports this module

    config = current_app.config
    cookies = (config["SESSION_COOKIE_NAME"], config["LOGIN_COOKIE_NAME"])
    if not any(name in request.cookies for name in cookies):
        return  # nothing to check, and the session stays untouched (no Vary: Cookie)
    login = current_login()
    expected = _fingerprint(login.key) if login is not None else None
    if session.get(BOUND_TO) != expected:
        renew(login.key if login is not None else None)


def init_app(app: Flask) -> None:
    """Check the binding before every other request hook, Flask-WTF's CSRF check included."""
    app.before_request_funcs.setdefault(None, []).insert(0, _drop_foreign_cookie)
