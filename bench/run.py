"""One benchmark run: set up both servers, measure every path, logins, profiles; report."""

from __future__ import annotations

import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import machine, service_latency
from bench.anchor import AnchorUnderTest
from bench.browser import RelyingParty
from bench.ceiling import CANDIDATES, PRODUCTION_SERVER, measure_ceiling
from bench.code_minting import ProviderCodeMinter
from bench.load import LoadShape, run_wrk
from bench.local_ca import issue_loopback_tls
from bench.logins import LOGINS_PER_ACCOUNT, AccountPool, LoginResult, run_logins
from bench.measurement import (
    Measurement,
    code_requests,
    drain,
    measure,
    prepare_access_token,
)
from bench.postgres import BenchDatabase
from bench.processes import (
    GENERATOR_CPU,
    SERVER_CPU,
    ChildProcess,
    free_port,
    memory_kib,
    pinned,
    raise_priority,
)
from bench.profiles import Recording
from bench.provider import REDIS_URL, ROOT, ProviderUnderTest
from bench.report import PathRow, RunReport, write
from bench.scenarios import SCENARIOS, Scenario, Target
from bench.sms_inbox import SmsInbox

# Where the client would receive codes; nothing listens there and nothing is sent to it.
REDIRECT_URI = "http://127.0.0.1:9/callback"


@dataclass
class Options:
    """What the command line chose (see ``python -m bench --help``)."""

    seconds: float = 10
    warmup: float = 2
    connections: int = 16
    threads: int = 1
    login_seconds: float = 20
    login_warmup: float = 3
    login_workers: int = 8
    argon2_seconds: float = 4
    profile_seconds: float = 4
    provider_workers: int = 1
    provider_threads: int = 4
    front: str = "both"
    nice: int = -10
    only: tuple[str, ...] = ()

    @property
    def shape(self) -> LoadShape:
        return LoadShape(self.connections, self.threads, self.seconds)

    @property
    def fronts(self) -> tuple[str, ...]:
        """The fronts measured, the production server alone first (the targets' front)."""
        return ("none", "nginx") if self.front == "both" else (self.front,)


class Bench:
    """The servers and helpers of one run, started and stopped together."""

    def __init__(self, options: Options, workdir: Path, profile_dir: Path):
        self.options = options
        self.workdir = workdir
        self.profile_dir = profile_dir
        self.database = BenchDatabase()
        self.sms_token = secrets.token_urlsafe(24)
        # The provider refuses an http:// SMS gateway in production: the sink speaks HTTPS
        # with a certificate from this run's own CA.
        self.sink_tls = issue_loopback_tls(workdir / "sink-tls")
        self.sms = SmsInbox(f"https://127.0.0.1:{free_port()}", self.sink_tls.ca_path)
        self.sink: ChildProcess | None = None
        self.provider = ProviderUnderTest(
            workdir,
            self.sms,
            self.sms_token,
            self.database,
            options.provider_workers,
            options.provider_threads,
            options.front,
        )
        self.anchor = AnchorUnderTest(workdir, REDIRECT_URI)
        self.seeded = None
        self.pool: AccountPool | None = None

    def argon2_floor(self) -> dict:
        """argon2id verifications per second, pinned to the servers' CPU (both idle)."""
        argv = [sys.executable, "-m", "bench.argon2_floor"]
        argv += ["--seconds", str(self.options.argon2_seconds)]
        done = subprocess.run(
            pinned(argv, SERVER_CPU), env=self.provider.env, cwd=ROOT, capture_output=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"argon2 floor failed:\n{done.stderr.decode()[-2000:]}")
        return json.loads(done.stdout.decode().strip().splitlines()[-1])

    def start(self, floor_per_second: float) -> None:
        """Database, SMS sink, the provider (seeded) and the anchor."""
        o = self.options
        self.database.create()
        port = self.sms.url.rsplit(":", 1)[1]
        env = {**os.environ, "BENCH_SMS_TOKEN": self.sms_token}
        argv = [sys.executable, "-m", "bench.sms_sink", port]
        argv += [str(self.sink_tls.cert_path), str(self.sink_tls.key_path)]
        self.sink = ChildProcess("sms sink", argv, env, self.workdir / "sms-sink.log")
        self.sink.wait_until_serving(self.sms.url + "/health", verify=str(self.sms.ca_path))
        # Enough citizens for the logins the argon2id floor allows, each under the OTP limit.
        logins = max(floor_per_second, 10) * (o.login_warmup + o.login_seconds + o.profile_seconds)
        accounts = math.ceil(logins * 1.2 / LOGINS_PER_ACCOUNT) + 2 * o.login_workers
        self.seeded = self.provider.seed(accounts + 1, REDIRECT_URI)
        self.pool = AccountPool(self.seeded.citizens[1:])
        self.provider.start()
        self.anchor.start()

    def stop(self) -> None:
        for stop in (self.anchor.stop, self.provider.stop):
            try:
                stop()
            except Exception as exc:  # keep stopping the rest
                print(f"while stopping: {exc}", file=sys.stderr)
        if self.sink is not None:
            self.sink.stop()
        self.database.drop()

    def service_latency(self) -> dict[str, float]:
        """Round trips to the machine's PostgreSQL and Redis, measured now."""
        return service_latency.measure(self.database.libpq_url, REDIS_URL)

    def client(self) -> RelyingParty:
        return RelyingParty(self.seeded.client_id, self.seeded.client_secret, REDIRECT_URI)

    def targets(self) -> tuple[list[Target], Target]:
        """The provider once per front (same server, two addresses), and the anchor."""
        providers = []
        for front in self.options.fronts:
            minter = ProviderCodeMinter(
                self.provider.url_for(front),
                self.sms,
                self.client(),
                self.seeded.citizens[0],
                self.seeded.password,
            )
            providers.append(
                Target(
                    "provider",
                    self.provider.url_for(front),
                    self.seeded.client_id,
                    self.seeded.client_secret,
                    REDIRECT_URI,
                    minter,
                    lambda front=front: self.provider.pids_for(front),
                    front=front,
                )
            )
        anchor = Target(
            "anchor",
            self.anchor.base_url,
            self.anchor.client_id,
            self.anchor.client_secret,
            REDIRECT_URI,
            self.anchor.mint_codes,
            self.anchor.worker_pids,
        )
        for target in (*providers, anchor):
            target.load_metadata()
            prepare_access_token(target)
        return providers, anchor

    def logins(self, seconds: float, warmup: float, front: str) -> LoginResult:
        return run_logins(
            self.provider.url_for(front),
            self.sms,
            self.client(),
            self.pool,
            self.seeded.password,
            workers=self.options.login_workers,
            warmup=warmup,
            seconds=seconds,
            worker_pids=lambda: self.provider.pids_for(front),
        )


