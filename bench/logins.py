"""Full interactive logins per second: forms, password, SMS OTP, code, token, userinfo.

Several browsers (threads) log citizens in over and over for a fixed window after a
warm-up; each login is a new browser, so nothing is reused but the TCP port range.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bench.browser import LoginBrowser, RelyingParty
from bench.processes import schedstat
from bench.sms_inbox import SmsInbox

# The OTP rules (idp.otp): a phone receives at most 5 OTPs per hour; stay under it.
LOGINS_PER_ACCOUNT = 4


class AccountPool:
    """Citizens to log in: one login at a time per citizen, at most ``LOGINS_PER_ACCOUNT``
    per run (their OTPs would otherwise mix, or hit the per-phone hourly limit)."""

    def __init__(self, accounts: list[dict]):
        self._idle = deque((account, LOGINS_PER_ACCOUNT) for account in accounts)
        self._lock = threading.Lock()

    def take(self) -> tuple[dict, int] | None:
        """An idle citizen and how many logins he has left (None when all are used up)."""
        with self._lock:
            return self._idle.popleft() if self._idle else None

    def give_back(self, taken: tuple[dict, int]) -> None:
        """The login of ``taken`` is over; he may log in again if he has logins left."""
        account, left = taken
        if left > 1:
            with self._lock:
                self._idle.append((account, left - 1))


@dataclass
class LoginResult:
    """Logins completed inside the timed window and what they cost."""

    logins: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    first_error: str
    requests_per_login: float
    server_cpu_busy: float  # share of the window the provider's worker spent on CPU
    server_cpu_waiting: float  # ... and runnable but waiting for the CPU

    @property
    def per_second(self) -> float:
        return self.logins / self.seconds if self.seconds else 0.0


@dataclass
class _Outcome:
    ended: float
    duration: float
    requests: int
    error: str = ""


def _log_in_once(
    base_url: str, inbox: SmsInbox, client: RelyingParty, account: dict, password: str
) -> _Outcome:
    started = time.monotonic()
    browser = LoginBrowser(base_url, inbox, client)
    try:
        code = browser.login(account["username"], password, account["phone"])
        tokens = browser.redeem(code)
        browser.userinfo(tokens["access_token"])
        error = ""
    except Exception as exc:  # counted and reported, the run goes on
        error = f"{type(exc).__name__}: {exc}"[:200]
    ended = time.monotonic()
    return _Outcome(ended, ended - started, browser.requests_made, error)


def run_logins(
    base_url: str,
    inbox: SmsInbox,
    client: RelyingParty,
    pool: AccountPool,
    password: str,
    *,
    workers: int,
    warmup: float,
    seconds: float,
    worker_pids: Callable[[], list[int]],
) -> LoginResult:
    """``workers`` browsers logging in for ``warmup + seconds``; only the window counts."""
    outcomes: list[_Outcome] = []
    lock = threading.Lock()
    start = time.monotonic()
    window = (start + warmup, start + warmup + seconds)

    def browse() -> None:
        while time.monotonic() < window[1]:
            taken = pool.take()
            if taken is None:
                return
            outcome = _log_in_once(base_url, inbox, client, taken[0], password)
            pool.give_back(taken)
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=browse, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    time.sleep(max(window[0] - time.monotonic(), 0))
    pids = worker_pids()
    before, opened = schedstat(pids), time.monotonic()
    time.sleep(max(window[1] - time.monotonic(), 0))
    after, elapsed = schedstat(pids), time.monotonic() - opened
    shares = ((after[0] - before[0]) / 1e9 / elapsed, (after[1] - before[1]) / 1e9 / elapsed)
    for thread in threads:
        thread.join()
    return _summarise(outcomes, window, shares)


def _summarise(
    outcomes: list[_Outcome], window: tuple[float, float], cpu: tuple[float, float]
) -> LoginResult:
    counted = [o for o in outcomes if window[0] <= o.ended <= window[1]]
    good = [o for o in counted if not o.error]
    failed = [o for o in counted if o.error]
    durations = sorted(o.duration * 1000 for o in good)
    p99 = statistics.quantiles(durations, n=100)[98] if len(durations) >= 2 else 0.0
    return LoginResult(
        logins=len(good),
        seconds=window[1] - window[0],
        p50_ms=statistics.median(durations) if durations else 0.0,
        p99_ms=p99,
        errors=len(failed),
        first_error=failed[0].error if failed else "",
        requests_per_login=statistics.mean(o.requests for o in good) if good else 0.0,
        server_cpu_busy=cpu[0],
        server_cpu_waiting=cpu[1],
    )
