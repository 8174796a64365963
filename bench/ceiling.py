"""The stack's own ceiling: what a Flask view that does nothing reaches on the same core.

The provider's token, introspection and userinfo paths are Flask views behind granian
(and nginx). To tell the provider's own cost from the cost of the stack it is built on,
the run also measures ``app`` below, a view that answers a constant token response with no
client check, no database, no Redis and no signing, under ``idp serve``'s own command line
(``idp.server.granian_command``, the layers of ``idp.server.served``, the JSON access log
included), the same front, the same CPU pin and the same load. No provider path built on
this stack can be faster than this figure.

The same view can also be measured under other WSGI servers (``CANDIDATES``), each pinned
to the same CPU with the same load, to see what the server itself costs::

    python -m bench.ceiling --candidates [--front none|nginx] [--seconds 10] [--warmup 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from flask import Flask, jsonify

from bench.front import NginxFront
from bench.load import LoadResult, LoadShape, http_request, run_wrk
from bench.processes import SERVER_CPU, ChildProcess, free_port, pinned
from idp.server import granian_command, served

ROOT = Path(__file__).resolve().parent.parent
PATH = "/oauth2/token"
# Servers the ceiling can be measured under; the first is ``idp serve``'s own. The gunicorn
# ones run what ``idp serve`` ran before (bench/gunicorn.conf.py, gunicorn from the bench extra).
CANDIDATES = ("granian-wsgi", "gunicorn-gthread", "gunicorn-sync")
# The server `idp serve` runs in production, one of CANDIDATES.
PRODUCTION_SERVER = CANDIDATES[0]

app = Flask(__name__)


@app.post(PATH)
def constant_token():
    response = jsonify(access_token="x" * 43, token_type="Bearer", expires_in=3600)
    response.headers["Cache-Control"] = "no-store"
    return response


#: ``app`` wrapped as ``idp.wsgi`` wraps the provider (access log, environment filter).
logged_app = served(app)


def server_argv(server: str, port: int, threads: int) -> tuple[list[str], dict[str, str]]:
    """The command line and extra environment that serve ``app`` on ``port`` with one
    worker under ``server`` (one of ``CANDIDATES``); ``threads`` where the server has them.

    granian runs ``idp serve``'s command line (``granian_command``) on ``logged_app``, the
    app in the provider's access log; both gunicorn candidates read bench/gunicorn.conf.py,
    whose logger writes the same JSON line. Every candidate logs each request.
    """
    bindir = Path(sys.executable).parent
    if server in ("gunicorn-gthread", "gunicorn-sync"):
        argv = [str(bindir / "gunicorn"), "-c", str(ROOT / "bench" / "gunicorn.conf.py")]
        argv += ["--bind", f"127.0.0.1:{port}", "--workers", "1"]
        if server == "gunicorn-sync":
            # gunicorn turns a sync worker with more than one thread into gthread.
            argv += ["--worker-class", "sync", "--threads", "1"]
            env = {"GUNICORN_THREADS": "1"}
        else:  # gthread as soon as threads > 1, like ``idp serve``
            env = {"GUNICORN_THREADS": str(threads)}
        return [*argv, "bench.ceiling:app"], env
    if server == "granian-wsgi":
        base = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")}
        argv, env = granian_command(
            "bench.ceiling:logged_app", "127.0.0.1", port, 1, threads, environ=base
        )
        return argv, {k: v for k, v in env.items() if os.environ.get(k) != v}
    raise ValueError(f"unknown server {server!r}; one of {', '.join(CANDIDATES)}")


def measure_ceiling(
    workdir: Path,
    threads: int,
    front: str,
    shape: LoadShape,
    warmup: float,
    server: str = CANDIDATES[0],
) -> LoadResult:
    """Start ``app`` like the provider (pinned, ``idp serve``'s server), load it, stop it.

    ``server`` picks another of ``CANDIDATES`` for the same pin, front and load.
    """
    port = free_port()
    argv, extra = server_argv(server, port, threads)
    env = {**os.environ, **extra}
    folder = workdir / "ceiling" / server
    folder.mkdir(parents=True, exist_ok=True)
    server_process = ChildProcess(server, pinned(argv, SERVER_CPU), env, folder / "server.log")
    nginx = NginxFront(folder, port) if front == "nginx" else None
    try:
        server_process.wait_until_serving(f"http://127.0.0.1:{port}{PATH}", method="POST")
        if nginx:
            nginx.start(probe=PATH, method="POST")
        base = nginx.base_url if nginx else f"http://127.0.0.1:{port}"
        body = b"grant_type=client_credentials"
        raw = http_request(
            "POST",
            base + PATH,
            {"Content-Type": "application/x-www-form-urlencoded"},
            body,
        )
        if warmup > 0:
            run_wrk(base, [raw], LoadShape(shape.connections, shape.threads, warmup))
        return run_wrk(base, [raw], shape)
    finally:
        if nginx:
            nginx.stop()
        server_process.stop()


def candidates_table(results: dict[str, LoadResult | str]) -> str:
    """A Markdown table of each candidate's ceiling (or why it was not measured)."""
    lines = ["| server | req/s | p50 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|"]
    for server, result in results.items():
        if isinstance(result, str):
            reason = result.replace("\n", " ").replace("|", "/")
            lines.append(f"| {server} | not measured: {reason} | | | |")
        else:
            lines.append(
                f"| {server} | {result.ok_per_second:,.0f} | {result.p50_ms:.2f} "
                f"| {result.p99_ms:.2f} | {result.errors} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__)
    parser.add_argument("--candidates", action="store_true", help="measure every candidate")
    parser.add_argument("--server", choices=CANDIDATES, action="append", help="measure these")
    parser.add_argument("--front", choices=("none", "nginx"), default="none")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--server-threads", type=int, default=4)
    options = parser.parse_args(argv)
    servers = list(CANDIDATES) if options.candidates else options.server or [CANDIDATES[0]]
    shape = LoadShape(options.connections, options.wrk_threads, options.seconds)
    results: dict[str, LoadResult | str] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ceiling-") as workdir:
        for server in servers:
            print(f"measuring {server} (front {options.front}) ...", file=sys.stderr, flush=True)
            try:
                results[server] = measure_ceiling(
                    Path(workdir),
                    options.server_threads,
                    options.front,
                    shape,
                    options.warmup,
                    server,
                )
            except Exception as exc:  # the other candidates stand without it
                results[server] = f"{type(exc).__name__}: {exc}"[:200]
    print(candidates_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
