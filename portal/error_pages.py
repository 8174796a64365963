"""The portal's error pages: a Vietnamese message and a "Thử lại" link, never a 500 for
bad input, a tampered callback or a provider that cannot be reached."""

from __future__ import annotations

from flask import Flask, g, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from relying_party import Problem

# The same words as the provider's pages (the shared translations catalog has them).
MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    404: "Không tìm thấy trang bạn yêu cầu.",
    405: "Phương thức không được hỗ trợ cho địa chỉ này.",
    413: "Dữ liệu gửi lên quá lớn.",
    415: "Định dạng dữ liệu không được hỗ trợ.",
    429: "Bạn thao tác quá nhiều lần. Vui lòng thử lại sau ít phút.",
}
CSRF_PROBLEM = Problem(
    "csrf",
    "Phiên làm việc của biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.",
)


def message_page(problem: Problem, status: int, retry_url: str | None = None):
    """The message page for ``problem`` with a "Thử lại" link."""
    retry = retry_url or g.get("retry_url") or url_for("portal.home")
    return render_template("portal/message.html", problem=problem, retry_url=retry), status


def init_app(app: Flask) -> None:
    """Every other error of the portal as its message page (the relying party's go
    through ``message_page``, given to ``relying_party.mount``)."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> ResponseReturnValue:
        return message_page(CSRF_PROBLEM, 400)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        message = MESSAGES.get(status, exc.description or exc.name)
        return message_page(Problem(f"http.{status}", message), status)

    @app.errorhandler(UnicodeDecodeError)
    def bad_encoding(exc: UnicodeDecodeError) -> ResponseReturnValue:
        return message_page(Problem("http.encoding", "Dữ liệu gửi lên không đúng mã UTF-8."), 400)
