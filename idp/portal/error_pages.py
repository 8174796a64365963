"""The portal's error pages: a Vietnamese message and a "Thử lại" link, never a 500 for
bad input, a tampered callback or a provider that cannot be reached."""

from __future__ import annotations

import logging

from flask import Flask, g, render_template, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from idp.error_pages import CSRF_PROBLEM, MESSAGES, UNAVAILABLE
from idp.errors import DomainError, Problem, ServiceUnavailable
from idp.portal.provider_client import PROVIDER_MISCONFIGURED, PROVIDER_UNREACHABLE
from idp.portal.signed_in import REFRESH_IN_PROGRESS

log = logging.getLogger("idp.portal")

STATUS_OF = {
    PROVIDER_UNREACHABLE.code: 503,
    PROVIDER_MISCONFIGURED.code: 502,
    REFRESH_IN_PROGRESS.code: 409,
}


def message_page(problem: Problem, status: int, retry_url: str | None = None):
    """The message page for ``problem`` with a "Thử lại" link."""
    retry = retry_url or g.get("retry_url") or url_for("portal.home")
    return render_template("portal/message.html", problem=problem, retry_url=retry), status


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        log.info("portal problem %s", exc.problem.code)
        return message_page(exc.problem, STATUS_OF.get(exc.problem.code, 400))

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return message_page(CSRF_PROBLEM, 400)

    @app.errorhandler(ServiceUnavailable)
    def unavailable(exc: ServiceUnavailable):
        log.error("service unavailable: %s", exc.service)
        return message_page(UNAVAILABLE, 503)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        message = MESSAGES.get(status, exc.description or exc.name)
        return message_page(Problem(f"http.{status}", message), status)

    @app.errorhandler(UnicodeDecodeError)
    def bad_encoding(exc):
        return message_page(Problem("http.encoding", "Dữ liệu gửi lên không đúng mã UTF-8."), 400)
