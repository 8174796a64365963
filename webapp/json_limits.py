"""JSON from outside, parsed within limits: nesting depth and size.

Python's parser recurses once per nested array or object, so a few kilobytes of ``[``
raised ``RecursionError`` (a 500) wherever a request's JSON was parsed. ``loads`` checks
the size and the nesting depth first (a linear scan, no recursion) and refuses with
``JsonRefused``, a ``ValueError`` whose message is safe to show a client. Every JSON the
provider and the portal read from a request or a remote service goes through it: request
bodies (``BoundedJsonProvider`` is the apps' ``app.json``; registration and RFC 7592),
the ``claims`` parameter, client assertion payloads, a client's ``jwks_uri``, a sector
identifier document and the carrier API's answers.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

MAX_DEPTH = 16
MAX_BYTES = 65536
# A JSON string (escapes included; unterminated ones run to the end, so the scan never
# backtracks: linear in the length) or a bracket. Brackets inside strings are text.
_TOKEN = re.compile(r'"(?:[^"\\]+|\\.)*"?|[\[\]{}]', re.S)


class JsonRefused(ValueError):
    """JSON that is not parsed: too large, too deeply nested, or not valid."""


def _text(data: str | bytes | bytearray) -> str:
    if isinstance(data, str):
        return data
    try:
        return bytes(data).decode(json.detect_encoding(data))
    except (UnicodeDecodeError, LookupError):
        raise JsonRefused("The JSON is not valid UTF-8.") from None


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (0 for a scalar)."""
    depth = deepest = 0
    for token in _TOKEN.findall(text):
        if token in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in ("]", "}"):
            depth -= 1
    return deepest


def loads(
    data: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES
) -> Any:
    """Parse ``data`` as JSON within the limits; ``JsonRefused`` says what is wrong."""
    if len(data) > max_bytes:
        raise JsonRefused(f"The JSON is larger than {max_bytes} bytes.")
    text = _text(data)
    if nesting_depth(text) > max_depth:
        raise JsonRefused(f"The JSON nests arrays and objects deeper than {max_depth} levels.")
    try:
        return json.loads(text)
    except ValueError:
        raise JsonRefused("The JSON is not valid.") from None


class BoundedJsonProvider(DefaultJSONProvider):
    """Flask's JSON provider with ``loads`` bounded (``request.get_json`` uses it)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)


class JsonBodyRefused(BadRequest):
    """A 400 for a JSON request body ``loads`` refused; its description says why."""


class BoundedJsonRequest(Request):
    """Flask's request, keeping the reason a JSON body was refused (Flask drops it)."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, JsonRefused):
            raise JsonBodyRefused(str(e))
        return super().on_json_loading_failed(e)


def init_app(app: Flask) -> None:
    """Make every ``request.get_json`` bounded, its refusals a ``JsonBodyRefused``."""
    app.json = BoundedJsonProvider(app)
    app.request_class = BoundedJsonRequest
