"""HTTP surface of the complaint form: read the form and files, file it, show the reference.

The form may carry a few megabytes of evidence, more than the site-wide body limit, so
this view raises the limit for itself and checks the CSRF token only after that (the
global check would read the body under the small limit first). The flood limits
(``idp.abuse.complaint_flood``) are checked before the body is read at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from idp.abuse import TooManyRequests
from idp.abuse.complaint_flood import check_submission, count_filing
from idp.citizens.phone import national_format
from idp.complaints.evidence import Upload, check_evidence, megabytes
from idp.complaints.filing import check_complaint, file_complaint, typed_values
from idp.errors import DomainError
from idp.extensions import csrf
from idp.flows.registration.flow import load_registration

bp = Blueprint("complaint", __name__)

FORM_SLACK_BYTES = 1048576  # the text fields and multipart framing around the files


def _prefill() -> dict[str, str]:
    """The details typed in this browser's registration, when it links here."""
    try:
        flow = load_registration(request.args.get("registration"))
    except DomainError:
        return {}
    details = flow.data.complaint_prefill or {}
    prefill = {key: value or "" for key, value in details.items()}
    if details.get("phone"):
        prefill["phone"] = national_format(details["phone"])
    return prefill


@dataclass(frozen=True)
class EvidenceLimits:
    """How many evidence files, how large each, how large all together."""

    files: int
    file_bytes: int
    total_bytes: int

    @property
    def body_bytes(self) -> int:
        """The largest request body the form can need."""
        return min(self.total_bytes, self.files * self.file_bytes) + FORM_SLACK_BYTES


def evidence_limits(config) -> EvidenceLimits:
    """The evidence limits from the settings."""
    return EvidenceLimits(
        config["COMPLAINT_MAX_FILES"],
        config["COMPLAINT_MAX_FILE_BYTES"],
        config["COMPLAINT_MAX_TOTAL_BYTES"],
    )


def _form_page(values: dict, problems=None, status: int = 200):
    limits = evidence_limits(current_app.config)
    page = render_template(
        "provider/complaint/new.html",
        values=values,
        problems=problems or {},
        max_files=limits.files,
        max_mb=megabytes(limits.file_bytes),
        max_total_mb=megabytes(min(limits.total_bytes, limits.files * limits.file_bytes)),
    )
    return page, status


@bp.get("/complaints/new")
def new():
    """The complaint form."""
    return _form_page(_prefill())


@bp.post("/complaints/new")
@csrf.exempt  # checked below, once the body limit fits the evidence files
def submit():
    """File the complaint; every field's problem is shown at once."""
    try:
        check_submission()
    except TooManyRequests as exc:
        return _refused(exc)
    limits = evidence_limits(current_app.config)
    request.max_content_length = limits.body_bytes
    csrf.protect()
    typed = typed_values(request.form)
    checked, problems = check_complaint(typed)
    uploads = [
        Upload(f.filename or "", f.stream) for f in request.files.getlist("evidence") if f.filename
    ]
    evidence = []
    try:
        evidence = check_evidence(
            uploads,
            max_files=limits.files,
            max_bytes=limits.file_bytes,
            max_total_bytes=limits.total_bytes,
        )
    except DomainError as exc:
        problems["evidence"] = exc.problem
    if checked is None or problems:
        return _form_page(typed, problems, 400)
    try:
        count_filing(checked.id_number)
    except TooManyRequests as exc:
        return _refused(exc)
    complaint = file_complaint(checked, evidence)
    session["filed_complaint"] = complaint.reference
    return redirect(url_for("complaint.filed"))


def _refused(exc: TooManyRequests):
    page = render_template("provider/message.html", problem=exc.problem)
    return page, 429


@bp.get("/complaints/filed")
def filed():
    """The reference of the complaint this browser just filed."""
    reference = session.get("filed_complaint")
    if not reference:
        return redirect(url_for("complaint.new"))
    return render_template("provider/complaint/filed.html", reference=reference)
