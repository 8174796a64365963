"""The request id: one per request, on every response's ``X-Request-Id``, in ``g``.

``RequestIdLayer`` is the outermost WSGI layer, so the id is chosen before anything can
answer: the precomputed discovery and JWKS responses (``idp.oidc.published_documents``)
and a ``before_request`` hook that refuses a request (``idp.abuse.input_limits``) never
reach Flask's ``after_request``, and their access-log lines had no id. The id is the
incoming ``X-Request-Id`` (nginx sets one) when it is well formed, else a random one; the
logs (``webapp.logging_setup``) and the audit trail read it from ``g.request_id``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable

from flask import Flask, g, request

HEADER = "X-Request-Id"
ENVIRON_KEY = "idp.request_id"
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def choose_request_id(incoming: str | None) -> str:
    """The incoming id if it is well formed (it is logged and echoed), else a new one."""
    if incoming and _WELL_FORMED.match(incoming):
        return incoming
    return secrets.token_hex(8)


class RequestIdLayer:
    """WSGI middleware: choose the id and put it on the response, whoever answers."""

    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request_id = choose_request_id(environ.get("HTTP_X_REQUEST_ID"))
        environ[ENVIRON_KEY] = request_id

        def start(status: str, headers: list[tuple[str, str]], exc_info=None):
            headers = [(k, v) for k, v in headers if k.lower() != HEADER.lower()]
            headers.append((HEADER, request_id))
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def _bind_request_id() -> None:
    # Without the layer (a bare test request context) the header is checked here.
    g.request_id = request.environ.get(ENVIRON_KEY) or choose_request_id(
        request.headers.get(HEADER)
    )


def init_app(app: Flask) -> None:
    """Wrap the app (call last: outermost) and bind the id before every other hook."""
    app.before_request_funcs.setdefault(None, []).insert(0, _bind_request_id)
    app.wsgi_app = RequestIdLayer(app.wsgi_app)
