"""Loading the registry from a carrier's CSV export (``idp subscribers import FILE.csv``).

The file has the header ``phone,id_number`` and one subscription per line. Every row is
checked first (phone: a Vietnamese mobile number in any usual spelling; identity number:
a 9-digit CMND or a structurally valid 12-digit CCCD). If any row is bad, every bad row
is reported with its line number and nothing is written; otherwise all rows are written
in one transaction, and a phone already in the registry gets the identity number of the
file (a re-import updates).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy.dialects import postgresql, sqlite

from idp import audit
from idp.citizens.identity_number import validate_identity_number
from idp.citizens.phone import normalize_phone
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.subscribers.models import Subscriber

HEADER = ("phone", "id_number")
CHUNK = 1000

BAD_HEADER = Problem(
    "subscribers.header",
    "Dòng đầu của tệp phải là tiêu đề gồm hai cột: phone,id_number.",
)
EXTRA_FIELDS = Problem("subscribers.extra_fields", "Dòng có nhiều cột hơn tiêu đề.")
CONFLICTING_ROW = Problem(
    "subscribers.conflict",
    "Số điện thoại này đã có ở dòng {line} với một số CMND/CCCD khác.",
)
EMPTY_FILE = Problem("subscribers.empty", "Tệp không có dòng dữ liệu nào.")
NOT_UTF8 = Problem("subscribers.encoding", "Tệp phải được lưu với bảng mã UTF-8.")


@dataclass(frozen=True)
class RowProblem:
    """What is wrong on one line of the file (line 1 is the header)."""

    line: int
    problem: Problem

    def __str__(self) -> str:
        return f"dòng {self.line}: {self.problem.message}"


class ImportRefused(Exception):
    """The file has bad rows; nothing was imported."""

    def __init__(self, problems: list[RowProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class ImportReport:
    rows: int = 0
    added: int = 0
    updated: int = 0


def _check_row(row: dict, line: int) -> tuple[str, str] | list[RowProblem]:
    """The normalized (phone, id_number) of a row, or what is wrong with it."""
    if None in row:
        return [RowProblem(line, EXTRA_FIELDS)]
    problems: list[RowProblem] = []
    phone = number = ""
    try:
        phone = normalize_phone(row.get("phone") or "")
    except DomainError as exc:
        problems.append(RowProblem(line, exc.problem))
    try:
        number = validate_identity_number(row.get("id_number") or "").number
    except DomainError as exc:
        problems.append(RowProblem(line, exc.problem))
    return problems or (phone, number)


def parse_rows(lines: Iterable[str]) -> dict[str, str]:
    """Check every row; the registry entries (phone → id_number) or ImportRefused."""
    reader = csv.DictReader(lines, skipinitialspace=True)
    try:
        header = tuple((name or "").strip().lower() for name in reader.fieldnames or ())
    except UnicodeDecodeError:
        raise ImportRefused([RowProblem(1, NOT_UTF8)]) from None
    if header != HEADER:
        raise ImportRefused([RowProblem(1, BAD_HEADER)])
    reader.fieldnames = list(HEADER)
    entries: dict[str, tuple[str, int]] = {}
    problems: list[RowProblem] = []
    try:
        for row in reader:
            line = reader.line_num
            checked = _check_row(row, line)
            if isinstance(checked, list):
                problems.extend(checked)
                continue
            phone, number = checked
            seen = entries.get(phone)
            if seen is not None and seen[0] != number:
                problems.append(RowProblem(line, CONFLICTING_ROW.format(line=seen[1])))
            elif seen is None:
                entries[phone] = (number, line)
    except UnicodeDecodeError:
        problems.append(RowProblem(reader.line_num + 1, NOT_UTF8))
    if problems:
        raise ImportRefused(problems)
    if not entries:
        raise ImportRefused([RowProblem(2, EMPTY_FILE)])
    return {phone: number for phone, (number, _) in entries.items()}


def _upsert(rows: list[dict]) -> None:
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        stmt = postgresql.insert(Subscriber)
    elif dialect == "sqlite":
        stmt = sqlite.insert(Subscriber)
    else:  # pragma: no cover - only PostgreSQL and SQLite are supported
        for row in rows:
            db.session.merge(Subscriber(**row))
        return
    stmt = stmt.on_conflict_do_update(
        index_elements=[Subscriber.phone],
        set_={"id_number": stmt.excluded.id_number, "updated_at": stmt.excluded.updated_at},
    )
    db.session.execute(stmt, rows)


def import_subscribers(lines: Iterable[str], actor: str = "cli") -> ImportReport:
    """Check the whole file, then write it in one transaction (or raise ImportRefused)."""
    entries = parse_rows(lines)
    report = ImportReport(rows=len(entries))
    phones = list(entries)
    now = datetime.now(UTC)
    try:
        for start in range(0, len(phones), CHUNK):
            chunk = phones[start : start + CHUNK]
            known = db.session.scalar(db.select(db.func.count()).where(Subscriber.phone.in_(chunk)))
            report.updated += int(known or 0)
            _upsert([{"phone": p, "id_number": entries[p], "updated_at": now} for p in chunk])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    report.added = report.rows - report.updated
    audit.record("subscribers.imported", actor=actor, **asdict(report))
    return report
