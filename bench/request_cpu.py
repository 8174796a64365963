"""CPU time per request, step by step, for a full login and the protocol paths.

``python -m bench.request_cpu`` runs the provider in this process (production's argon2id
parameters, a fresh PostgreSQL database, Redis under a prefix of its own; no HTTP server,
no nginx) and drives it with Flask's test client: full logins through the real forms
(authorize → choice → password → SMS OTP → code → token → userinfo), then
client_credentials, introspection and userinfo. It prints the CPU time this process spent
on each kind of request (``time.process_time``: waiting on PostgreSQL or Redis is not
counted), next to one argon2id verification. It complements ``bench/run``'s rates and
py-spy profiles: it says how much Python work each step costs, whatever the machine is
doing, and so what bounds a core.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import redis

from bench.postgres import BenchDatabase

REDIRECT_URI = "http://127.0.0.1:5001/callback"


def _app(workdir: Path, database_url: str, prefix: str):
    from idp import create_app
    from idp.oidc.keys import KeyStore

    KeyStore(workdir / "keys").generate()
    return create_app(
        "test",
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "REDIS_PREFIX": prefix,
            "IDP_KEYS_DIR": str(workdir / "keys"),
            "SMS_OUTBOX_PATH": str(workdir / "outbox.jsonl"),
            "ARGON2_TIME_COST": 2,
            "ARGON2_MEMORY_COST": 19456,
            "ARGON2_PARALLELISM": 1,
            "OTP_MAX_SENDS_PER_HOUR": 1_000_000,
            "OTP_SENDS_PER_ID_NUMBER_PER_HOUR": 1_000_000,
            "OTP_RESEND_COOLDOWN_SECONDS": 1,
            "LOG_JSON": False,
        },
    )


class _CpuPerRequest:
    """WSGI wrapper adding each request's CPU time to its kind (method and path)."""

    def __init__(self, inner):
        self.inner = inner
        self.totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        self.on = False

    def __call__(self, environ, start_response):
        started = time.process_time()
        try:
            return list(self.inner(environ, start_response))
        finally:
            if self.on:
                kind = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}"
                entry = self.totals[kind]
                entry[0] += 1
                entry[1] += time.process_time() - started


def _argon2_ms() -> float:
    from argon2 import PasswordHasher

    hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    digest = hasher.hash("a password of a bench citizen")
    started = time.process_time()
    for _ in range(20):
        hasher.verify(digest, "a password of a bench citizen")
    return (time.process_time() - started) / 20 * 1000


def measure(logins: int, calls: int) -> str:
    """Run the steps in-process and return the report as Markdown."""
    from idp.citizens.creation import create_citizen
    from idp.extensions import db
    from idp.oidc.clients import create_client
    from tests.conftest import CITIZEN, Outbox, query_of
    from tests.http.driver import Browser

    database = BenchDatabase()
    database.create()
    prefix = f"bench-cpu:{secrets.token_hex(4)}:"
    try:
        with tempfile.TemporaryDirectory(prefix="idp-bench-cpu-") as folder:
            workdir = Path(folder)
            app = _app(workdir, database.sqlalchemy_url, prefix)
            with app.app_context():
                db.create_all()
                phone = create_citizen(**CITIZEN, actor="bench").phone
                client_id, secret = create_client(
                    name="Bench",
                    redirect_uris=[REDIRECT_URI],
                    scope="openid profile phone",
                    trusted=True,
                    extra_metadata={"grant_types": ["authorization_code", "client_credentials"]},
                )
            meter = _CpuPerRequest(app.wsgi_app)
            app.wsgi_app = meter
            outbox = Outbox(workdir / "outbox.jsonl")
            auth = (client_id, secret)
            token = ""
            for index in range(logins + 2):  # two untimed warm-up logins
                meter.on = index >= 2
                browser = Browser(app, outbox)
                url, request = browser.authorize_url(client_id)
                done = browser.login(url, CITIZEN["id_number"], CITIZEN["password"], phone)
                code = query_of(done.location)["code"]
                answer = browser.http.post(
                    "/oauth2/token",
                    data={
                        "grant_type": "authorization_code",
                        "code": code,
                        "redirect_uri": REDIRECT_URI,
                        "code_verifier": request["verifier"],
                    },
                    auth=auth,
                )
                token = answer.get_json()["access_token"]
                bearer = {"Authorization": f"Bearer {token}"}
                assert browser.http.get("/oauth2/userinfo", headers=bearer).status_code == 200
            login_totals = dict(meter.totals)
            meter.totals.clear()
            http = app.test_client()
            for _ in range(calls):
                http.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=auth)
                http.post("/oauth2/introspect", data={"token": token}, auth=auth)
                http.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {token}"})
            return _report(login_totals, dict(meter.totals), logins, _argon2_ms())
    finally:
        database.drop()
        client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
        for pattern in (f"{prefix}*", f"LIMITS:LIMITER/{prefix}*"):
            keys = list(client.scan_iter(match=pattern, count=1000))
            if keys:
                client.delete(*keys)


def _report(login: dict, protocol: dict, logins: int, argon2_ms: float) -> str:
    lines = ["| Request | per login | CPU ms each |", "|---|--:|--:|"]
    total = 0.0
    for kind, (count, seconds) in sorted(login.items(), key=lambda kv: -kv[1][1]):
        lines.append(f"| {kind} | {count / logins:.1f} | {seconds / count * 1000:.2f} |")
        total += seconds
    per_login = total / logins * 1000
    lines.append(f"| **whole login** | | **{per_login:.1f}** |")
    lines += ["", "| Protocol request | CPU ms each |", "|---|--:|"]
    for kind, (count, seconds) in sorted(protocol.items()):
        lines.append(f"| {kind} | {seconds / count * 1000:.2f} |")
    lines += [
        "",
        f"- One argon2id verification (t=2, m=19456 KiB, p=1): {argon2_ms:.1f} ms CPU; it "
        f"is {argon2_ms / per_login:.0%} of a whole login's CPU time, so one core completes at "
        f"most {1000 / per_login:.1f} logins/s, {argon2_ms / per_login:.2f} of the argon2id "
        f"floor of {1000 / argon2_ms:.1f}/s (before HTTP parsing, nginx and logging).",
        f"- {logins} logins and each protocol request measured; Flask's test client, no HTTP "
        "server: what granian adds on top is in `bench/run`'s ceiling line.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.request_cpu", description=__doc__)
    parser.add_argument("--logins", type=int, default=20)
    parser.add_argument("--calls", type=int, default=300, help="of each protocol request")
    args = parser.parse_args()
    print(measure(args.logins, args.calls))


if __name__ == "__main__":
    main()
