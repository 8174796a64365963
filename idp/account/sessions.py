"""The citizen's signed-in browsers: listing them, and signing out one or all of them.

Every ended session is announced to the agencies that received tokens in it by
back-channel logout and its tokens are revoked (``idp.sign_out``), exactly as at an
RP-initiated logout.
A session is named by its ``sid`` (which also appears in ID tokens), never by its cookie
value, so the page never reveals anything that would let someone take a session over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from idp import audit
from idp.account.devices import Device, describe_user_agent, place_of
from idp.login_session import LoginSession, session_by_sid, sessions_of
from idp.sign_out import end_sessions

MAX_SID_LENGTH = 64


@dataclass(frozen=True)
class SessionView:
    """One signed-in browser as the sessions page shows it."""

    sid: str
    device: Device
    place: str  # devices.LOCAL | devices.UNKNOWN
    ip: str
    signed_in_at: datetime
    amr: list[str]
    current: bool


def _view(session: LoginSession, current: LoginSession | None) -> SessionView:
    return SessionView(
        sid=session.sid,
        device=describe_user_agent(session.user_agent),
        place=place_of(session.ip),
        ip=session.ip,
        signed_in_at=datetime.fromtimestamp(session.auth_time, UTC),
        amr=list(session.amr),
        current=current is not None and session.sid == current.sid,
    )


def sessions_for(citizen_id: int, current: LoginSession | None) -> list[SessionView]:
    """Every live session of the citizen: this browser's first, then newest first."""
    views = [_view(s, current) for s in sessions_of(citizen_id)]
    return sorted(views, key=lambda v: (not v.current, -v.signed_in_at.timestamp()))


def end_session(citizen_id: int, sid: str) -> LoginSession | None:
    """End the citizen's session ``sid``; None if it had already ended (or is not theirs)."""
    if not sid or len(sid) > MAX_SID_LENGTH:
        return None
    session = session_by_sid(sid)
    if session is None or session.citizen_id != citizen_id:
        return None
    end_sessions([session], reason="account")
    return session


def end_other_sessions(citizen_id: int, current: LoginSession) -> list[LoginSession]:
    """End every session of the citizen except ``current``; returns those ended."""
    others = [s for s in sessions_of(citizen_id) if s.sid != current.sid]
    end_sessions(others, reason="password_changed")
    return others


def end_every_session(citizen_id: int) -> int:
    """ "Đăng xuất khỏi tất cả thiết bị": end every session, this browser's included."""
    ended = end_sessions(sessions_of(citizen_id), reason="everywhere")
    audit.record("logout.everywhere", citizen_id=citizen_id, ended_sessions=ended)
    return ended
