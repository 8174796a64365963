"""The audit trail, searched by event, citizen, client and dates, page by page."""

from __future__ import annotations

from flask import render_template, request

from idp.console.audit_search import AuditFilters, read_filters, search_audit
from idp.console.session import require_console
from idp.console.views import bp
from idp.errors import DomainError


@bp.get("/audit")
@require_console()
def audit_trail():
    """Search form and one page of results."""
    filters: AuditFilters = read_filters(request.args)
    try:
        results = search_audit(filters)
    except DomainError as exc:
        return render_template(
            "console/audit.html", filters=filters, results=None, problem=exc.problem
        ), 400
    return render_template("console/audit.html", filters=filters, results=results)
