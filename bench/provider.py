"""The provider under test: production settings, ``idp serve`` (granian) with one worker
pinned to CPU 0, reached directly and behind nginx as production deploys it (``--front``
picks either or both: with both, one provider answers on two addresses)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import redis

from bench.front import NginxFront
from bench.postgres import BenchDatabase
from bench.processes import SERVER_CPU, ChildProcess, children_of, free_port, pinned
from bench.sms_inbox import SmsInbox

ROOT = Path(__file__).resolve().parent.parent
# The run's keys live under a prefix of their own; BENCH_REDIS_URL picks another Redis
# database (or server) for a machine whose db 0 is in use.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
# Every request of the benchmark comes from 127.0.0.1, so the per-IP limits (which stay
# on, with their Redis round trips) are raised out of the way: the rate limits, and the
# SMS-pumping caps per IP, per network and for the whole provider. The caps per phone and
# per identity number stay as they are; the login driver keeps under them.
UNLIMITED = "1000000/minute"
SHARED_CAPS = (
    "OTP_SENDS_PER_IP_PER_HOUR",
    "OTP_SENDS_PER_PREFIX_PER_HOUR",
    "OTP_SENDS_GLOBAL_PER_MINUTE",
)


@dataclass
class SeededProvider:
    """What the seed created: the client's credentials and the citizens' user names."""

    client_id: str
    client_secret: str
    password: str
    citizens: list[dict]


class ProviderUnderTest:
    """``idp serve`` with IDP_ENV=production on a fresh PostgreSQL database and Redis prefix."""

    name = "provider"

    def __init__(
        self,
        workdir: Path,
        sms: SmsInbox,
        sms_token: str,
        database: BenchDatabase,
        workers: int = 1,
        threads: int = 1,
        front: str = "nginx",
    ):
        self.workdir = workdir
        self.workers = workers
        self.threads = threads
        self.port = free_port()
        self.direct_url = f"http://127.0.0.1:{self.port}"
        self.front = NginxFront(workdir, self.port) if front in ("nginx", "both") else None
        self.base_url = self.front.base_url if self.front else self.direct_url
        self.redis_prefix = f"bench:{secrets.token_hex(4)}:"
        self.env = self._environment(sms, sms_token, database)
        self.process: ChildProcess | None = None

    def _environment(self, sms: SmsInbox, sms_token: str, database: BenchDatabase) -> dict:
        from idp.settings import DEFAULTS

        env = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")}
        env.update(
            IDP_ENV="production",
            IDP_ISSUER="https://id.dichvucong.bench.invalid",
            SECRET_KEY=secrets.token_urlsafe(48),
            DATABASE_URL=database.sqlalchemy_url,
            REDIS_URL=REDIS_URL,
            REDIS_PREFIX=self.redis_prefix,
            IDP_KEYS_DIR=str(self.workdir / "keys"),
            SMS_BACKEND="http",
            SMS_HTTP_URL=f"{sms.url}/sms",
            SMS_HTTP_TOKEN=sms_token,
            SUBSCRIBER_CHECK="http",
            SUBSCRIBER_HTTP_URL=f"{sms.url}/subscriber",
            SUBSCRIBER_HTTP_TOKEN=sms_token,
            # The sink's certificate comes from the run's throw-away CA (bench.local_ca);
            # the gateway clients use requests, which trusts this bundle instead of certifi.
            REQUESTS_CA_BUNDLE=str(sms.ca_path),
            # Secure cookies as in production; the bench's browsers send them back over
            # http://127.0.0.1 as browsers do to the TLS terminator (bench.loopback_cookies).
            SESSION_COOKIE_SECURE="true",
            METRICS_ALLOWED_IPS="127.0.0.1",
            # Codes are minted before the load starts; they must outlive the minting.
            AUTH_CODE_SECONDS="600",
            GRANIAN_WORKERS=str(self.workers),
            GRANIAN_BLOCKING_THREADS=str(self.threads),
        )
        if self.front:
            env["TRUSTED_PROXIES"] = "127.0.0.1"  # believe nginx's X-Forwarded-For
        for name, default in DEFAULTS.items():
            if name.startswith("RATE_LIMIT_") and isinstance(default, str):
                env[name] = UNLIMITED
            elif name in SHARED_CAPS:
                env[name] = "1000000"
        return env

    def seed(self, citizens: int, redirect_uri: str) -> SeededProvider:
        """Tables, keys, the bench client and ``citizens`` accounts in the fresh database."""
        argv = [sys.executable, "-m", "bench.provider_seed", "--citizens", str(citizens)]
        argv += ["--redirect-uri", redirect_uri]
        done = subprocess.run(argv, env=self.env, cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"seeding the provider failed:\n{done.stderr[-3000:]}")
        return SeededProvider(**json.loads(done.stdout.strip().splitlines()[-1]))

    def start(self) -> None:
        """``idp serve`` (granian, webapp.server), its workers pinned to the server CPU."""
        idp = str(Path(sys.executable).with_name("idp"))
        argv = [idp, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        argv += ["--workers", str(self.workers)]
        self.process = ChildProcess(
            "provider", pinned(argv, SERVER_CPU), self.env, self.workdir / "provider.log"
        )
        self.process.wait_until_serving(self.direct_url + "/.well-known/openid-configuration")
        if self.front:
            self.front.start()

    def worker_pids(self) -> list[int]:
        """The granian workers' pids (the main process is the one we started), then nginx's
        worker, whose CPU time is spent for the provider on the same core."""
        workers = children_of(self.process.pid)
        if len(workers) != self.workers:
            raise RuntimeError(f"expected {self.workers} granian worker(s), found {workers}")
        return workers + (self.front.worker_pids() if self.front else [])

    def url_for(self, front: str) -> str:
        """Where the load goes for ``front``: nginx's address, or the server's own."""
        return self.front.base_url if front == "nginx" else self.direct_url

    def pids_for(self, front: str) -> list[int]:
        """The processes whose CPU the provider spends on ``front``: its workers, plus
        nginx's worker when nginx is in front."""
        pids = self.worker_pids()
        if front == "nginx" or self.front is None:
            return pids
        return [pid for pid in pids if pid not in self.front.worker_pids()]

    def stop(self) -> None:
        if self.front is not None:
            self.front.stop()
        if self.process is not None:
            self.process.stop()
        # Only this run's keys: its prefix, and the rate limiter's keys under that prefix.
        client = redis.Redis.from_url(REDIS_URL)
        for pattern in (f"{self.redis_prefix}*", f"LIMITS:LIMITER/{self.redis_prefix}*"):
            keys = list(client.scan_iter(match=pattern, count=1000))
            for start in range(0, len(keys), 1000):
                client.delete(*keys[start : start + 1000])
