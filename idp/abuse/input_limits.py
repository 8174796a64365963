"""Input limits every request meets before any view runs.

- at most ``MAX_REQUEST_PARAMETERS`` query and form parameters together;
- every value at most ``MAX_FIELD_LENGTH`` characters on pages (``FIELD_LIMITS`` is
  tighter for the fields whose length a rule already bounds) and
  ``MAX_PROTOCOL_FIELD_LENGTH`` on protocol endpoints (JWTs such as ``request`` objects
  and client assertions are long);
- no control characters except tab and line breaks (NUL in particular, which
  PostgreSQL refuses to store).

A page gets a Vietnamese 400 page; a protocol endpoint gets RFC 6749 ``invalid_request``.
Request bodies are bounded by ``MAX_CONTENT_LENGTH`` (413), which the complaint form
raises for its evidence files.
"""

from __future__ import annotations

import re

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.routing import IntegerConverter

from idp.errors import Problem

TOO_MANY_PARAMETERS = Problem(
    "input.too_many_parameters", "Yêu cầu có quá nhiều tham số. Vui lòng tải lại trang."
)
FIELD_TOO_LONG = Problem(
    "input.too_long", "Giá trị nhập vào quá dài. Vui lòng kiểm tra lại thông tin đã nhập."
)
CONTROL_CHARACTERS = Problem(
    "input.control_characters",
    "Giá trị nhập vào chứa ký tự điều khiển không hợp lệ. Vui lòng nhập lại bằng chữ, số "
    "và dấu câu.",
)
ADDRESS_CHARACTERS = Problem(
    "input.address_characters", "Địa chỉ chuyển hướng chứa ký tự không hợp lệ."
)

# Fields whose rules are short: anything far longer is not a typo but garbage.
FIELD_LIMITS = {
    "username": 64,
    "id_number": 64,
    "phone": 64,
    "otp": 32,
    "recovery_code": 64,
    "gender": 16,
    "date_of_birth": 32,
    "full_name": 300,
    "email": 320,
    "password": 1024,
    "password_confirm": 1024,
    "current_password": 1024,
    "csrf_token": 512,
    "flow": 128,
    "pow_challenge": 64,
    "pow_nonce": 64,
}
_PROTOCOL_PREFIXES = ("/oauth2/", "/.well-known/", "/connect/", "/backchannel")
# Protocol endpoints a browser is sent to: their errors are pages, not JSON.
_BROWSER_PROTOCOL_PATHS = ("/oauth2/authorize", "/oauth2/logout")
# C0 (U+0000-U+001F), DEL and C1 (U+007F-U+009F); the second without tab, LF and CR.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_WHITESPACE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Characters RFC 6749 §5.2 forbids in an error description, which echoes these addresses:
# no registered address holds them, so they are refused up front.
_ADDRESS_PARAMETERS = frozenset({"redirect_uri", "post_logout_redirect_uri"})
_FORBIDDEN_IN_ADDRESSES = frozenset('\\"')


def _is_protocol() -> bool:
    return request.path.startswith(_PROTOCOL_PREFIXES)


def has_control_characters(value: str, *, allow_whitespace: bool = True) -> bool:
    """True if ``value`` holds a C0/C1 control character (tab and line breaks allowed
    when ``allow_whitespace``, as in a textarea)."""
    pattern = _CONTROLS_BUT_WHITESPACE if allow_whitespace else _CONTROLS
    return pattern.search(value) is not None


def problem_with(params: list[tuple[str, str]], protocol: bool) -> Problem | None:
    """The first limit these parameters break, or None."""
    config = current_app.config
    if len(params) > config["MAX_REQUEST_PARAMETERS"]:
        return TOO_MANY_PARAMETERS
    general = config["MAX_PROTOCOL_FIELD_LENGTH" if protocol else "MAX_FIELD_LENGTH"]
    for name, value in params:
        cap = general if protocol else min(general, FIELD_LIMITS.get(name, general))
        if len(name) > 256 or len(value) > cap:
            return FIELD_TOO_LONG.on(name[:64])
        if has_control_characters(name, allow_whitespace=False) or has_control_characters(
            value, allow_whitespace=not protocol
        ):
            return CONTROL_CHARACTERS.on(name[:64])
        if name in _ADDRESS_PARAMETERS and _FORBIDDEN_IN_ADDRESSES.intersection(value):
            return ADDRESS_CHARACTERS.on(name)
    return None


def _parameters() -> list[tuple[str, str]]:
    params = [(k, v) for k, values in request.args.lists() for v in values]
    # Multipart bodies (complaint evidence) are parsed by their view under its own size
    # limit; parsing them here would apply the general one first.
    multipart = request.mimetype == "multipart/form-data"
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and not (request.is_json or multipart):
        params += [(k, v) for k, values in request.form.lists() for v in values]
    return params


def check_request():
    """``before_request``: refuse a request whose parameters break a limit."""
    protocol = _is_protocol()
    problem = problem_with(_parameters(), protocol)
    if problem is None:
        return None
    if protocol and not request.path.startswith(_BROWSER_PROTOCOL_PATHS):
        return jsonify(error="invalid_request", error_description=problem.code), 400
    return render_template("provider/message.html", problem=problem, restart=True), 400


class AsciiIntegerConverter(IntegerConverter):
    """``<int:...>`` in URLs, ASCII digits only: Werkzeug's own matches any Unicode digit
    (``/console/citizens/٢/lock`` would reach citizen 2 under a second address)."""

    regex = r"[0-9]+"


def use_ascii_integers(app: Flask) -> None:
    """Make ``int`` route parameters ASCII-only (before any route is added)."""
    app.url_map.converters["int"] = AsciiIntegerConverter


def init_app(app: Flask) -> None:
    """Check every request's parameters first (before CSRF and the views)."""
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
