"""Secrets never reach a log line: the values of sensitive parameters are blanked out.

Query strings and form bodies reach logs through request lines (werkzeug's development
server, HTTP client debug lines), error messages and anything a library prints. Rather
than trust every such place, ``install`` makes each log record redact itself when it is
created (before any handler, pytest's included, sees it), and ``RedactingFormatter``
redacts the formatted line too (tracebacks). A parameter is redacted wherever it appears
as ``name=value`` after ``?``, ``&``, ``;``, whitespace, a quote or the start of the text.
``state`` is not a secret and stays readable.
"""

from __future__ import annotations

import logging
import re

# Authorization codes, tokens, hints that identify the citizen, client credentials,
# passwords and OTPs, and the ids of self-service flows (bound to a browser).
SENSITIVE_PARAMETERS = (
    "code",
    "id_token_hint",
    "login_hint",
    "id_token",
    "access_token",
    "refresh_token",
    "token",
    "logout_token",
    "registration_access_token",
    "client_secret",
    "client_assertion",
    "assertion",
    "code_verifier",
    "password",
    "password_confirm",
    "current_password",
    "new_password",
    "otp",
    "recovery_code",
    "csrf_token",
    "flow",
    "login_flow",
    "registration",
)
REDACTED = "[redacted]"

_PATTERN = re.compile(
    r"(?P<lead>(?:^|[?&;\s\"'(]))(?P<name>"
    + "|".join(re.escape(name) for name in sorted(SENSITIVE_PARAMETERS, key=len, reverse=True))
    + r")=(?P<value>[^&;\s\"'\x1b)]*)",
    re.IGNORECASE,
)
# The same names as JSON members ("client_secret": "...") or in a logged dict's repr.
_MEMBER_PATTERN = re.compile(
    r"(?P<lead>(?P<q>[\"'])(?:"
    + "|".join(re.escape(name) for name in sorted(SENSITIVE_PARAMETERS, key=len, reverse=True))
    + r")(?P=q)\s*:\s*)(?P<v>[\"'])(?:(?!(?P=v))[^\\]|\\.)*(?P=v)",
    re.IGNORECASE,
)
_installed = False


def redact(text: str) -> str:
    """``text`` with the value of every sensitive ``name=value``, JSON
    ``"name": "value"`` or repr ``'name': 'value'`` replaced."""
    if "=" in text:
        text = _PATTERN.sub(lambda m: f"{m['lead']}{m['name']}={REDACTED}", text)
    if ":" in text:
        text = _MEMBER_PATTERN.sub(lambda m: f"{m['lead']}{m['v']}{REDACTED}{m['v']}", text)
    return text


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it to logging's own error report
        return record
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    return record


def install() -> None:
    """Make every log record of this process redact itself on creation (idempotent)."""
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        return _redact_record(make_record(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True


class RedactingFormatter(logging.Formatter):
    """A formatter whose whole output (tracebacks included) is redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
