"""Where the provider's time goes on a path: py-spy samples of its worker, summarised.

py-spy samples the server's worker (granian, ``idp serve``) from the generator's CPU while
load runs. A worker of several threads (production's) is sampled on its CPU only: while one
thread waits on PostgreSQL or Redis another runs, so the waits cost no throughput and the
profile shows where the CPU goes. A worker of one thread is sampled with ``--idle``, since
its waits are what bound it. A sample belongs to a request when granian's WSGI runner (or
the provider's access log sending the body; gunicorn's ``handle`` in older recordings) is
on its stack; the rest is the worker waiting for the next request. HTTP parsing and
sending happen in granian's Rust code, outside Python: py-spy does not see them. Each
sample is charged to the package of its innermost Python frame (time in C extensions lands
on the Python frame that called them).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.processes import GENERATOR_CPU, pinned

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
REPO = str(Path(__file__).resolve().parent.parent) + "/"
STDLIB_MARK = "/lib/python3."
# (function, package) pairs whose presence on a stack marks a sample as inside a request.
REQUEST_FRAMES = {("handle", "gunicorn"), ("_runner", "granian"), ("__iter__", "idp")}
LIMITER = ("flask_limiter", "limits")


@dataclass
class Profile:
    """A summary of one path's samples."""

    samples: int
    in_requests: int
    by_package: list[tuple[str, float]] = field(default_factory=list)
    top_self: list[tuple[str, float]] = field(default_factory=list)
    top_app: list[tuple[str, float]] = field(default_factory=list)
    by_cost: list[tuple[str, float]] = field(default_factory=list)


class Recording:
    """A py-spy recording of ``pid`` running in the background for ``seconds``."""

    def __init__(self, pid: int, seconds: float, output: Path, idle: bool = True):
        self.output = output
        spy = str(Path(sys.executable).with_name("py-spy"))
        argv = [spy, "record", "--pid", str(pid), "--duration", str(max(int(seconds), 1))]
        argv += ["--rate", "200", "--full-filenames", "--format", "raw"]
        argv += ["--idle"] if idle else []
        argv += ["--output", str(output)]
        self.process = subprocess.Popen(
            pinned(argv, GENERATOR_CPU), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def summary(self) -> Profile:
        """Wait for py-spy to finish and summarise what it wrote."""
        _, err = self.process.communicate(timeout=120)
        if self.process.returncode != 0 or not self.output.exists():
            raise RuntimeError(f"py-spy failed: {err.decode(errors='replace')[-500:]}")
        return summarise(self.output.read_text())


def _place(path: str) -> str:
    """A short, readable location: repo-relative, package-relative or stdlib module."""
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1]
    if path.startswith(REPO):
        return path[len(REPO) :]
    if STDLIB_MARK in path:
        return path.split(STDLIB_MARK, 1)[1].split("/", 1)[-1]
    return path


def _package(place: str) -> str:
    head = place.split("/", 1)[0]
    return head.removesuffix(".py")


def _frames(stack: str) -> list[tuple[str, str]]:
    frames = []
    for raw in stack.split(";"):
        match = FRAME.match(raw.strip())
        if match:
            frames.append((match["function"], _place(match["file"])))
    return frames


Frames = list[tuple[str, str]]


def _calls(frames: Frames, *names: str) -> bool:
    return any(function.rsplit(".", 1)[-1] in names for function, _ in frames)


def _within(frames: Frames, *packages: str) -> bool:
    return any(_package(place) in packages for _, place in frames)


def _innermost_in(frames: Frames, *packages: str) -> bool:
    return _package(frames[-1][1]) in packages


def _in_rate_limiter(frames: Frames) -> bool:
    """Inside Flask-Limiter's own work, not inside the view it wraps."""
    limiter = [i for i, (_, place) in enumerate(frames) if _package(place) in LIMITER]
    if not limiter:
        return False
    beneath = frames[limiter[-1] + 1 :]
    return not any(_package(place) in ("idp", "authlib", "flask") for _, place in beneath)


def _in_access_log(frames: Frames) -> bool:
    """Writing the JSON access line (``AccessLog.log``; gunicorn's ``access`` before)."""
    return any(
        function.rsplit(".", 1)[-1] in ("log", "access")
        and place.endswith(("webapp/logging_setup.py", "bench/gunicorn_logger.py"))
        for function, place in frames
    )


# What a sample was spent on; the first rule that matches its stack wins.
COSTS: list[tuple[str, Callable[[Frames], bool]]] = [
    ("argon2id password hashing", lambda f: _within(f, "argon2")),
    ("PostgreSQL: COMMIT (waits for the WAL flush)", lambda f: _calls(f, "do_commit")),
    ("PostgreSQL: pool pre-ping (SELECT 1)", lambda f: _calls(f, "do_ping")),
    ("PostgreSQL: ROLLBACK at request end", lambda f: _calls(f, "do_rollback")),
    ("PostgreSQL: queries (driver)", lambda f: _innermost_in(f, "psycopg")),
    ("SQLAlchemy (ORM and SQL compilation)", lambda f: _innermost_in(f, "sqlalchemy")),
    ("rate limiting (Flask-Limiter and its Redis)", _in_rate_limiter),
    ("Redis round trips (flows, codes, sessions)", lambda f: _innermost_in(f, "redis")),
    ("SMS gateway (HTTP)", lambda f: _calls(f, "send") and _within(f, "requests")),
    ("JWS signing (RSA)", lambda f: _calls(f, "sign", "sign_compact")),
    ("access log (JSON)", lambda f: _in_access_log(f)),
    ("granian: WSGI environ and response (Python side)", lambda f: _innermost_in(f, "granian")),
    ("gunicorn: accept, parse, send, close", lambda f: _innermost_in(f, "gunicorn")),
    ("Jinja2 templates", lambda f: _within(f, "jinja2")),
    ("everything else (Flask, Werkzeug, Authlib, app code)", lambda f: True),
]


def _cost(frames: Frames) -> str:
    return next(name for name, matches in COSTS if matches(frames))


def _application_frames(frames: Frames) -> set[str]:
    """The provider's and Authlib's frames, leaving out WSGI layers wrapped around Flask."""
    flask_at = [i for i, (function, _) in enumerate(frames) if function == "Flask.wsgi_app"]
    inner = frames[flask_at[-1] :] if flask_at else frames
    return {f"{fn} ({pl})" for fn, pl in inner if pl.startswith(("idp/", "authlib/"))}


def _top(counter: Counter, total: int, limit: int) -> list[tuple[str, float]]:
    return [(name, count / total) for name, count in counter.most_common(limit)] if total else []


def summarise(raw: str, limit: int = 8) -> Profile:
    """Shares of the in-request samples by package, by innermost frame, by app function."""
    samples = in_requests = 0
    packages: Counter = Counter()
    leaves: Counter = Counter()
    app: Counter = Counter()
    costs: Counter = Counter()
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        frames = _frames(stack)
        if not any(
            (function.rsplit(".", 1)[-1], _package(place)) in REQUEST_FRAMES
            for function, place in frames
        ):
            continue
        in_requests += count
        function, place = frames[-1]
        costs[_cost(frames)] += count
        packages[_package(place)] += count
        leaves[f"{function} ({place})"] += count
        for name in _application_frames(frames):
            app[name] += count
    return Profile(
        samples=samples,
        in_requests=in_requests,
        by_package=_top(packages, in_requests, limit),
        top_self=_top(leaves, in_requests, limit),
        top_app=_top(app, in_requests, limit + 4),
        by_cost=_top(costs, in_requests, len(COSTS)),
    )
