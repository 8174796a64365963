"""Two provider replicas as real OS processes (``idp serve``: granian) on 127.0.0.1.

They share one PostgreSQL database (created empty for the run, migrated with
``idp db upgrade``, dropped after), one Redis (under a random key prefix), one signing-key
folder and one SMS outbox, exactly as replicas behind a load balancer do. Set up is done
with the console script too: ``idp keys generate``, ``idp clients create``,
``idp citizens create``.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg
import requests
from sqlalchemy.engine import make_url

from tests.live import free_port

ROOT = Path(__file__).resolve().parents[2]
IDP = str(Path(sys.executable).parent / "idp")
START_SECONDS = 45  # the longest a replica may take to become ready


def idp_command(env: dict[str, str], *args: str) -> str:
    """Run one ``idp`` console command; its standard output."""
    done = subprocess.run(
        [IDP, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise AssertionError(f"idp {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


class TemporaryDatabase:
    """An empty PostgreSQL database on the server of ``server_url``, dropped on ``drop``."""

    def __init__(self, server_url: str, prefix: str):
        url = make_url(server_url)
        self._conninfo = {
            "host": url.host or "127.0.0.1",
            "port": url.port or 5432,
            "user": url.username or "postgres",
            "password": url.password or None,
            "dbname": "postgres",
            "connect_timeout": 5,
        }
        self.name = f"{prefix}_{secrets.token_hex(4)}"
        with psycopg.connect(**self._conninfo, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        self.url = url.set(database=self.name).render_as_string(hide_password=False)

    def drop(self) -> None:
        with psycopg.connect(**self._conninfo, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@dataclass
class Replica:
    """One ``idp serve`` process (granian's main process and its workers, one process group)."""

    name: str
    env: dict[str, str]
    log_path: Path
    workers: int = 2

    def __post_init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> Replica:
        env = {**self.env, "PROMETHEUS_MULTIPROC_DIR": str(self.log_path.parent / self.name)}
        command = [IDP, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--workers", str(self.workers)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as one below
            )
        try:
            self._wait_ready()
        except AssertionError:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"replica {self.name} exited:\n{self.log_tail()}")
            with suppress(requests.RequestException):
                if requests.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"replica {self.name} not ready in time:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@dataclass
class Cluster:
    """Everything the replica tests need: the two replicas, a client, two citizens."""

    a: Replica
    b: Replica
    client: dict
    citizens: list[dict]
    outbox_path: Path

    def last_otp(self, phone_e164: str) -> str:
        import re

        for line in reversed(self.outbox_path.read_text().splitlines()):
            message = json.loads(line)
            if message["to"] == phone_e164:
                return re.findall(r"(?<!\d)\d{6}(?!\d)", message["text"])[0]
        raise AssertionError(f"no SMS to {phone_e164}")


def replica_env(database_url: str, redis_url: str, workdir: Path) -> dict[str, str]:
    """The environment both replicas (and the set-up commands) run with."""
    return {
        **os.environ,
        "IDP_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": f"replicas:{secrets.token_hex(4)}:",
        "IDP_KEYS_DIR": str(workdir / "keys"),
        "SMS_BACKEND": "outbox",
        "SMS_OUTBOX_PATH": str(workdir / "outbox.jsonl"),
        # Every test poses as its own client behind the load balancer (X-Forwarded-For).
        "TRUSTED_PROXIES": "127.0.0.1",
        "RATE_LIMIT_LOGIN_PASSWORD": "4/hour",
        # The replicas run the code under test (this checkout), whatever is installed.
        "PYTHONPATH": str(ROOT),
    }
