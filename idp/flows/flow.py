"""The flow object shared by every self-service flow: id, kind, state, data, expiry."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, session

from idp.errors import DomainError, Problem
from idp.services import clock, store

FLOW_NOT_FOUND = Problem(
    "flow.not_found",
    "Phiên thao tác đã hết hạn hoặc không hợp lệ. Vui lòng bắt đầu lại.",
)
FLOW_WRONG_STEP = Problem(
    "flow.wrong_step",
    "Bước này chưa thể thực hiện. Vui lòng làm theo thứ tự các bước.",
)


def browser_id() -> str:
    """A random id for this browser, kept in the signed Flask session cookie."""
    if "browser" not in session:
        session["browser"] = secrets.token_urlsafe(16)
    return session["browser"]


@dataclass
class Flow:
    id: str
    kind: str
    state: str
    browser: str
    expires_at: int
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def expires_in(self) -> int:
        return max(0, self.expires_at - int(clock().now()))


def _key(kind: str, flow_id: str) -> str:
    return f"flow:{kind}:{flow_id}"


def _record(flow: Flow) -> dict[str, Any]:
    # The fields as dataclasses.asdict gives them, without its deep copy: the store
    # keeps a JSON copy anyway.
    return {
        "id": flow.id,
        "kind": flow.kind,
        "state": flow.state,
        "browser": flow.browser,
        "expires_at": flow.expires_at,
        "data": flow.data,
    }


def create_flow(kind: str, state: str, data: dict[str, Any] | None = None) -> Flow:
    """Start a flow of ``kind`` in ``state``, bound to this browser."""
    ttl = current_app.config["FLOW_SECONDS"]
    flow = Flow(
        id=secrets.token_urlsafe(18),
        kind=kind,
        state=state,
        browser=browser_id(),
        expires_at=int(clock().now()) + ttl,
        data=data or {},
    )
    store().set(_key(kind, flow.id), _record(flow), ttl)
    return flow


def load_flow(kind: str, flow_id: str | None, *states: str) -> Flow:
    """The flow with this id, started by this browser, in one of ``states`` (if given)."""
    if not flow_id or len(flow_id) > 64:
        raise DomainError(FLOW_NOT_FOUND)
    record = store().get(_key(kind, flow_id))
    if not record or record["browser"] != session.get("browser"):
        raise DomainError(FLOW_NOT_FOUND)
    flow = Flow(**record)
    if states and flow.state not in states:
        raise DomainError(FLOW_WRONG_STEP)
    return flow


def save_flow(flow: Flow) -> None:
    """Store the flow's new state, keeping its original expiry."""
    if not store().replace(_key(flow.kind, flow.id), _record(flow)):
        raise DomainError(FLOW_NOT_FOUND)


def rebind_flow(flow: Flow) -> None:
    """Bind a flow to this browser's new id (the flow cookie was renewed at login)."""
    flow.browser = browser_id()
    save_flow(flow)


def finish_flow(flow: Flow) -> bool:
    """Delete the flow atomically; False if another request already finished it."""
    return store().pop(_key(flow.kind, flow.id)) is not None
