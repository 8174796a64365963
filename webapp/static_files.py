"""Static files (provider and portal): fingerprinted URLs cached for a year, and the icon
browsers ask for at ``/favicon.ico``.

``url_for('static', filename=...)`` adds ``v=<the file's SHA-256, 12 hex digits>``; a
request carrying the file's current fingerprint is answered with ``Cache-Control: public,
max-age=31536000, immutable``, because a changed file gets a new URL. Without it (or with
a stale one) the answer is ``no-cache``: the browser revalidates with the ETag.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, current_app, request, send_from_directory

FINGERPRINT = "v"
FINGERPRINT_LENGTH = 12
CACHE_FOREVER = "public, max-age=31536000, immutable"
CACHE_ICON = "public, max-age=86400"
ICON = "favicon.ico"

# (path, size, mtime) -> fingerprint: recomputed only when the file changes.
_fingerprints: dict[tuple[str, int, int], str] = {}
# (static folder, filename) -> fingerprint, outside debug mode: a deployment replaces the
# files and restarts the process, so a page need not stat each file it links to.
_settled: dict[tuple[str, str], str] = {}


def fingerprint(filename: str) -> str | None:
    """The fingerprint of ``filename`` under the app's static folder; None if missing."""
    if current_app.debug:
        return _fingerprint_now(filename)
    key = (current_app.static_folder or "", filename)
    found = _settled.get(key)
    if found is None:
        found = _fingerprint_now(filename)
        if found is not None:  # only files that exist: names from requests stay out
            _settled[key] = found
    return found


def _fingerprint_now(filename: str) -> str | None:
    folder = Path(current_app.static_folder or "")
    path = (folder / filename).resolve()
    if folder.resolve() not in path.parents or not path.is_file():
        return None
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _fingerprints:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        _fingerprints[key] = digest[:FINGERPRINT_LENGTH]
    return _fingerprints[key]


def _add_fingerprint(endpoint: str, values: dict) -> None:
    if endpoint == "static" and FINGERPRINT not in values and values.get("filename"):
        found = fingerprint(values["filename"])
        if found:
            values[FINGERPRINT] = found


def _cache_headers(response: Response) -> Response:
    if response.status_code not in (200, 304):
        return response
    if request.endpoint == "static":
        current = fingerprint((request.view_args or {}).get("filename", ""))
        fresh = current is not None and request.args.get(FINGERPRINT) == current
        response.headers["Cache-Control"] = CACHE_FOREVER if fresh else "no-cache"
    elif request.endpoint == "favicon":
        response.headers["Cache-Control"] = CACHE_ICON
    return response


def favicon() -> Response:
    """The emblem, where browsers look for a site's icon."""
    folder = current_app.static_folder or ""
    return send_from_directory(folder, ICON, mimetype="image/vnd.microsoft.icon")


def init_app(app: Flask) -> None:
    """Fingerprinted static URLs, their cache headers, and ``/favicon.ico``."""
    app.url_defaults(_add_fingerprint)
    app.after_request(_cache_headers)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
