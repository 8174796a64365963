"""Error responses: a Vietnamese page for browsers, RFC 6749 JSON on protocol endpoints.

Nothing here ever answers 500 for bad input: oversized bodies, bad UTF-8, a missing CSRF
token and unknown paths each get their 4xx; a backing service that is down gets 503.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from idp.errors import Problem, ServiceUnavailable
from idp.oidc.error_descriptions import safe_description
from webapp.json_limits import JsonBodyRefused

log = logging.getLogger("idp.errors")

MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    404: "Không tìm thấy trang bạn yêu cầu.",
    405: "Phương thức không được hỗ trợ cho địa chỉ này.",
    413: "Dữ liệu gửi lên quá lớn.",
    415: "Định dạng dữ liệu không được hỗ trợ.",
    429: "Bạn thao tác quá nhiều lần. Vui lòng thử lại sau ít phút.",
}
# Protocol endpoints answer RFC 6749 JSON, whose error_description allows printable ASCII
# only (§5.2): English, like every other protocol error description.
PROTOCOL_MESSAGES = {
    400: "The request is not valid.",
    404: "There is no such endpoint.",
    405: "This method is not allowed at this endpoint.",
    413: "The request body is too large.",
    415: "The request body's content type is not supported here.",
    429: "Too many requests. Try again in a few minutes.",
}
CSRF_PROBLEM = Problem(
    "csrf",
    "Phiên làm việc của biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.",
)
UNAVAILABLE = Problem(
    "unavailable",
    "Hệ thống đang tạm thời gián đoạn. Vui lòng thử lại sau ít phút; "
    "thông tin bạn đã nhập chưa được lưu.",
)


def _is_protocol() -> bool:
    return request.path.startswith(
        (
            "/oauth2/token",
            "/oauth2/userinfo",
            "/oauth2/introspect",
            "/oauth2/revoke",
            "/oauth2/register",
            "/.well-known",
        )
    )


def _page(problem: Problem, status: int):
    return render_template("provider/message.html", problem=problem, restart=True), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _page(CSRF_PROBLEM, 400)

    @app.errorhandler(ServiceUnavailable)
    def unavailable(exc):
        log.error("service unavailable: %s", exc.service)
        if _is_protocol():
            body = jsonify(error="temporarily_unavailable", error_description=str(exc))
            return body, 503, {"Retry-After": "5"}
        return _page(UNAVAILABLE, 503)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if _is_protocol():
            error = "invalid_request" if status < 500 else "server_error"
            description = PROTOCOL_MESSAGES.get(status, exc.name)
            if isinstance(exc, JsonBodyRefused):
                description = exc.description  # what limit the body broke
            return jsonify(error=error, error_description=safe_description(description)), status
        message = MESSAGES.get(status, exc.description or exc.name)
        return _page(Problem(f"http.{status}", message), status)

    @app.errorhandler(UnicodeDecodeError)
    def bad_encoding(exc):
        return _page(Problem("http.encoding", "Dữ liệu gửi lên không đúng mã UTF-8."), 400)
