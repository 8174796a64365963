"""A WSGI app for the server tests: ``/slow?S`` answers after S seconds with the worker's
pid, anything else at once. Served with ``webapp.server.granian_command``, so the tests of
reload and shutdown run the production server with the production settings."""

import os
import time


def app(environ, start_response):
    if environ["PATH_INFO"] == "/slow":
        time.sleep(float(environ["QUERY_STRING"] or 1))
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
