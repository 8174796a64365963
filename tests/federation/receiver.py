"""A client's side on 127.0.0.1 for the federation tests: it records every request to its
callback, logout and back-channel URIs and answers 200."""

from __future__ import annotations

import threading

from werkzeug.wrappers import Request, Response


class Receiver:
    """The client's side on 127.0.0.1: records every request to its callback, logout and
    back-channel URIs, and answers 200."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            self.requests.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "args": request.args.to_dict(),
                    "form": request.form.to_dict(),
                    "content_type": request.content_type,
                }
            )
        return Response("ok", content_type="text/plain")(environ, start_response)

    def to(self, path: str) -> list[dict]:
        with self._lock:
            return [seen for seen in self.requests if seen["path"] == path]
