"""JSON from the provider, parsed within limits: size and nesting depth.

Python's parser recurses once per nested array or object, so a deeply nested answer
(discovery, JWK Set, token, userinfo) made it raise ``RecursionError``. ``loads`` scans
first (linear, no recursion) and refuses with ``JsonRefused`` (a ``ValueError``).
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 16
MAX_BYTES = 65536
_TOKEN = re.compile(r'"(?:[^"\\]+|\\.)*"?|[\[\]{}]', re.S)


class JsonRefused(ValueError):
    """JSON that is not parsed: too large, too deeply nested, or not valid."""


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


def loads(data: str | bytes, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES) -> Any:
    """Parse ``data`` as JSON within the limits; ``JsonRefused`` says what is wrong."""
    if len(data) > max_bytes:
        raise JsonRefused(f"The JSON is larger than {max_bytes} bytes.")
    try:
        text = data if isinstance(data, str) else bytes(data).decode(json.detect_encoding(data))
    except (UnicodeDecodeError, LookupError):
        raise JsonRefused("The JSON is not valid UTF-8.") from None
    if nesting_depth(text) > max_depth:
        raise JsonRefused(f"The JSON nests arrays and objects deeper than {max_depth} levels.")
    try:
        return json.loads(text)
    except ValueError:
        raise JsonRefused("The JSON is not valid.") from None