def peak_memory_kib(target: Target) -> int:
    """The largest RSS high-water mark among the target's workers."""
    return max(memory_kib(pid) for pid in target.worker_pids())


def _scenarios(options: Options) -> list[Scenario]:
    chosen = [s for s in SCENARIOS if not options.only or s.key in options.only]
    if not chosen:
        raise SystemExit(f"--only matched no path; choose from {[s.key for s in SCENARIOS]}")
    return chosen


def measure_paths(bench: Bench, providers: list[Target], anchor: Target, report: RunReport) -> None:
    """Every path on the provider (each front) then the anchor, with the provider
    worker's memory peak after each; the anchor's figure serves every front's row."""
    o = bench.options
    hints: dict[tuple[str, str], float | None] = {}
    for scenario in _scenarios(o):
        measured = {}
        for target in (*providers, anchor):
            where = f"{target.name}" + (
                f" ({_FRONT_NAMES[target.front]})" if target is not anchor else ""
            )
            print(f"  {scenario.label} on the {where} ...", flush=True)
            key = (target.name, target.front)
            m = measure(target, scenario, o.shape, o.warmup, hints.get(key))
            if scenario.key == "client_credentials" and m.result is not None:
                hints[key] = m.result.ok_per_second
            measured[key] = m
            print(f"    {_one_line(m)}", flush=True)
        hwm = peak_memory_kib(providers[0])
        anchor_m = measured[(anchor.name, anchor.front)]
        for target in providers:
            m = measured[(target.name, target.front)]
            report.rows.append(PathRow(scenario.label, m, anchor_m, hwm, target.front))


_FRONT_NAMES = {"none": "its server alone", "nginx": "behind nginx"}


def _one_line(m: Measurement) -> str:
    if m.result is None:
        return f"skipped: {m.unavailable}"
    r = m.result
    return (
        f"{r.ok_per_second:,.0f} req/s, p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, "
        f"{r.errors} errors"
    )


def _profile_requests(target: Target, row: PathRow, scenario: Scenario, seconds: float):
    if not scenario.one_use:
        return [scenario.build(target).raw()]
    rate = row.provider.result.ok_per_second
    return code_requests(target, math.ceil(rate * seconds * 1.5) + 50)


