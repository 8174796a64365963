"""Server-side sessions for the relying party: the browser holds only a random id.

The Flask session (Authlib's state, the CSRF token, the signed-in citizen and the tokens)
lives in the store under ``session:<id>`` with a fixed lifetime; the cookie carries the
id alone (HttpOnly, SameSite=Lax, Secure on https). Signed-in sessions are also indexed
by the provider's ``sid`` and the citizen's ``sub`` so that a back-channel logout token
can end exactly the sessions it names, on whichever replica it arrives.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from relying_party.store import SessionStore as Store

_ID_BYTES = 32
_MAX_ID_LENGTH = 64


def _session_key(session_id: str) -> str:
    return f"session:{session_id}"


def _sid_key(sid: str) -> str:
    return f"by-sid:{sid}"


def _sub_key(sub: str) -> str:
    return f"by-sub:{sub}"


class PortalSession(CallbackDict, SessionMixin):
    """A dict that notes changes, with its id (``None`` until it first needs one)."""

    def __init__(self, initial: dict[str, Any] | None = None, session_id: str | None = None):
        def on_update(_: CallbackDict) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.session_id = session_id
        self.stored = session_id is not None
        self.modified = False
        self.replaced_id: str | None = None

    def ensure_id(self) -> str:
        """This session's id, chosen now if it has none yet."""
        if self.session_id is None:
            self.session_id = secrets.token_urlsafe(_ID_BYTES)
            self.stored = False
        return self.session_id

    def regenerate(self) -> str:
        """Move to a fresh id (at login, so an id planted earlier is worthless); returns it."""
        if self.stored:
            self.replaced_id = self.session_id
        self.session_id = None
        self.modified = True
        return self.ensure_id()


class ServerSideSessions(SessionInterface):
    """Flask's session interface over the relying party's store."""

    def __init__(self, store: Store, ttl: int):
        self.store = store
        self.ttl = ttl

    def open_session(self, app: Flask, request: Request) -> PortalSession:
        session_id = request.cookies.get(self.get_cookie_name(app), "")
        if session_id and len(session_id) <= _MAX_ID_LENGTH:
            record = self.store.get(_session_key(session_id))
            if record is not None:
                return PortalSession(record["data"], session_id)
        return PortalSession()

    def save_session(self, app: Flask, session: PortalSession, response: Response) -> None:
        name = self.get_cookie_name(app)
        if session.replaced_id:
            self.store.delete(_session_key(session.replaced_id))
            session.replaced_id = None
        if not session:
            if session.stored:
                self.store.delete(_session_key(session.session_id))
                response.delete_cookie(name, path="/", httponly=True, samesite="Lax")
            return
        if not session.modified:
            return
        record = {"data": dict(session)}
        if not session.stored:
            self.store.set(_session_key(session.ensure_id()), record, self.ttl)
            session.stored = True
        elif not self.store.replace(_session_key(session.session_id), record):
            # Ended meanwhile (logout, back-channel logout, expiry): never resurrect it.
            response.delete_cookie(name, path="/", httponly=True, samesite="Lax")
            return
        response.set_cookie(
            name,
            session.session_id,
            httponly=True,
            secure=self.get_cookie_secure(app),
            samesite="Lax",
            path="/",
        )


def index_session(store: Store, session_id: str, sid: str | None, sub: str, ttl: int) -> None:
    """Remember which local session belongs to the provider session ``sid`` and ``sub``."""
    if sid:
        store.set_add(_sid_key(sid), session_id, ttl)
    store.set_add(_sub_key(sub), session_id, ttl)


def end_session(store: Store, session_id: str) -> None:
    """End one local session (its record goes; stale index entries are pruned later)."""
    store.delete(_session_key(session_id))


def end_sessions(store: Store, sid: str | None = None, sub: str | None = None) -> int:
    """End the sessions of provider session ``sid`` (if given), else every one of ``sub``.

    When both are given, only sessions of ``sid`` whose citizen is ``sub`` end
    (Back-Channel Logout 1.0 §2.7). Returns how many sessions ended.
    """
    index = _sid_key(sid) if sid else _sub_key(sub or "")
    ended = 0
    for session_id in store.set_members(index):
        record = store.get(_session_key(session_id))
        if record is None:
            store.set_remove(index, session_id)
            continue
        citizen = record["data"].get("citizen") or {}
        if (sub and citizen.get("sub") != sub) or (sid and citizen.get("sid") != sid):
            continue
        end_session(store, session_id)
        store.set_remove(index, session_id)
        ended += 1
    return ended
