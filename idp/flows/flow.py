"""The flow object shared by every self-service flow: id, kind, state, data, expiry.

Each kind's ``data`` is a typed record (a ``FlowData`` dataclass registered with
``flow_data``), stored as the dict of its set fields. A stored flow whose data does not
fit its kind's record (an older shape) is treated as expired: flows live ≤ 30 minutes.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Generic, TypeVar

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
class FlowData:
    """A flow kind's data; stored as the dict of its fields that are set (not None)."""

    def to_dict(self) -> dict[str, Any]:
        """The stored shape: the set fields."""
        values = ((f.name, getattr(self, f.name)) for f in fields(self))
        return {name: value for name, value in values if value is not None}

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> FlowData:
        """The record of a stored dict; TypeError for one of another shape."""
        return cls(**stored)

    def __contains__(self, name: str) -> bool:
        return getattr(self, name, None) is not None


D = TypeVar("D", bound=FlowData)
_DATA: dict[str, type[FlowData]] = {}


def flow_data(kind: str) -> Callable[[type[D]], type[D]]:
    """Class decorator: the record type of the flows of ``kind``."""

    def register(cls: type[D]) -> type[D]:
        _DATA[kind] = cls
        return cls

    return register


@dataclass
class Flow(Generic[D]):
    id: str
    kind: str
    state: str
    browser: str
    expires_at: int
    data: D

    @property
    def expires_in(self) -> int:
        return max(0, self.expires_at - int(clock().now()))


def _key(kind: str, flow_id: str) -> str:
    return f"flow:{kind}:{flow_id}"


def _record(flow: Flow) -> dict[str, Any]:
    # The fields as dataclasses.asdict gives them, without its deep copy: the store
    # keeps a JSON copy anyway.
    return {**vars(flow), "data": flow.data.to_dict()}


def create_flow(kind: str, state: str, data: FlowData | None = None) -> Flow:
    """Start a flow of ``kind`` in ``state`` (``data``: the kind's record), bound to this
    browser."""
    ttl = current_app.config["FLOW_SECONDS"]
    flow = Flow(
        id=secrets.token_urlsafe(18),
        kind=kind,
        state=state,
        browser=browser_id(),
        expires_at=int(clock().now()) + ttl,
        data=data if data is not None else _DATA[kind](),
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
    record_type = _DATA[kind]
    try:
        data = record_type.from_dict(record["data"])
        flow = Flow(**{**record, "data": data})
    except (KeyError, TypeError):  # a flow stored in an older shape
        raise DomainError(FLOW_NOT_FOUND) from None
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
