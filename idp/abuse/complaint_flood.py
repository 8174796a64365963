"""Complaint flooding: how many complaints (``/complaints/new``) one client, one identity
number and the whole provider may file.

Counters live in the shared store, so every replica sees the same numbers:

- per client IP, every submission (filed or refused), ``COMPLAINT_SUBMISSIONS_PER_IP_PER_HOUR``;
- per identity number, filed complaints, ``COMPLAINTS_PER_ID_NUMBER_PER_DAY``;
- for the whole provider, filed complaints, ``COMPLAINTS_GLOBAL_PER_HOUR``.

The per-IP and global caps are checked before the request body (up to the evidence
limit) is read, so a flood costs the provider a counter lookup, not megabytes. Every
refusal is a ``TooManyRequests`` (answered 429) and a ``complaint.refused`` audit event.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import current_app, request

from idp import audit
from idp.abuse import TooManyRequests
from idp.citizens.lockout import name_key
from idp.errors import Problem
from idp.services import services

HOUR = 3600
DAY = 86400

TOO_MANY_FROM_CLIENT = Problem(
    "complaint.too_many",
    "Bạn đã gửi quá nhiều khiếu nại trong thời gian ngắn. Vui lòng thử lại sau {minutes} phút.",
)
TOO_MANY_FOR_ID_NUMBER = Problem(
    "complaint.too_many_for_id_number",
    "Số CMND/CCCD này đã có nhiều khiếu nại đang chờ xử lý. "
    "Vui lòng chờ cơ quan quản lý phản hồi hoặc thử lại sau {hours} giờ.",
)
SYSTEM_BUSY = Problem(
    "complaint.system_busy",
    "Hệ thống đang nhận quá nhiều khiếu nại. Vui lòng thử lại sau {minutes} phút.",
)


@dataclass(frozen=True)
class ComplaintLimit:
    """One counter: its name, store key, cap and window in seconds."""

    name: str
    key: str
    cap: int
    window: int


def _ip() -> str:
    return request.remote_addr or "unknown"


def _ip_limit() -> ComplaintLimit:
    cap = current_app.config["COMPLAINT_SUBMISSIONS_PER_IP_PER_HOUR"]
    return ComplaintLimit("ip", f"complaint-flood:ip:{_ip()}", cap, HOUR)


def _global_limit() -> ComplaintLimit:
    cap = current_app.config["COMPLAINTS_GLOBAL_PER_HOUR"]
    return ComplaintLimit("global", "complaint-flood:global", cap, HOUR)


def _id_number_limit(id_number: str) -> ComplaintLimit:
    cap = current_app.config["COMPLAINTS_PER_ID_NUMBER_PER_DAY"]
    # Hashed as the lockout's keys are: no identity number is kept in the store in clear.
    return ComplaintLimit("id_number", f"complaint-flood:id:{name_key(id_number)}", cap, DAY)


def _refusal(limit: ComplaintLimit) -> TooManyRequests:
    seconds = max(1, services().store.ttl(limit.key))
    minutes = max(1, math.ceil(seconds / 60))
    if limit.name == "global":
        problem = SYSTEM_BUSY.format(minutes=minutes)
    elif limit.name == "id_number":
        problem = TOO_MANY_FOR_ID_NUMBER.format(hours=max(1, math.ceil(seconds / HOUR)))
    else:
        problem = TOO_MANY_FROM_CLIENT.format(minutes=minutes)
    audit.record("complaint.refused", actor="complainant", reason=limit.name, ip=_ip())
    return TooManyRequests(problem)


def check_submission() -> None:
    """Before the body is read: count this submission for its IP; refuse over the per-IP
    cap or when the provider already took its hourly share of complaints."""
    store = services().store
    overall = _global_limit()
    if store.get_counter(overall.key) >= overall.cap:
        raise _refusal(overall)
    per_ip = _ip_limit()
    if store.incr(per_ip.key, per_ip.window) > per_ip.cap:
        raise _refusal(per_ip)


def count_filing(id_number: str) -> None:
    """Before a valid complaint is stored: count it for its identity number and globally;
    refuse past either cap (counted atomically, so racing filings cannot pass it)."""
    store = services().store
    for limit in (_id_number_limit(id_number), _global_limit()):
        if store.get_counter(limit.key) >= limit.cap:
            raise _refusal(limit)
    for limit in (_id_number_limit(id_number), _global_limit()):
        if store.incr(limit.key, limit.window) > limit.cap:
            raise _refusal(limit)
