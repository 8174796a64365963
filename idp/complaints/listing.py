"""Reading complaints for operators: find, list, describe, export evidence files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from idp.complaints.evidence import EXTENSIONS
from idp.complaints.models import Complaint
from idp.errors import DomainError, Problem
from idp.extensions import db

COMPLAINT_NOT_FOUND = Problem("complaint.not_found", "Không tìm thấy khiếu nại {reference}.")


def find_complaint(reference: str, *, for_update: bool = False) -> Complaint:
    """The complaint with this reference (case-insensitive), or DomainError."""
    query = db.select(Complaint).filter_by(reference=(reference or "").strip().upper())
    if for_update:
        query = query.with_for_update()
    complaint = db.session.scalar(query)
    if complaint is None:
        raise DomainError(COMPLAINT_NOT_FOUND.format(reference=reference))
    return complaint


def list_complaints(status: str | None = None) -> list[Complaint]:
    """Complaints, newest first, optionally only those with ``status``."""
    query = db.select(Complaint).order_by(Complaint.id.desc())
    if status:
        query = query.filter_by(status=status)
    return list(db.session.scalars(query))


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite returns naive datetimes; they were stored in UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


_LISTED = ("reference", "kind", "status", "id_number", "full_name")


def summary(complaint: Complaint) -> dict[str, Any]:
    """One line of ``idp complaints list``."""
    return {
        **{name: getattr(complaint, name) for name in _LISTED},
        "created_at": _iso(complaint.created_at),
        "evidence_files": len(complaint.evidence),
    }


def details(complaint: Complaint) -> dict[str, Any]:
    """Everything ``idp complaints show`` prints (evidence as metadata, not content)."""
    return {
        **summary(complaint),
        "phone": complaint.phone,  # for a phone_change request: the requested new number
        "email": complaint.email,
        "description": complaint.description,
        "disputed_citizen_id": complaint.citizen_id,
        "resolution": complaint.resolution,
        "resolution_note": complaint.resolution_note,
        "resolved_by": complaint.resolved_by,
        "resolved_at": _iso(complaint.resolved_at),
        "evidence": [
            {
                "filename": item.filename,
                "content_type": item.content_type,
                "size": item.size,
                "sha256": item.sha256,
            }
            for item in complaint.evidence
        ],
    }


def write_evidence(complaint: Complaint, folder: Path) -> list[Path]:
    """Write the evidence files as ``<reference>-<n><ext>`` (names never from the upload)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, item in enumerate(complaint.evidence, start=1):
        path = folder / f"{complaint.reference}-{number}{EXTENSIONS[item.content_type][0]}"
        path.write_bytes(item.data)
        written.append(path)
    return written
