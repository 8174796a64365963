"""The citizen's signed-in session at the provider (single sign-on), kept in the store.

The browser holds only a random id in the ``idp_session`` cookie (HttpOnly, SameSite=Lax;
in production Secure and named ``__Host-idp_session``, so no other host can set it). The
id is replaced at every login, so a session id planted before login is worthless
afterwards, and the flow cookie is renewed with it (``idp.flow_cookie``). ``sid`` is a
separate random value that appears in ID tokens and logout tokens and never works as a
cookie.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from flask import current_app, g, request
from werkzeug.wrappers import Response

from idp import flow_cookie
from idp.services import clock, store

#: The cookie's name in development and test (plain http); production adds ``__Host-``.
COOKIE = "idp_session"


def cookie_name() -> str:
    """The login session cookie's name under this app's settings."""
    return current_app.config["LOGIN_COOKIE_NAME"]


@dataclass
class LoginSession:
    citizen_id: int
    sid: str
    auth_time: int
    amr: list[str]
    acr: str
    created_at: int
    ip: str = ""
    user_agent: str = ""
    clients: list[str] = field(default_factory=list)
    # Signed in through an upstream provider (idp.federation): its name, its session id
    # (for its back-channel logout) and its ID token (for RP-initiated logout there).
    upstream: str = ""
    upstream_sid: str = ""
    upstream_id_token: str = ""
    key: str = ""  # the cookie value; not stored inside the record

    @classmethod
    def from_record(cls, record: dict, key: str) -> LoginSession:
        """A stored record as a session; fields this release does not know are left out,
        so a record written by a newer release still reads during a rolling deploy."""
        known = {name: value for name, value in record.items() if name in _FIELDS}
        return cls(**known, key=key)

    def to_record(self) -> dict:
        """The stored record: every field but ``key`` (no deep copy: the store keeps a
        JSON copy)."""
        return {name: value for name, value in vars(self).items() if name != "key"}


_FIELDS = frozenset(LoginSession.__dataclass_fields__) - {"key"}


def _ttl() -> int:
    return current_app.config["LOGIN_SESSION_SECONDS"]


def current_login() -> LoginSession | None:
    """The login session of this request's browser, if it is still valid."""
    if "login_session" in g:
        return g.login_session
    key = request.cookies.get(cookie_name(), "")
    found = None
    if key and len(key) < 100:
        record = store().get(f"login:{key}")
        if record:
            found = LoginSession.from_record(record, key)
    g.login_session = found
    return found


@dataclass(frozen=True)
class UpstreamSession:
    """The upstream session a login came from (``idp.federation``)."""

    name: str
    sid: str = ""
    id_token: str = ""


def upstream_sid_key(name: str, sid: str) -> str:
    """The store set of login-session keys that came from one upstream session."""
    return f"upstream-sid:{name}:{sid}"


def begin_session(
    citizen_id: int, amr: list[str], acr: str, upstream: UpstreamSession | None = None
) -> LoginSession:
    """Write a new login session with a fresh id and make it this browser's.

    Only the record and the cookie: callers sign a citizen in with
    ``idp.sign_in.start_login``, which first ends the browser's previous session the one
    way (``idp.sign_out``).
    """
    session = LoginSession(
        citizen_id=citizen_id,
        sid=secrets.token_urlsafe(24),
        auth_time=int(clock().now()),
        amr=amr,
        acr=acr,
        created_at=int(clock().now()),
        ip=request.remote_addr or "",
        user_agent=(request.user_agent.string or "")[:200],
        key=secrets.token_urlsafe(32),
    )
    ttl = _ttl()
    set_adds = [(f"citizen-logins:{citizen_id}", session.key, ttl)]
    if upstream is not None:
        session.upstream = upstream.name
        session.upstream_sid = upstream.sid[:200]
        session.upstream_id_token = upstream.id_token
        if upstream.sid:
            index = upstream_sid_key(upstream.name, session.upstream_sid)
            set_adds.append((index, session.key, ttl))
    store().write_many(  # one store round trip
        sets=[
            (f"login:{session.key}", session.to_record(), ttl),
            (f"sid:{session.sid}", {"key": session.key, "citizen_id": citizen_id}, ttl),
        ],
        set_adds=set_adds,
    )
    g.login_session = session
    g.set_login_cookie = session.key
    flow_cookie.renew(session.key)
    return session


def add_client(session: LoginSession, client_id: str) -> None:
    """Remember that ``client_id`` received tokens in this session (for single logout),
    the most recent last (the account page links back to it)."""
    if session.clients and session.clients[-1] == client_id:
        return
    if client_id in session.clients:
        session.clients.remove(client_id)
    session.clients.append(client_id)
    store().replace(f"login:{session.key}", session.to_record())


def end_login(session: LoginSession) -> None:
    """End one login session (the cookie is cleared if it belongs to this browser).

    Only the record: to end a citizen's session use ``idp.sign_out.end_sessions``, which
    also revokes its tokens and tells its agencies (back-channel logout). The request's
    own session (``current_login``) is forgotten only if it is the one ended: ending
    another browser's session (e.g. after a password change) leaves this one signed in.
    """
    store().delete(f"login:{session.key}", f"sid:{session.sid}")
    store().set_remove(f"citizen-logins:{session.citizen_id}", session.key)
    if request.cookies.get(cookie_name()) == session.key:
        g.clear_login_cookie = True
        flow_cookie.renew(None)
    current = g.get("login_session")
    if current is not None and current.sid == session.sid:
        g.login_session = None


def sessions_of(citizen_id: int) -> list[LoginSession]:
    """Every live login session of a citizen."""
    found = []
    for key in store().set_members(f"citizen-logins:{citizen_id}"):
        record = store().get(f"login:{key}")
        if record:
            found.append(LoginSession.from_record(record, key))
        else:
            store().set_remove(f"citizen-logins:{citizen_id}", key)
    return found


def sessions_from_upstream(name: str, sid: str) -> list[LoginSession]:
    """Every live login session that came from the upstream session ``sid``."""
    found = []
    for key in store().set_members(upstream_sid_key(name, sid)):
        record = store().get(f"login:{key}")
        if record and record.get("upstream") == name and record.get("upstream_sid") == sid:
            found.append(LoginSession.from_record(record, key))
    return found


def session_by_sid(sid: str) -> LoginSession | None:
    ref = store().get(f"sid:{sid}")
    if not ref:
        return None
    record = store().get(f"login:{ref['key']}")
    return LoginSession.from_record(record, ref["key"]) if record else None


def apply_cookie(response: Response) -> Response:
    """after_request hook: set or clear the session cookie decided during the request."""
    secure = current_app.config["SESSION_COOKIE_SECURE"]
    if g.get("set_login_cookie"):
        response.set_cookie(
            cookie_name(),
            g.set_login_cookie,
            max_age=_ttl(),
            httponly=True,
            secure=secure,
            samesite="Lax",
            path="/",
        )
    elif g.get("clear_login_cookie"):
        response.delete_cookie(
            cookie_name(), path="/", httponly=True, secure=secure, samesite="Lax"
        )
    return response
