"""The stack's own ceiling: what a Flask view that does nothing reaches on the same core.

The provider's token, introspection and userinfo paths are Flask views behind gunicorn
(and nginx). To tell the provider's own cost from the cost of the stack it is built on,
the run also measures ``app`` below, a view that answers a constant token response with no
client check, no database, no Redis and no signing, under the same gunicorn settings
(config/gunicorn.conf.py, its JSON access log included), the same front, the same CPU pin
and the same load. No provider path built on this stack can be faster than this figure.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from flask import Flask, jsonify

from bench.front import NginxFront
from bench.load import LoadResult, LoadShape, http_request, run_wrk
from bench.processes import SERVER_CPU, ChildProcess, free_port, pinned

ROOT = Path(__file__).resolve().parent.parent
PATH = "/oauth2/token"

app = Flask(__name__)


@app.post(PATH)
def constant_token():
    response = jsonify(access_token="x" * 43, token_type="Bearer", expires_in=3600)
    response.headers["Cache-Control"] = "no-store"
    return response


def measure_ceiling(
    workdir: Path, threads: int, front: str, shape: LoadShape, warmup: float
) -> LoadResult:
    """Start ``app`` like the provider (pinned, same gunicorn config), load it, stop it."""
    port = free_port()
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    argv = [gunicorn, "-c", str(ROOT / "config" / "gunicorn.conf.py")]
    argv += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "bench.ceiling:app"]
    env = {**os.environ, "GUNICORN_THREADS": str(threads)}
    folder = workdir / "ceiling"
    folder.mkdir(exist_ok=True)
    server = ChildProcess("ceiling", pinned(argv, SERVER_CPU), env, folder / "gunicorn.log")
    nginx = NginxFront(folder, port) if front == "nginx" else None
    try:
        server.wait_until_serving(f"http://127.0.0.1:{port}{PATH}", method="POST")
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
        server.stop()