def profile_paths(bench: Bench, provider: Target, report: RunReport) -> None:
    """py-spy on the provider's worker while each measured path (and logins) runs again,
    on ``provider``'s front."""
    seconds = bench.options.profile_seconds
    pid = bench.provider.worker_pids()[0]  # with several workers, the first one's samples
    idle = bench.options.provider_threads == 1  # see bench.profiles
    by_label = {s.label: s for s in SCENARIOS}
    for row in report.rows:
        if row.provider.result is None or row.front != provider.front:
            continue
        scenario = by_label[row.label]
        requests = _profile_requests(provider, row, scenario, seconds + 1)
        print(f"  profiling {row.label} ...", flush=True)
        drain(provider)
        recording = Recording(pid, seconds, bench.profile_dir / f"{scenario.key}.txt", idle=idle)
        run_wrk(provider.base_url, requests, LoadShape(bench.options.connections, 1, seconds + 1))
        report.profiles[row.label] = recording.summary()
    if provider.front in report.logins:
        print("  profiling full logins ...", flush=True)
        drain(provider)
        recording = Recording(pid, seconds, bench.profile_dir / "login.txt", idle=idle)
        bench.logins(seconds + 1, warmup=0, front=provider.front)
        report.profiles["Full login"] = recording.summary()


def _measured(label: str, bench: Bench, front: str, server: str, stack: str) -> dict | str:
    """One ``bench.ceiling`` measurement's figures, or why it was not measured."""
    o = bench.options
    print(f"measuring {label} ({_FRONT_NAMES[front]}) ...", flush=True)
    try:
        result = measure_ceiling(
            bench.workdir / f"front-{front}",
            o.provider_threads,
            front,
            o.shape,
            o.warmup,
            server,
            stack=stack,
        )
    except Exception as exc:  # the figures stand without it
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())
        print(f"  not measured: {reason}"[:300], flush=True)
        return reason[:200]
    return {
        "per_second": result.ok_per_second,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "errors": result.errors,
    }


def measure_ceilings(bench: Bench, report: RunReport) -> None:
    """The empty Flask view under every candidate server, and the Flask + Authlib floor
    under the production server, on each measured front."""
    for front in bench.options.fronts:
        report.ceilings[front] = {
            server: _measured(f"the ceiling under {server}", bench, front, server, "flask")
            for server in CANDIDATES
        }
        report.stack_floor[front] = _measured(
            "the Flask + Authlib floor", bench, front, PRODUCTION_SERVER, "flask-authlib"
        )


def run_phases(bench: Bench, report: RunReport) -> None:
    """Floor, servers, every path, logins, profiles, memory: filling ``report``."""
    options = bench.options
    report.fronts = list(options.fronts)
    print("measuring the argon2id floor ...", flush=True)
    report.argon2 = bench.argon2_floor()
    print("starting PostgreSQL database, SMS sink, provider and anchor ...", flush=True)
    bench.start(report.argon2["per_second"])
    providers, anchor = bench.targets()
    report.service_latency.append(bench.service_latency())
    print("measuring paths (provider on each front, then anchor) ...", flush=True)
    measure_paths(bench, providers, anchor, report)
    for front in options.fronts:
        print(f"measuring full logins ({_FRONT_NAMES[front]}) ...", flush=True)
        try:
            report.logins[front] = bench.logins(options.login_seconds, options.login_warmup, front)
        except Exception as exc:  # reported in the table
            report.login_problems[front] = f"{type(exc).__name__}: {exc}"[:200]
    if options.profile_seconds > 0:
        try:
            profile_paths(bench, providers[0], report)
        except Exception as exc:  # the figures stand without the profiles
            report.profile_problem = f"{type(exc).__name__}: {exc}"[:300]
    measure_ceilings(bench, report)
    report.service_latency.append(bench.service_latency())
    report.provider_hwm_kib = peak_memory_kib(providers[0])
    report.anchor_hwm_kib = peak_memory_kib(anchor)


def execute(options: Options, results_dir: Path, docs_file: Path | None) -> Path:
    """The whole run; returns the Markdown report's path."""
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("the benchmark needs two CPUs: one for the servers, one for the load")
    os.sched_setaffinity(0, {GENERATOR_CPU})
    priority = raise_priority(options.nice)
    started = time.monotonic()
    report = RunReport(
        started_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        machine=machine.facts(),
        options={**options.__dict__, "only": list(options.only), "priority": priority},
    )
    workdir = Path(tempfile.mkdtemp(prefix="idp-bench-"))
    profile_dir = results_dir / f"{report.stamp}-profiles"
    profile_dir.mkdir(parents=True, exist_ok=True)
    bench = Bench(options, workdir, profile_dir)
    finished = False
    try:
        run_phases(bench, report)
        finished = True
    finally:
        bench.stop()
        report.machine["load_after"] = machine.load_average()
        report.wall_seconds = time.monotonic() - started
        if finished:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"the run failed; server logs are kept in {workdir}", file=sys.stderr)
    return write(report, results_dir, docs_file)
