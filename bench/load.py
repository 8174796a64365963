"""Fixed-concurrency HTTP load with wrk, pinned to the generator CPU.

Requests are built here as raw HTTP/1.1 and handed to ``wrk/requests.lua``, which sends
one request over and over, or a list of one-use requests (authorization codes) in order.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.processes import GENERATOR_CPU, pinned

LUA_SCRIPT = Path(__file__).resolve().parent / "wrk" / "requests.lua"


@dataclass
class LoadShape:
    """How hard and how long: open connections, wrk threads, seconds."""

    connections: int = 16
    threads: int = 1
    seconds: float = 10


@dataclass
class LoadResult:
    """One wrk run: completed responses, seconds, latency percentiles (ms) and errors."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors, timeouts and HTTP statuses >= 400
    status_errors: int  # the HTTP statuses >= 400 among ``requests``
    exhausted: int = 0

    @property
    def ok_per_second(self) -> float:
        """Successful responses (status < 400) per second."""
        ok = max(self.requests - self.status_errors, 0)
        return ok / self.seconds if self.seconds else 0.0


def http_request(
    method: str, url: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    """A raw HTTP/1.1 request for ``url`` (absolute), as wrk will send it."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def run_wrk(base_url: str, requests: list[bytes], shape: LoadShape) -> LoadResult:
    """Drive ``requests`` at ``base_url`` for ``shape.seconds``; wrk itself on the generator CPU."""
    if not requests or any(b"\0" in raw for raw in requests):
        raise ValueError("requests must be a non-empty list without NUL bytes")
    with tempfile.NamedTemporaryFile("wb", suffix=".http", delete=False) as handle:
        handle.write(b"\0".join(requests))
        request_file = handle.name
    argv = ["wrk", "-t", str(shape.threads), "-c", str(shape.connections)]
    # wrk takes whole seconds.
    argv += ["-d", f"{max(round(shape.seconds), 1)}s", "--timeout", "30s", "-s", str(LUA_SCRIPT)]
    argv += [base_url, "--", request_file, str(shape.threads)]
    try:
        done = subprocess.run(pinned(argv, GENERATOR_CPU), capture_output=True, text=True)
    finally:
        Path(request_file).unlink(missing_ok=True)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line.removeprefix("BENCH_JSON "))
            return LoadResult(
                requests=data["requests"],
                seconds=data["duration_us"] / 1e6,
                p50_ms=data["p50_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
                errors=sum(data["errors"].values()),
                status_errors=data["errors"]["status"],
                exhausted=data["exhausted"],
            )
    output = (done.stdout + done.stderr)[-2000:]
    raise RuntimeError(f"wrk gave no result (exit {done.returncode}):\n{output}")
