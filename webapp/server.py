"""The production server: granian's WSGI interface, for ``idp serve`` and ``idp portal``.

``granian_command`` builds the command line both use (one place, so provider and portal
run the same server with the same guarantees). Every setting is granian's own
``GRANIAN_*`` environment variable; we only give defaults where granian's differ from
what production needs:

- ``GRANIAN_WORKERS``: worker processes, one per CPU (``--workers`` overrides): each
  is one Python interpreter, and its threads cover the waits on PostgreSQL and Redis;
  ``GRANIAN_BLOCKING_THREADS``: Python threads per worker that run requests, 4.
- ``GRANIAN_WORKERS_KILL_TIMEOUT``: on SIGTERM (and when a worker is replaced) a worker
  finishes its requests for up to 20 s, then is killed.
- ``GRANIAN_RESPAWN_FAILED_WORKERS``: a worker that dies is started again.
- ``GRANIAN_WORKERS_LIFETIME`` / ``GRANIAN_WORKERS_MAX_RSS``: recycle workers after a time
  or above a memory size (unset: never).
- ``GRANIAN_HTTP1_BUFFER_SIZE``: request line and headers must fit in 64 KiB (larger gets
  a 431 answer); ``GRANIAN_HTTP1_HEADER_READ_TIMEOUT``: 5 s to send them, which is
  also how long an idle keep-alive connection stays open (gunicorn's keepalive was 5 s).
- ``GRANIAN_BACKLOG``: pending connections the kernel holds, 1024.

The WSGI entry points wrap the app in ``served``: our access log
(``webapp.logging_setup.AccessLog``; granian's is off) and ``ProcessEnvironmentFilter``.
granian's own lines are JSON (``config/granian-logging.json``). SIGHUP replaces the
workers one by one (``kill -HUP <pid of idp serve>``).

``PROMETHEUS_MULTIPROC_DIR`` is emptied here, before the server starts: values of a
previous run must not add up. Workers that die later leave their counters, which keep
counting in the totals (there are no gauges, whose dead values would need removing).
"""

from __future__ import annotations

import glob
import multiprocessing
import os
import sys
from collections.abc import Mapping
from typing import Any

from webapp import ROOT
from webapp.logging_setup import AccessLog

#: Defaults for granian's own variables (an operator's value wins).
DEFAULTS = {
    "GRANIAN_BLOCKING_THREADS": "4",
    "GRANIAN_WORKERS_KILL_TIMEOUT": "20",
    "GRANIAN_RESPAWN_FAILED_WORKERS": "true",
    "GRANIAN_HTTP1_BUFFER_SIZE": str(64 * 1024),
    "GRANIAN_HTTP1_HEADER_READ_TIMEOUT": "5000",
    "GRANIAN_BACKLOG": "1024",
}

#: gunicorn's variables of earlier releases: refused rather than silently ignored.
RENAMED = {
    "GUNICORN_WORKERS": "GRANIAN_WORKERS",
    "GUNICORN_THREADS": "GRANIAN_BLOCKING_THREADS",
    "GUNICORN_TIMEOUT": "GRANIAN_WORKERS_KILL_TIMEOUT (granian has no per-request timeout)",
}

LOG_CONFIG = ROOT / "config" / "granian-logging.json"


class ServerSettingsError(RuntimeError):
    """A server setting that is no longer read; the message says which to set instead."""


def default_workers() -> int:
    """One worker process per CPU (granian warns about more workers than cores)."""
    return multiprocessing.cpu_count()


def granian_command(
    target: str,
    host: str,
    port: int,
    workers: int | None = None,
    threads: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that run ``target`` (``module:app``) under granian.

    ``workers`` and ``threads`` override ``GRANIAN_WORKERS`` and
    ``GRANIAN_BLOCKING_THREADS``. Raises ``ServerSettingsError`` for a gunicorn variable.
    """
    env = dict(os.environ if environ is None else environ)
    for old, new in RENAMED.items():
        if env.get(old):
            raise ServerSettingsError(f"{old} is no longer read: the server is granian, set {new}")
    for name, value in DEFAULTS.items():
        env.setdefault(name, value)
    env.setdefault("GRANIAN_WORKERS", str(default_workers()))
    if workers:
        env["GRANIAN_WORKERS"] = str(workers)
    if threads:
        env["GRANIAN_BLOCKING_THREADS"] = str(threads)
    argv = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--no-ws",
        "--http",
        "1",
        "--no-access-log",
        "--log-config",
        str(LOG_CONFIG),
        target,
    ]
    return argv, env


def clear_metrics_folder(environ: Mapping[str, str]) -> None:
    """Start with an empty ``PROMETHEUS_MULTIPROC_DIR`` (created if missing)."""
    folder = environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for stale in glob.glob(os.path.join(folder, "*.db")):
            os.unlink(stale)


def exec_server(argv: list[str], env: dict[str, str]) -> None:
    """Replace this process with the server (its pid is the one to signal)."""
    clear_metrics_folder(env)
    os.execve(argv[0], argv, env)  # noqa: S606 - replaces this process


# Keys a WSGI server sets from the request (PEP 3333, CGI): never taken for the process's.
_REQUEST_KEYS = frozenset(
    (
        "REQUEST_METHOD",
        "SCRIPT_NAME",
        "PATH_INFO",
        "QUERY_STRING",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "SERVER_SOFTWARE",
        "REMOTE_ADDR",
        "REMOTE_PORT",
        "GATEWAY_INTERFACE",
        "RAW_URI",
    )
)


class ProcessEnvironmentFilter:
    """WSGI middleware: take the server process's environment back out of each request.

    granian 2.8 starts every request's WSGI environ from a copy of ``os.environ``, so
    ``SECRET_KEY``, ``DATABASE_URL`` and the rest sit in ``request.environ``, and a process
    variable named ``HTTP_*`` reads as a header the client never sent (``HTTP_X_REQUEST_ID``
    would become every request's id). Each such key whose value is still the process's is
    removed before the app sees the request (a header that happens to carry the same value
    goes with it; the request keys of PEP 3333 are left alone).
    """

    def __init__(self, app: Any, environ: Mapping[str, str] | None = None):
        self.app = app
        process = os.environ if environ is None else environ
        self.process = tuple((k, v) for k, v in process.items() if k not in _REQUEST_KEYS)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        for key, value in self.process:
            if environ.get(key) == value:
                del environ[key]
        return self.app(environ, start_response)


def served(app: Any) -> Any:
    """``app`` as the server runs it (``idp.wsgi``, ``portal.wsgi``): without the process
    environment in its requests, with the JSON access log."""
    return ProcessEnvironmentFilter(AccessLog(app))
