"""Complaints (ownership disputes and phone-change requests): list, read (with evidence
files), resolve by the complaints service (reject; lock the disputed account; apply the
requested phone number)."""

from __future__ import annotations

from flask import Response, flash, g, redirect, render_template, request, url_for

from idp import audit
from idp.complaints.evidence import EXTENSIONS
from idp.complaints.listing import find_complaint, list_complaints
from idp.complaints.models import STATUSES
from idp.complaints.resolution import actions_for, resolve_complaint
from idp.console.session import require_console
from idp.console.views import bp
from idp.errors import DomainError, Problem
from webapp.i18n import N_

NOTE_REQUIRED = Problem(
    "complaint.note_required", "Vui lòng ghi lý do xử lý (lưu cùng khiếu nại).", "note"
)
EVIDENCE_NOT_FOUND = Problem("complaint.evidence_not_found", "Không tìm thấy tệp minh chứng này.")
NOTE_MAX = 2000
RESOLVED = N_("Đã xử lý khiếu nại.")


@bp.get("/complaints")
@require_console()
def complaints():
    """Complaints, newest first; open ones unless another status is chosen."""
    status = request.args.get("status", "open")
    chosen = status if status in STATUSES else None
    return render_template(
        "console/complaints.html",
        complaints=list_complaints(chosen),
        status=status,
        statuses=STATUSES,
    )


def _complaint_page(reference: str, status: int = 200, **page):
    try:
        complaint = find_complaint(reference)
    except DomainError as exc:
        return render_template("console/message.html", problem=exc.problem), 404
    return render_template(
        "console/complaint.html", complaint=complaint, actions=actions_for(complaint), **page
    ), status


@bp.get("/complaints/<reference>")
@require_console()
def complaint(reference: str):
    """One complaint with its evidence (the reading is audited)."""
    response = _complaint_page(reference)
    if response[1] == 200:
        audit.record("complaint.viewed", actor=g.console.actor, reference=reference.upper())
    return response


@bp.get("/complaints/<reference>/evidence/<int(min=1, max=100):number>")
@require_console()
def complaint_evidence(reference: str, number: int):
    """Evidence file ``number`` (1-based), as a download named by the reference."""
    try:
        found = find_complaint(reference)
    except DomainError as exc:
        return render_template("console/message.html", problem=exc.problem), 404
    if not 1 <= number <= len(found.evidence):
        return render_template("console/message.html", problem=EVIDENCE_NOT_FOUND), 404
    item = found.evidence[number - 1]
    audit.record(
        "complaint.evidence_viewed", actor=g.console.actor, reference=found.reference, file=number
    )
    filename = f"{found.reference}-{number}{EXTENSIONS[item.content_type][0]}"
    return Response(
        item.data,
        mimetype=item.content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.post("/complaints/<reference>/resolve")
@require_console(change=True)
def resolve(reference: str):
    """Reject the complaint, lock the disputed account or apply the requested phone number
    (``action``, by the complaint's kind), with a note."""
    note = request.form.get("note", "").strip()
    try:
        if not note or len(note) > NOTE_MAX:
            raise DomainError(NOTE_REQUIRED)
        resolve_complaint(reference, request.form.get("action", ""), note, g.console.actor)
    except DomainError as exc:
        return _complaint_page(reference, 400, problem=exc.problem, note=note)
    flash(RESOLVED)
    return redirect(url_for("console.complaint", reference=reference))
