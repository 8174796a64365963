"""Measuring one path on one server: probe, warm up, then the timed wrk run."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import requests

from bench.load import LoadResult, LoadShape, run_wrk
from bench.processes import schedstat
from bench.scenarios import Scenario, Target, Unavailable, check

# Without a client_credentials figure to go by, guess this many code exchanges per second.
DEFAULT_CODE_RATE = 500.0
ATTEMPTS_WITH_CODES = 3


@dataclass
class Measurement:
    """A path on a server: the wrk result, or why the path could not be measured.

    ``cpu_share`` and ``waiting_share`` say how much of the timed window the server's
    worker spent on its CPU and runnable but waiting for it (other work on the machine).
    """

    scenario: str
    target: str
    result: LoadResult | None = None
    unavailable: str | None = None
    note: str = ""
    cpu_share: float = 0.0
    waiting_share: float = 0.0


def prepare_access_token(target: Target) -> None:
    """Exchange one fresh code so userinfo and introspection have a real access token."""
    try:
        code = target.mint_codes(1)[0]
        response = target.code_exchange(code).send()
        check(response, lambda body: "access_token" in body)
        target.access_token = response.json()["access_token"]
    except Exception as exc:  # any failure is reported in the table, not raised
        target.code_problem = f"{type(exc).__name__}: {exc}"[:200]


def drain(target: Target) -> None:
    """Wait until the server has answered what earlier load left queued on its socket."""
    requests.get(target.base_url + "/.well-known/openid-configuration", timeout=120)


def timed_run(target: Target, requests_: list[bytes], shape: LoadShape, m: Measurement) -> None:
    """Run wrk into ``m``, watching the server's worker on its CPU meanwhile."""
    drain(target)
    pids = target.worker_pids()
    (cpu_before, wait_before), started = schedstat(pids), time.monotonic()
    m.result = run_wrk(target.base_url, requests_, shape)
    (cpu_after, wait_after), elapsed = schedstat(pids), time.monotonic() - started
    m.cpu_share = (cpu_after - cpu_before) / 1e9 / elapsed
    m.waiting_share = (wait_after - wait_before) / 1e9 / elapsed


def measure(
    target: Target,
    scenario: Scenario,
    shape: LoadShape,
    warmup_seconds: float,
    rate_hint: float | None = None,
) -> Measurement:
    """Warm up, then measure ``scenario`` on ``target`` for ``shape.seconds``."""
    m = Measurement(scenario.key, target.name)
    try:
        if scenario.one_use:
            _measure_one_use(target, scenario, shape, warmup_seconds, rate_hint, m)
            return m
        call = scenario.build(target)
        check(call.send(), scenario.accept)
    except Unavailable as exc:
        m.unavailable = str(exc)
        return m
    if warmup_seconds > 0:
        run_wrk(target.base_url, [call.raw()], _for(shape, warmup_seconds))
    timed_run(target, [call.raw()], shape, m)
    return m


def _for(shape: LoadShape, seconds: float) -> LoadShape:
    return LoadShape(shape.connections, shape.threads, seconds)


def code_requests(target: Target, count: int) -> list[bytes]:
    """``count`` token requests, each redeeming a freshly minted code."""
    return [target.code_exchange(code).raw() for code in target.mint_codes(count)]


def _measure_one_use(
    target: Target,
    scenario: Scenario,
    shape: LoadShape,
    warmup_seconds: float,
    rate_hint: float | None,
    m: Measurement,
) -> None:
    """Code exchanges: every request carries its own code, minted beforehand."""
    if target.code_problem:
        raise Unavailable(f"no authorization codes: {target.code_problem}")
    check(target.code_exchange(target.mint_codes(1)[0]).send(), scenario.accept)
    estimate = rate_hint or DEFAULT_CODE_RATE
    warmup = max(warmup_seconds, 1.0)
    count = math.ceil(estimate * warmup * 1.2) + 50
    warm = run_wrk(target.base_url, code_requests(target, count), _for(shape, warmup))
    # The warm-up's own rate is the better guess, unless its codes ran out.
    estimate = warm.ok_per_second if not warm.exhausted else 2 * max(estimate, count / warmup)
    for _attempt in range(ATTEMPTS_WITH_CODES):
        count = math.ceil(estimate * shape.seconds * 1.3) + 50
        timed_run(target, code_requests(target, count), shape, m)
        if not m.result.exhausted:
            m.note = ""
            return
        m.note = f"codes ran out ({count} minted); the rate is a lower bound"
        estimate = max(2 * estimate, m.result.requests / m.result.seconds)
