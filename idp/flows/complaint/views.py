"""HTTP surface of the complaint form: read the form and files, file it, show the reference.

The form may carry a few megabytes of evidence, more than the site-wide body limit, so
this view raises the limit for itself and checks the CSRF token only after that (the
global check would read the body under the small limit first).
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from idp.accounts.phone import national_format
from idp.complaints.evidence import Upload, check_evidence
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
    details = flow.data.get("complaint_prefill") or {}
    prefill = {key: value or "" for key, value in details.items()}
    if details.get("phone"):
        prefill["phone"] = national_format(details["phone"])
    return prefill


def _limits() -> tuple[int, int]:
    config = current_app.config
    return int(config["COMPLAINT_MAX_FILES"]), int(config["COMPLAINT_MAX_FILE_BYTES"])


def _form_page(values: dict, problems=None, status: int = 200):
    max_files, max_bytes = _limits()
    page = render_template(
        "provider/complaint/new.html",
        values=values,
        problems=problems or {},
        max_files=max_files,
        max_mb=f"{max_bytes / 1048576:g}",
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
    max_files, max_bytes = _limits()
    request.max_content_length = max_files * max_bytes + FORM_SLACK_BYTES
    csrf.protect()
    typed = typed_values(request.form)
    checked, problems = check_complaint(typed)
    uploads = [
        Upload(f.filename or "", f.stream) for f in request.files.getlist("evidence") if f.filename
    ]
    evidence = []
    try:
        evidence = check_evidence(uploads, max_files=max_files, max_bytes=max_bytes)
    except DomainError as exc:
        problems["evidence"] = exc.problem
    if checked is None or problems:
        return _form_page(typed, problems, 400)
    complaint = file_complaint(checked, evidence)
    session["filed_complaint"] = complaint.reference
    return redirect(url_for("complaint.filed"))


@bp.get("/complaints/filed")
def filed():
    """The reference of the complaint this browser just filed."""
    reference = session.get("filed_complaint")
    if not reference:
        return redirect(url_for("complaint.new"))
    return render_template("provider/complaint/filed.html", reference=reference)
