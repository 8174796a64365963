"""Searching the audit trail: filters from the console's form, newest events first, by page.

Dates are calendar days in Vietnam's time (UTC+7, no daylight saving), both ends
included; the event filter matches a prefix (``login.`` finds every login event); the
citizen filter takes a CMND/CCCD number or the account's internal id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func

from idp.audit import AuditEvent
from idp.citizens.models import Citizen
from idp.errors import DomainError, Problem
from idp.extensions import db

VIETNAM = timezone(timedelta(hours=7))
PAGE_SIZE = 50
MAX_TEXT = 64

DATE_INVALID = Problem("audit.date_invalid", "Ngày phải có dạng YYYY-MM-DD.")
DATE_RANGE = Problem("audit.date_range", "Ngày phải trong khoảng từ 1900-01-01 đến 2999-12-31.")
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
DATE_ORDER = Problem("audit.date_order", "“Từ ngày” phải trước hoặc bằng “Đến ngày”.", "date_to")
CITIZEN_INVALID = Problem(
    "audit.citizen_invalid",
    "Công dân: nhập số CMND (9 chữ số), CCCD (12 chữ số) hoặc mã tài khoản (tối đa 8 chữ số).",
    "citizen",
)
TEXT_TOO_LONG = Problem("audit.text_too_long", "Mỗi bộ lọc dài tối đa {max_text} ký tự.")


@dataclass
class AuditFilters:
    event: str = ""
    citizen: str = ""
    client_id: str = ""
    date_from: str = ""
    date_to: str = ""
    page: int = 1

    def query_args(self, page: int) -> dict[str, Any]:
        """The filters as URL query arguments for another page."""
        args = {k: v for k, v in self.__dict__.items() if v and k != "page"}
        return {**args, "page": page}


@dataclass
class AuditPage:
    events: list[AuditEvent]
    page: int
    pages: int
    total: int


def read_filters(args: Any) -> AuditFilters:
    """The filters from query arguments (bad page numbers fall back to page 1)."""
    values = {name: (args.get(name) or "").strip() for name in AuditFilters.__annotations__}
    try:
        page = max(1, min(int(values.pop("page") or 1), 100000))
    except ValueError:
        page = 1
    return AuditFilters(**values, page=page)


def _day(raw: str, name: str) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise DomainError(DATE_INVALID.on(name)) from None
    if not FIRST_DAY <= day <= LAST_DAY:  # year 1 or 9999 overflows in UTC conversion
        raise DomainError(DATE_RANGE.on(name))
    return day


def _utc_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=VIETNAM).astimezone(UTC)


def _citizen_id(raw: str) -> int:
    """A CMND (9 digits) or CCCD (12 digits) number, else the account's id (1-8 digits)."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12 or len(raw) in (10, 11):
        raise DomainError(CITIZEN_INVALID)
    if len(raw) in (9, 12):
        found = db.session.scalar(db.select(Citizen.id).filter_by(id_number=raw))
        return found if found is not None else -1
    return int(raw)


def _conditions(filters: AuditFilters) -> list:
    if any(len(value) > MAX_TEXT for value in (filters.event, filters.client_id, filters.citizen)):
        raise DomainError(TEXT_TOO_LONG.format(max_text=MAX_TEXT))
    first, last = _day(filters.date_from, "date_from"), _day(filters.date_to, "date_to")
    if first and last and first > last:
        raise DomainError(DATE_ORDER)
    conditions = []
    if filters.event:
        conditions.append(AuditEvent.event.startswith(filters.event, autoescape=True))
    if filters.citizen:
        conditions.append(AuditEvent.citizen_id == _citizen_id(filters.citizen))
    if filters.client_id:
        conditions.append(AuditEvent.client_id == filters.client_id)
    if first:
        conditions.append(AuditEvent.at >= _utc_start(first))
    if last:
        conditions.append(AuditEvent.at < _utc_start(last + timedelta(days=1)))
    return conditions


def search_audit(filters: AuditFilters) -> AuditPage:
    """One page of matching events, newest first; DomainError for a bad filter."""
    conditions = _conditions(filters)
    total = db.session.scalar(db.select(func.count(AuditEvent.id)).where(*conditions)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(filters.page, pages)
    query = (
        db.select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return AuditPage(list(db.session.scalars(query)), page, pages, total)


def local_time(moment: datetime) -> str:
    """A stored time as Vietnam's local time, ``dd/mm/yyyy HH:MM:SS``."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M:%S")
