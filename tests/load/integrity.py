"""Load and integrity run: hundreds of concurrent registrations and logins on two replicas.

    .venv/bin/python -m tests.load.integrity --registrations 300 --logins 300 --concurrency 32

Two ``idp serve`` replicas (tests/replicas/cluster.py) share a private PostgreSQL
database, a Redis key prefix, a key folder and an SMS outbox, all on 127.0.0.1. Virtual
citizens, each with its own ``requests.Session`` and its own client address (sent as
``X-Forwarded-For``; the replicas trust 127.0.0.1 as their load balancer), go through the
real forms, alternating replicas on every request so that each flow crosses replicas:

- registrations: /register → method → details → the OTP read from the outbox → password;
  some abandoned after the details or after the OTP; some as duplicate pairs (the same
  identity number, with the same phone or with two phones of that citizen) whose two
  browsers press "Đăng ký" at the same moment on different replicas;
- logins of seeded and of newly registered citizens: authorize → password → OTP → code →
  token → userinfo;
- OTP replays: the accepted code submitted again on the other replica, and the right code
  submitted twice at the same moment on both replicas.

Afterwards PostgreSQL and the audit trail are checked (see ``check_integrity``). The run
prints a figures table and exits non-zero on any integrity violation or unexpected
answer (5xx, transport error, a status the flow does not allow).

Limits: the per-client limits (Flask-Limiter, per-IP and per-prefix OTP-send caps,
per-phone and per-identity-number OTP caps, login throttles) keep their production
values, since every virtual citizen has its own address; so do the token and userinfo
limits, which count per relying party (one client, one address here), not per address.
Raised for the run: the provider-wide OTP-send cap per minute. See ``LOAD_SETTINGS``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import itertools
import json
import math
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import psycopg
import requests
from sqlalchemy.engine import make_url

from idp.settings import DEFAULTS
from tests.replicas.cluster import (
    ROOT,
    Replica,
    TemporaryDatabase,
    idp_command,
    replica_env,
)
from webapp.server import DEFAULTS as SERVER_DEFAULTS

REDIRECT_URI = "http://127.0.0.1:5001/callback"
RP_ADDRESS = "192.0.2.80"  # the relying party's server: token and userinfo calls
TIMEOUT = 60  # seconds per request: generous, a loaded 2-core machine queues requests
NEW_CITIZEN_WAIT = 30  # seconds a login waits for a newly registered citizen to log in
ACCOUNT_EXISTS_TEXT = "Số CMND/CCCD này đã có tài khoản trên Cổng Dịch vụ công Quốc gia."
LOOPBACK = ("127.0.0.1", "localhost", "::1")

# Production values for every per-client limit (config/test.toml raises them for the
# suite); raised only where the load itself is the point: see the module docstring.
_PRODUCTION = (
    "RATE_LIMIT_LOGIN_PASSWORD",
    "RATE_LIMIT_OTP",
    "RATE_LIMIT_REGISTRATION_DETAILS",
    "RATE_LIMIT_RECOVERY_IDENTIFY",
    "RATE_LIMIT_AUTHORIZE",
    "RATE_LIMIT_CLIENT_AUTH_FAILURES",
    "RATE_LIMIT_TOKEN_PER_CLIENT",
    "RATE_LIMIT_BEARER_FAILURES",
    "RATE_LIMIT_USERINFO_PER_CLIENT",
    "OTP_SENDS_PER_ID_NUMBER_PER_HOUR",
    "OTP_SENDS_PER_IP_PER_HOUR",
    "OTP_SENDS_PER_PREFIX_PER_HOUR",
    "OTP_MAX_SENDS_PER_HOUR",
    "LOGIN_FAILURES_PER_IP",
    "LOGIN_FAILURES_PER_USERNAME_PER_IP",
    "ARGON2_TIME_COST",
    "ARGON2_MEMORY_COST",
    "ARGON2_PARALLELISM",
)
LOAD_SETTINGS: dict[str, str] = {
    **{name: str(DEFAULTS[name]) for name in _PRODUCTION},
    "OTP_SENDS_GLOBAL_PER_MINUTE": "100000",
}

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLE = {"male": ["Văn", "Hữu", "Đức", "Minh", "Quang"], "female": ["Thị", "Ngọc", "Thu"]}
GIVEN = {
    "male": ["An", "Bảo", "Cường", "Dũng", "Hải", "Hùng", "Khang", "Long", "Nam", "Sơn"],
    "female": ["Anh", "Bích", "Chi", "Dung", "Giang", "Hà", "Lan", "Linh", "Mai", "Yến"],
}


# -- people ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id_number: str
    full_name: str
    date_of_birth: str
    gender: str
    phone: str  # national, 10 digits
    password: str

    @property
    def phone_e164(self) -> str:
        return "+84" + self.phone[1:]

    def form(self) -> dict[str, str]:
        return {
            "id_number": self.id_number,
            "full_name": self.full_name,
            "date_of_birth": self.date_of_birth,
            "gender": self.gender,
            "phone": self.phone,
            "email": "",
        }

    def seed_record(self) -> dict[str, str]:
        return {**self.form(), "email": None, "password": self.password}


def make_person(rng: random.Random, serial: int, province: str, phone_prefix: str) -> Person:
    """A citizen whose CCCD agrees with the birth date and gender; unique by ``serial``."""
    gender = rng.choice(("male", "female"))
    year = rng.randint(1960, 1999)
    century_gender = "0" if gender == "male" else "1"
    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}"
    return Person(
        id_number=f"{province}{century_gender}{year % 100:02d}{serial:06d}",
        full_name=name,
        date_of_birth=f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        gender=gender,
        phone=f"{phone_prefix}{serial:07d}",
        password=f"Mk{rng.getrandbits(40):010x}7",
    )


_addresses = itertools.count(1)
_address_lock = threading.Lock()


def new_address() -> str:
    """A client address of its own, in a /24 of its own (per-IP and per-prefix caps)."""
    with _address_lock:
        n = next(_addresses)
    return f"10.{n // 250 % 250 + 1}.{n % 250 + 1}.7"


# -- what the run saw --------------------------------------------------------------------


class Unexpected(Exception):
    """An answer the flow does not allow; recorded as an error, the flow is abandoned."""


class Recorder:
    """Latencies per step, unexpected errors by kind, expected refusals by kind."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.error_samples: list[str] = []
        self.refusals: Counter[str] = Counter()
        self.requests = 0

    def timed(self, step: str, seconds: float) -> None:
        with self.lock:
            self.latencies[step].append(seconds)
            self.requests += 1

    def error(self, kind: str, detail: str) -> Unexpected:
        with self.lock:
            self.errors[kind] += 1
            if len(self.error_samples) < 20:
                self.error_samples.append(f"{kind}: {detail}")
        return Unexpected(f"{kind}: {detail}")

    def refused(self, kind: str) -> None:
        with self.lock:
            self.refusals[kind] += 1


@dataclass
class Outcomes:
    """What each flow ended with, as the browsers saw it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    seeded: dict[str, Person] = field(default_factory=dict)
    completed: dict[str, Person] = field(default_factory=dict)  # id_number → as registered
    completed_twice: list[str] = field(default_factory=list)
    abandoned: list[Person] = field(default_factory=list)
    failed_registrations: list[str] = field(default_factory=list)
    pairs: list[dict] = field(default_factory=list)  # one per duplicate pair
    replays: Counter[str] = field(default_factory=Counter)  # attempted / accepted
    races: list[dict] = field(default_factory=list)  # per double submission: accepted count
    login_otps_accepted: int = 0
    logins: list[dict] = field(default_factory=list)  # completed logins
    failed_logins: int = 0

    def add_completed(self, person: Person) -> None:
        with self.lock:
            if person.id_number in self.completed:
                self.completed_twice.append(person.id_number)
            self.completed[person.id_number] = person


# -- the SMS outbox ----------------------------------------------------------------------


class Outbox:
    """Reads the shared outbox incrementally: the codes sent to each phone, in order."""

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.Lock()
        self.offset = 0
        self.codes: dict[str, list[str]] = defaultdict(list)
        self._phone_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)

    def _read(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            fh.seek(self.offset)
            chunk = fh.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self.offset += len(complete)
        for line in complete.decode("utf-8").splitlines():
            message = json.loads(line)
            code = re.findall(r"(?<!\d)\d{6}(?!\d)", message["text"])[0]
            self.codes[message["to"]].append(code)

    def count(self, phone_e164: str) -> int:
        with self.lock:
            self._read()
            return len(self.codes[phone_e164])

    def code_after(self, phone_e164: str, seen: int) -> str:
        """The code sent after the first ``seen`` messages to the phone (sent before return)."""
        with self.lock:
            self._read()
            codes = self.codes[phone_e164]
            if len(codes) != seen + 1:
                raise Unexpected(f"{len(codes) - seen} SMS to {phone_e164} for one send")
            return codes[-1]

    @contextmanager
    def phone(self, phone_e164: str):
        """One send-and-read at a time per phone: the phone's owner reads their own SMS."""
        with self.lock:
            lock = self._phone_locks[phone_e164]
        with lock:
            yield


# -- a browser ---------------------------------------------------------------------------

_FORM = re.compile(r'<form method="post" action="([^"]*)"[^>]*>(.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def forms_of(page: str) -> list[tuple[str, dict[str, str]]]:
    """(action, hidden fields) of each POST form on the page."""
    found = []
    for action, body in _FORM.findall(page):
        hidden = {name: html.unescape(value) for name, value in _HIDDEN.findall(body)}
        found.append((html.unescape(action), hidden))
    return found


def path_of(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Browser:
    """One citizen's browser; each request goes to the next replica in turn."""

    def __init__(self, run: Run, address: str | None = None):
        self.run = run
        self.http = requests.Session()
        self.http.headers["X-Forwarded-For"] = address or new_address()
        self.turn = run.rng_int(2)

    def clone(self) -> Browser:
        """A second tab of the same browser (same cookies, same address)."""
        other = Browser(self.run, self.http.headers["X-Forwarded-For"])
        other.http.cookies.update(self.http.cookies)
        return other

    def next_replica(self) -> Replica:
        replica = self.run.replicas[self.turn % 2]
        self.turn += 1
        return replica

    def request(
        self,
        step: str,
        method: str,
        path: str,
        expect: tuple[int, ...],
        replica: Replica | None = None,
        **kwargs,
    ) -> requests.Response:
        replica = replica or self.next_replica()
        rec = self.run.rec
        started = time.monotonic()
        try:
            resp = self.http.request(
                method, replica.url + path, allow_redirects=False, timeout=TIMEOUT, **kwargs
            )
        except requests.RequestException as exc:
            raise rec.error(f"transport error ({type(exc).__name__})", step) from None
        rec.timed(step, time.monotonic() - started)
        if resp.status_code >= 500:
            raise rec.error(f"HTTP {resp.status_code}", f"{step} on {replica.name}")
        if resp.status_code not in expect:
            detail = f"{step} on {replica.name}: {resp.status_code} {_alert(resp.text)}"
            raise rec.error(f"unexpected HTTP {resp.status_code}", detail)
        return resp

    def page(self, step: str, path: str) -> str:
        return self.request(step, "GET", path, (200,)).text

    def post(
        self,
        step: str,
        action: str,
        hidden: dict,
        data: dict,
        expect: tuple[int, ...] = (302,),
        replica: Replica | None = None,
    ) -> requests.Response:
        return self.request(step, "POST", action, expect, replica=replica, data={**hidden, **data})

    def fill(self, step: str, page: str, data: dict, expect=(302,), index: int = 0):
        """Submit the page's ``index``-th form with ``data``."""
        action, hidden = forms_of(page)[index]
        return self.post(step, action, hidden, data, expect)


_REFUSALS = {
    "Mã OTP đã hết hạn hoặc không còn hiệu lực": "the code is used up",
    "Bước này chưa thể thực hiện": "the flow is past that step",
    "Phiên thao tác đã hết hạn hoặc không hợp lệ": "the flow is finished",
}


def refusal_of(resp: requests.Response) -> str:
    """A refusal page's answer, in short."""
    for text, short in _REFUSALS.items():
        if text in resp.text:
            return f"{resp.status_code}, {short}"
    return f"{resp.status_code}, {_alert(resp.text) or 'no message'}"


def _alert(text: str) -> str:
    match = re.search(r'role="alert"[^>]*>\s*([^<]+)<', text)
    return match.group(1).strip()[:160] if match else ""


def race(*calls: Callable[[], requests.Response]) -> list[requests.Response | Exception]:
    """Run the calls at the same moment, one thread each; their answers (or errors)."""
    barrier = threading.Barrier(len(calls), timeout=TIMEOUT)
    results: list[requests.Response | Exception] = [Unexpected("no answer")] * len(calls)

    def one(index: int, call: Callable[[], requests.Response]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * TIMEOUT)
    return results


# -- the run -----------------------------------------------------------------------------


@dataclass
class Run:
    replicas: tuple[Replica, Replica]
    client: dict
    outbox: Outbox
    rng: random.Random
    rec: Recorder = field(default_factory=Recorder)
    out: Outcomes = field(default_factory=Outcomes)
    rng_lock: threading.Lock = field(default_factory=threading.Lock)
    new_citizens: NewCitizens = field(default_factory=lambda: NewCitizens())
    seeded: SeededPool = field(default_factory=lambda: SeededPool([]))

    def rng_int(self, n: int) -> int:
        with self.rng_lock:
            return self.rng.randrange(n)


def send_and_read(browser: Browser, step: str, page: str, data: dict, phone_e164: str):
    """Submit a form that sends an OTP to the phone; (the answer, the code sent)."""
    outbox = browser.run.outbox
    with outbox.phone(phone_e164):
        seen = outbox.count(phone_e164)
        resp = browser.fill(step, page, data)
        return resp, outbox.code_after(phone_e164, seen)


# Registration ---------------------------------------------------------------------------


def register_up_to_otp(browser: Browser, person: Person) -> tuple[str, str]:
    """Steps 3-4; the OTP page's path and the code sent."""
    resp = browser.request("reg /register", "GET", "/register", (302,))
    page = browser.page("reg method (GET)", path_of(resp.headers["Location"]))
    resp = browser.fill("reg method (POST)", page, {"kind": "citizen", "method": "mobile"})
    page = browser.page("reg details (GET)", path_of(resp.headers["Location"]))
    resp, code = send_and_read(
        browser, "reg details (POST)", page, person.form(), person.phone_e164
    )
    return path_of(resp.headers["Location"]), code


def submit_otp_with_replay(browser: Browser, otp_path: str, code: str, mode: str, kind: str):
    """Submit the right OTP; with ``mode`` "race" twice at once on both replicas, with
    "replay" once more on the other replica after it was accepted. The accepted answer.
    """
    run = browser.run
    page = browser.page(f"{kind} otp (GET)", otp_path)
    action, hidden = forms_of(page)[0]
    if mode == "race":
        twin = browser.clone()
        a, b = run.replicas
        answers = race(
            lambda: browser.post(
                f"{kind} otp (POST, race)", action, hidden, {"otp": code}, (302, 400, 409), a
            ),
            lambda: twin.post(
                f"{kind} otp (POST, race)", action, hidden, {"otp": code}, (302, 400, 409), b
            ),
        )
        for answer in answers:
            if isinstance(answer, Exception):
                raise answer
        accepted = [i for i, r in enumerate(answers) if r.status_code == 302]
        with run.out.lock:
            run.out.races.append({"kind": kind, "accepted": len(accepted)})
        if len(accepted) != 1:
            raise run.rec.error("OTP race", f"{kind}: {len(accepted)} of 2 accepted")
        loser = answers[1 - accepted[0]]
        run.rec.refused(
            f"{kind} OTP submitted twice at once, the other refused: {refusal_of(loser)}"
        )
        if accepted[0] == 1:  # the twin's jar holds what the accepted answer set
            browser.http = twin.http
        return answers[accepted[0]]
    resp = browser.post(f"{kind} otp (POST)", action, hidden, {"otp": code})
    if mode == "replay":
        other = run.replicas[browser.turn % 2]  # not the one that just accepted the code
        replay = browser.post(
            f"{kind} otp replay (POST)", action, hidden, {"otp": code}, (302, 400, 409), other
        )
        with run.out.lock:
            run.out.replays["attempted"] += 1
            if replay.status_code == 302:
                run.out.replays["accepted"] += 1
        if replay.status_code == 302:
            raise run.rec.error("OTP replay accepted", f"{kind} on {other.name}")
        run.rec.refused(f"{kind} OTP replayed on the other replica: {refusal_of(replay)}")
    return resp


def registration(run: Run, person: Person, stop_after: str | None, mode: str) -> None:
    """One registration through the forms; ``stop_after`` "details" or "otp" abandons it."""
    browser = Browser(run)
    try:
        otp_path, code = register_up_to_otp(browser, person)
        if stop_after == "details":
            _abandoned(run, person)
            return
        resp = submit_otp_with_replay(browser, otp_path, code, mode, "reg")
        password_path = path_of(resp.headers["Location"])
        if stop_after == "otp":
            _abandoned(run, person)
            return
        page = browser.page("reg password (GET)", password_path)
        data = {"password": person.password, "password_confirm": person.password}
        resp = browser.fill("reg password (POST)", page, data)
    except Unexpected:
        with run.out.lock:
            run.out.failed_registrations.append(person.id_number)
        raise
    run.out.add_completed(person)
    browser.request("reg done (GET)", "GET", path_of(resp.headers["Location"]), (200,))
    run.new_citizens.put(person)


def _abandoned(run: Run, person: Person) -> None:
    with run.out.lock:
        run.out.abandoned.append(person)


def duplicate_pair(run: Run, first: Person, second: Person) -> None:
    """Two browsers register one identity number; both press "Đăng ký" at the same moment."""
    browsers, pages = [], []
    pair = {"id_number": first.id_number, "created": 0, "clear_refusals": 0, "other": 0}
    try:
        for person in (first, second):
            browser = Browser(run)
            otp_path, code = register_up_to_otp(browser, person)
            resp = submit_otp_with_replay(browser, otp_path, code, "plain", "reg")
            page = browser.page("reg password (GET)", path_of(resp.headers["Location"]))
            browsers.append(browser)
            pages.append(page)
    except Unexpected:
        with run.out.lock:
            run.out.failed_registrations.append(first.id_number)
        raise
    a, b = run.replicas
    calls = []
    for browser, page, person, replica in zip(
        browsers, pages, (first, second), (a, b), strict=True
    ):
        action, hidden = forms_of(page)[0]
        data = {"password": person.password, "password_confirm": person.password}
        calls.append(
            lambda br=browser, ac=action, hi=hidden, da=data, re_=replica: br.post(
                "reg password (POST, duplicate race)", ac, hi, da, (302, 409), re_
            )
        )
    answers = race(*calls)
    winner = None
    for person, browser, answer in zip((first, second), browsers, answers, strict=True):
        if isinstance(answer, Exception):
            pair["other"] += 1
            continue
        if answer.status_code == 302:
            pair["created"] += 1
            winner = (person, browser, answer)
        elif ACCOUNT_EXISTS_TEXT in answer.text:
            pair["clear_refusals"] += 1
            run.rec.refused("duplicate registration: the loser told the account exists")
        else:
            pair["other"] += 1
    with run.out.lock:
        run.out.pairs.append(pair)
    if winner is None:
        raise run.rec.error("duplicate pair", f"{first.id_number}: no account created")
    person, browser, answer = winner
    run.out.add_completed(person)
    browser.request("reg done (GET)", "GET", path_of(answer.headers["Location"]), (200,))
    if pair["created"] != 1 or pair["clear_refusals"] != 1:
        raise run.rec.error("duplicate pair", f"{first.id_number}: {pair}")
    run.new_citizens.put(person)


# Login ----------------------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def login(run: Run, person: Person, mode: str, newly_registered: bool) -> None:
    """A relying party's authorization request through to the token and userinfo."""
    browser = Browser(run)
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(12)
    params = {
        "response_type": "code",
        "client_id": run.client["client_id"],
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile phone",
        "state": state,
        "nonce": secrets.token_urlsafe(12),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    try:
        resp = browser.request(
            "login authorize", "GET", "/oauth2/authorize?" + urlencode(params), (302,)
        )
        page = browser.page("login choose (GET)", path_of(resp.headers["Location"]))
        resp = browser.fill("login method (POST)", page, {"method": "password"})
        page = browser.page("login password (GET)", path_of(resp.headers["Location"]))
        credentials = {"username": person.id_number, "password": person.password}
        resp, code = send_and_read(
            browser, "login password (POST)", page, credentials, person.phone_e164
        )
        resp = submit_otp_with_replay(
            browser, path_of(resp.headers["Location"]), code, mode, "login"
        )
        with run.out.lock:
            run.out.login_otps_accepted += 1
        resume = path_of(resp.headers["Location"])
        resp = browser.request("login resume", "GET", resume, (302,))
        callback = resp.headers["Location"]
        if not callback.startswith(REDIRECT_URI):
            raise run.rec.error("login resume", f"went to {callback[:80]}")
        query = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
        if query.get("state") != state or "code" not in query:
            raise run.rec.error("login callback", f"no code or wrong state: {sorted(query)}")
        if mode == "replay":  # the finished flow's resume, again: no second code
            again = browser.request("login resume replay", "GET", resume, (302, 400))
            if REDIRECT_URI in again.headers.get("Location", ""):
                raise run.rec.error("resume replay", "a second authorization response")
        tokens = token_and_userinfo(run, browser, query["code"], verifier)
    except Unexpected:
        with run.out.lock:
            run.out.failed_logins += 1
        raise
    with run.out.lock:
        run.out.logins.append({"id_number": person.id_number, "new": newly_registered, **tokens})


def token_and_userinfo(run: Run, browser: Browser, code: str, verifier: str) -> dict:
    """The relying party redeems the code on one replica and calls userinfo on the other."""
    rp = requests.Session()
    rp.headers["X-Forwarded-For"] = RP_ADDRESS
    token_replica, info_replica = browser.next_replica(), browser.next_replica()
    started = time.monotonic()
    try:
        resp = rp.post(
            token_replica.url + "/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
            auth=(run.client["client_id"], run.client["client_secret"]),
            timeout=TIMEOUT,
        )
        run.rec.timed("token (POST)", time.monotonic() - started)
        if resp.status_code != 200:
            raise run.rec.error(f"token HTTP {resp.status_code}", resp.text[:200])
        access_token = resp.json()["access_token"]
        started = time.monotonic()
        info = rp.get(
            info_replica.url + "/oauth2/userinfo",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=TIMEOUT,
        )
        run.rec.timed("userinfo (GET)", time.monotonic() - started)
    except requests.RequestException as exc:
        raise run.rec.error(f"transport error ({type(exc).__name__})", "token/userinfo") from None
    if info.status_code != 200:
        raise run.rec.error(f"userinfo HTTP {info.status_code}", info.text[:200])
    claims = info.json()
    return {"userinfo": info.status_code, "sub": claims.get("sub"), "name": claims.get("name")}


# -- scheduling --------------------------------------------------------------------------


class NewCitizens:
    """Newly registered citizens, each handed to one login."""

    def __init__(self):
        self.cond = threading.Condition()
        self.ready: list[Person] = []
        self.registrations_left = 0

    def put(self, person: Person) -> None:
        with self.cond:
            self.ready.append(person)
            self.cond.notify_all()

    def registration_ended(self) -> None:
        with self.cond:
            self.registrations_left -= 1
            self.cond.notify_all()

    def take(self, wait: float) -> Person | None:
        deadline = time.monotonic() + wait
        with self.cond:
            while not self.ready and self.registrations_left > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return self.ready.pop(0) if self.ready else None


@dataclass
class Plan:
    """What the run does: the people, the tasks in their (shuffled) order."""

    seeded: list[Person]
    registry: list[tuple[str, str]]  # (phone, id_number) for the "chính chủ" registry
    tasks: list[tuple[str, Callable[[Run], None]]]
    registration_tasks: int
    registration_flows: int
    login_tasks: int


def make_plan(registrations: int, logins: int, seed: int) -> Plan:
    rng = random.Random(seed)
    pairs = max(1, registrations // 10)  # 20 % of registration flows race as pairs
    abandon_details = max(1, registrations // 10)
    abandon_otp = max(1, registrations // 10)
    singles = max(1, registrations - 2 * pairs - abandon_details - abandon_otp)
    serial = itertools.count(1)
    registry: list[tuple[str, str]] = []
    tasks: list[tuple[str, Callable[[Run], None]]] = []

    def newcomer() -> Person:
        person = make_person(rng, next(serial), "079", "098")
        registry.append((person.phone, person.id_number))
        return person

    for i in range(singles):
        person = newcomer()
        mode = "race" if i % 4 == 0 else "replay" if i % 2 == 1 else "plain"
        tasks.append(("registration", lambda run, p=person, m=mode: registration(run, p, None, m)))
    for stop_after, count in (("details", abandon_details), ("otp", abandon_otp)):
        for _ in range(count):
            person = newcomer()
            tasks.append(
                (
                    "registration",
                    lambda run, p=person, s=stop_after: registration(run, p, s, "plain"),
                )
            )
    for i in range(pairs):
        first = newcomer()
        second = first
        if i % 2 == 1:  # the same citizen with two phones, both theirs in the registry
            second = Person(**{**first.__dict__, "phone": f"097{next(serial):07d}"})
            registry.append((second.phone, second.id_number))
        tasks.append(("registration", lambda run, a=first, b=second: duplicate_pair(run, a, b)))

    # Seeded citizens: at most 4 logins each (the per-phone cap is 5 OTPs an hour).
    seeded = [make_person(rng, n, "001", "091") for n in range(1, max(4, logins // 4 + 2))]
    for i in range(logins):
        mode = "race" if i % 5 == 0 else "replay" if i % 2 == 1 else "plain"
        tasks.append(("login", lambda run, m=mode, new=i % 2 == 1: _login(run, m, new)))
    rng.shuffle(tasks)
    return Plan(
        seeded=seeded,
        registry=registry,
        tasks=tasks,
        registration_tasks=singles + abandon_details + abandon_otp + pairs,
        registration_flows=singles + abandon_details + abandon_otp + 2 * pairs,
        login_tasks=logins,
    )


class SeededPool:
    """The seeded citizens, the least used one first."""

    def __init__(self, people: list[Person]):
        self.lock = threading.Lock()
        self.uses = {p.id_number: 0 for p in people}
        self.people = {p.id_number: p for p in people}

    def take(self) -> Person:
        with self.lock:
            id_number = min(self.uses, key=lambda n: (self.uses[n], n))
            self.uses[id_number] += 1
            return self.people[id_number]


def _login(run: Run, mode: str, prefer_new: bool) -> None:
    """Half the logins are of newly registered citizens (each once), when there are any."""
    person = run.new_citizens.take(NEW_CITIZEN_WAIT) if prefer_new else None
    if person is not None:
        login(run, person, mode, True)
    else:
        login(run, run.seeded.take(), mode, False)


# -- replicas' memory --------------------------------------------------------------------


def group_rss_kib(pgid: int) -> tuple[int, int]:
    """(current RSS summed, largest peak RSS of one process) of a process group, KiB."""
    total = peak = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(stat[stat.rfind(")") + 2 :].split()[2]) != pgid:
                continue
            status = Path(f"/proc/{entry}/status").read_text()
        except (OSError, ValueError, IndexError):
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        total += int(fields.get("VmRSS", "0 kB").split()[0])
        peak = max(peak, int(fields.get("VmHWM", "0 kB").split()[0]))
    return total, peak


class MemoryWatch(threading.Thread):
    """Samples each replica's summed RSS (master and workers) twice a second."""

    def __init__(self, replicas: tuple[Replica, Replica]):
        super().__init__(daemon=True)
        self.replicas = replicas
        self.peak_total = {r.name: 0 for r in replicas}
        self.peak_process = {r.name: 0 for r in replicas}
        self.stopping = threading.Event()

    def sample(self) -> None:
        for replica in self.replicas:
            total, peak = group_rss_kib(replica.process.pid)
            self.peak_total[replica.name] = max(self.peak_total[replica.name], total)
            self.peak_process[replica.name] = max(self.peak_process[replica.name], peak)

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            self.sample()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
        self.sample()


# -- integrity ---------------------------------------------------------------------------


def check_integrity(conninfo: str, out: Outcomes) -> tuple[list[str], dict]:
    """Every violation found in PostgreSQL, the audit trail and the answers; and counts."""
    violations: list[str] = []
    facts: dict = {}
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute("SELECT id_number, phone, subject FROM citizen").fetchall()
        by_id: dict[str, list[tuple[str, str]]] = defaultdict(list)
        by_phone: dict[str, list[str]] = defaultdict(list)
        for id_number, phone, subject in rows:
            by_id[id_number].append((phone, subject))
            by_phone[phone].append(id_number)
        facts["citizens in the database"] = len(rows)
        for id_number, found in by_id.items():
            if len(found) > 1:
                violations.append(f"{len(found)} accounts with identity number {id_number}")
        for phone, owners in by_phone.items():
            if len(owners) > 1:
                violations.append(f"{len(owners)} accounts with phone {phone}: {owners}")
        for id_number in out.completed_twice:
            violations.append(f"registration of {id_number} reported complete twice")
        for id_number, person in out.completed.items():
            found = by_id.get(id_number, [])
            if len(found) != 1:
                violations.append(f"completed registration {id_number}: {len(found)} accounts")
            elif found[0][0] != person.phone_e164:
                violations.append(f"{id_number}: phone {found[0][0]} != {person.phone_e164}")
        expected = set(out.seeded) | set(out.completed)
        for id_number in sorted(set(by_id) - expected):
            violations.append(f"account {id_number} exists without a completed registration")
        for person in out.abandoned:
            if person.id_number in by_id:
                violations.append(f"abandoned registration {person.id_number} has an account")
        for pair in out.pairs:
            if pair["created"] != 1 or pair["clear_refusals"] != 1 or pair["other"]:
                violations.append(f"duplicate pair {pair}")
        if out.replays["accepted"]:
            violations.append(f"{out.replays['accepted']} replayed OTPs accepted")
        for race_ in out.races:
            if race_["accepted"] != 1:
                violations.append(f"OTP submitted twice at once, accepted {race_['accepted']}x")
        for done in out.logins:
            subject = [s for _, s in by_id.get(done["id_number"], [])]
            if done["userinfo"] != 200 or subject != [done["sub"]]:
                violations.append(f"login of {done['id_number']}: userinfo {done}")

        def audit_count(where: str) -> int:
            return conn.execute(f"SELECT count(*) FROM audit_event WHERE {where}").fetchone()[0]

        created = audit_count("event = 'citizen.created' AND actor = 'registration'")
        signed_in = audit_count(
            "event = 'login.success' AND details::jsonb ->> 'via' = 'registration'"
        )
        logged_in = audit_count("event = 'login.success' AND details::jsonb ->> 'via' IS NULL")
        facts["audit citizen.created (registration)"] = created
        facts["audit login.success (registration)"] = signed_in
        facts["audit login.success (login OTP accepted)"] = logged_in
        otp_failed = conn.execute(
            "SELECT details::jsonb ->> 'reason', count(*) FROM audit_event "
            "WHERE event = 'otp.failed' GROUP BY 1 ORDER BY 1"
        ).fetchall()
        facts["audit otp.failed by reason"] = dict(otp_failed)
        if created != len(out.completed):
            violations.append(f"audit: {created} accounts created, {len(out.completed)} completed")
        if signed_in != len(out.completed):
            violations.append(f"audit: {signed_in} sign-ins at registration end")
        if logged_in != out.login_otps_accepted:
            violations.append(
                f"audit: {logged_in} login.success, {out.login_otps_accepted} login OTPs accepted"
            )
    return violations, facts


# -- report ------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


@dataclass
class Result:
    violations: list[str]
    figures: dict
    latencies: dict[str, tuple[int, float, float]]  # step → (count, p50 ms, p99 ms)
    errors: dict[str, int]
    refusals: dict[str, int]
    error_samples: list[str]
    outcomes: Outcomes

    @property
    def ok(self) -> bool:
        return not self.violations

    def table(self) -> str:
        lines = ["| Figure | Value |", "|---|---|"]
        lines += [f"| {name} | {value} |" for name, value in self.figures.items()]
        lines += ["", "| Step | Requests | p50 ms | p99 ms |", "|---|---:|---:|---:|"]
        for step, (count, p50, p99) in self.latencies.items():
            lines.append(f"| {step} | {count} | {p50:.0f} | {p99:.0f} |")
        lines += ["", "| Answer | Count |", "|---|---:|"]
        for kind, count in sorted(self.refusals.items()):
            lines.append(f"| expected refusal: {kind} | {count} |")
        for kind, count in sorted(self.errors.items()):
            lines.append(f"| UNEXPECTED: {kind} | {count} |")
        if not self.errors:
            lines.append("| unexpected answers (5xx, transport errors, other statuses) | 0 |")
        return "\n".join(lines)


STEP_ORDER = [
    "reg /register",
    "reg method (GET)",
    "reg method (POST)",
    "reg details (GET)",
    "reg details (POST)",
    "reg otp (GET)",
    "reg otp (POST)",
    "reg otp (POST, race)",
    "reg otp replay (POST)",
    "reg password (GET)",
    "reg password (POST)",
    "reg password (POST, duplicate race)",
    "reg done (GET)",
    "login authorize",
    "login choose (GET)",
    "login method (POST)",
    "login password (GET)",
    "login password (POST)",
    "login otp (GET)",
    "login otp (POST)",
    "login otp (POST, race)",
    "login otp replay (POST)",
    "login resume",
    "login resume replay",
    "token (POST)",
    "userinfo (GET)",
]


# -- the whole run -----------------------------------------------------------------------


def _loopback_only(database_url: str, redis_url: str) -> None:
    db_host = make_url(database_url).host or "127.0.0.1"
    redis_host = urlsplit(redis_url).hostname or "127.0.0.1"
    for what, host in (("DATABASE_URL", db_host), ("REDIS_URL", redis_host)):
        if host not in LOOPBACK:
            raise SystemExit(f"{what} must be on loopback for this run, not {host}")


def _seed(env: dict[str, str], workdir: Path, people: list[Person]) -> dict[str, str]:
    path = workdir / "seed.jsonl"
    path.write_text("".join(json.dumps(p.seed_record()) + "\n" for p in people))
    done = subprocess.run(
        [sys.executable, "-m", "tests.load.seed", str(path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise AssertionError(f"seeding failed:\n{done.stderr[-3000:]}")
    return {row["id_number"]: row["sub"] for row in map(json.loads, done.stdout.splitlines())}


def _forget_redis_keys(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
    finally:
        client.close()


def run(
    *,
    registrations: int,
    logins: int,
    concurrency: int,
    database_url: str,
    redis_url: str,
    workers: int = 2,
    seed: int = 2026,
    workdir: Path | None = None,
    log: Callable[[str], None] = print,
    before_drop: Callable[[str, Result], None] | None = None,
) -> Result:
    """Start two replicas, run the load, check integrity; the result (never raises on
    a violation: ``Result.violations`` lists them). ``before_drop`` is called with the
    database's conninfo and the result before the database is dropped."""
    _loopback_only(database_url, redis_url)
    own_workdir = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="idp-load-")) if workdir is None else workdir
    database = TemporaryDatabase(database_url, "load_integrity")
    env = {**replica_env(database.url, redis_url, workdir), **LOAD_SETTINGS}
    env["REDIS_PREFIX"] = f"load-integrity:{secrets.token_hex(4)}:"
    plan = make_plan(registrations, logins, seed)
    replicas: list[Replica] = []
    try:
        log(f"setting up database {database.name}, Redis prefix {env['REDIS_PREFIX']}")
        idp_command(env, "db", "upgrade")
        idp_command(env, "keys", "generate")
        client = json.loads(
            idp_command(
                env,
                *("clients", "create", "--name", "Cổng DVC tỉnh (load test)"),
                *("--redirect-uri", REDIRECT_URI, "--trusted"),
            )
        )
        csv = workdir / "subscribers.csv"
        csv.write_text("phone,id_number\n" + "".join(f"{p},{n}\n" for p, n in plan.registry))
        idp_command(env, "subscribers", "import", str(csv))
        subjects = _seed(env, workdir, plan.seeded)
        log(f"seeded {len(subjects)} citizens, {len(plan.registry)} subscriber rows")
        for name in ("a", "b"):
            replica = Replica(name, env, workdir / f"replica-{name}.log", workers=workers)
            replicas.append(replica.start())
        result = _load(plan, (replicas[0], replicas[1]), client, workdir, concurrency, seed, log)
        threads = env.get("GRANIAN_BLOCKING_THREADS", SERVER_DEFAULTS["GRANIAN_BLOCKING_THREADS"])
        result.figures["replica workers"] = (
            f"2 replicas × {workers} granian workers × {threads} threads"
        )
        result.violations += _log_problems(replicas)
        conninfo = make_url(database.url).set(drivername="postgresql").render_as_string(False)
        violations, facts = check_integrity(conninfo, result.outcomes)
        result.violations = violations + result.violations
        # Every refusal by the OTP check itself is in the audit trail, and nothing else is.
        used_up = sum(n for kind, n in result.refusals.items() if "the code is used up" in kind)
        audited = sum(facts["audit otp.failed by reason"].values())
        if audited != used_up:
            result.violations.append(f"audit: {audited} otp.failed, {used_up} seen refused")
        for kind, count in result.errors.items():
            result.violations.append(f"{count} unexpected answers: {kind}")
        result.figures.update(facts)
        if before_drop is not None:
            before_drop(conninfo, result)
        return result
    finally:
        for replica in replicas:
            replica.stop()
        database.drop()
        _forget_redis_keys(redis_url, env["REDIS_PREFIX"])
        if own_workdir:
            shutil.rmtree(workdir, ignore_errors=True)


def _log_problems(replicas: list[Replica]) -> list[str]:
    """Tracebacks or failed audit writes in the replicas' logs."""
    found = []
    for replica in replicas:
        text = replica.log_path.read_text(errors="replace")
        for marker in ("Traceback", "audit write failed"):
            if marker in text:
                found.append(f"replica {replica.name} log: {text.count(marker)}× {marker!r}")
    return found


def _load(plan, replicas, client, workdir, concurrency, seed, log) -> Result:
    run_ = Run(
        replicas=replicas,
        client=client,
        outbox=Outbox(workdir / "outbox.jsonl"),
        rng=random.Random(seed + 1),
    )
    run_.out.seeded = {p.id_number: p for p in plan.seeded}
    run_.new_citizens.registrations_left = plan.registration_tasks
    run_.seeded = SeededPool(plan.seeded)
    memory = MemoryWatch(replicas)
    memory.start()
    log(
        f"running {plan.registration_flows} registration flows and {plan.login_tasks} logins, "
        f"{concurrency} at a time"
    )

    def task(kind: str, call: Callable[[Run], None]) -> None:
        try:
            call(run_)
        except Unexpected:
            pass  # counted by the recorder
        except Exception as exc:
            run_.rec.error(f"driver {type(exc).__name__}", traceback.format_exc()[-400:])
        finally:
            if kind == "registration":
                run_.new_citizens.registration_ended()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for kind, call in plan.tasks:
            pool.submit(task, kind, call)
    seconds = time.monotonic() - started
    memory.stop()

    out, rec = run_.out, run_.rec
    new_logins = sum(1 for done in out.logins if done["new"])
    figures = {
        "wall time of the load (s)": f"{seconds:.1f}",
        "concurrent virtual citizens": concurrency,
        "HTTP requests": rec.requests,
        "requests/s": f"{rec.requests / seconds:.1f}",
        "registration flows started": plan.registration_flows,
        "registrations completed": len(out.completed),
        "registrations/s (completed)": f"{len(out.completed) / seconds:.2f}",
        "abandoned (after details / after OTP)": len(out.abandoned),
        "duplicate pairs (same number, racing)": len(out.pairs),
        "logins completed (token + userinfo 200)": len(out.logins),
        "of which newly registered citizens": new_logins,
        "logins/s (completed)": f"{len(out.logins) / seconds:.2f}",
        "OTP replays after acceptance (refused/attempted)": (
            f"{out.replays['attempted'] - out.replays['accepted']}/{out.replays['attempted']}"
        ),
        "OTP double submissions at once (one accepted each)": (
            f"{sum(1 for r in out.races if r['accepted'] == 1)}/{len(out.races)}"
        ),
        "peak RSS replica a (sum of processes, MiB)": f"{memory.peak_total['a'] / 1024:.0f}",
        "peak RSS replica b (sum of processes, MiB)": f"{memory.peak_total['b'] / 1024:.0f}",
        "largest peak RSS of one process (MiB)": (
            f"{max(memory.peak_process.values()) / 1024:.0f}"
        ),
    }
    steps = sorted(rec.latencies, key=lambda s: [*STEP_ORDER, s].index(s))
    latencies = {
        step: (
            len(rec.latencies[step]),
            percentile(rec.latencies[step], 0.5) * 1000,
            percentile(rec.latencies[step], 0.99) * 1000,
        )
        for step in steps
    }
    violations = []  # a run that did nothing proves nothing
    if not out.completed:
        violations.append("no registration completed")
    if not out.logins:
        violations.append("no login completed")
    return Result(
        violations=violations,
        figures=figures,
        latencies=latencies,
        errors=dict(rec.errors),
        refusals=dict(rec.refusals),
        error_samples=list(rec.error_samples),
        outcomes=out,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrations", type=int, default=300)
    parser.add_argument("--logins", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="granian workers per replica")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL")
        or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server on loopback; the run creates and drops its own database",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
        help="a Redis on loopback; the run uses (and then deletes) its own key prefix",
    )
    args = parser.parse_args(argv)
    for name in ("registrations", "logins", "concurrency", "workers"):
        if not 1 <= getattr(args, name) <= 5000:
            parser.error(f"--{name} must be between 1 and 5000")
    result = run(
        registrations=args.registrations,
        logins=args.logins,
        concurrency=args.concurrency,
        database_url=args.database_url,
        redis_url=args.redis_url,
        workers=args.workers,
        seed=args.seed,
    )
    print()
    print(result.table())
    print()
    if result.error_samples:
        print("First unexpected answers:")
        for sample in result.error_samples:
            print("  " + sample.replace("\n", " ")[:300])
    if result.ok:
        print("INTEGRITY OK: every check passed.")
        return 0
    print(f"INTEGRITY VIOLATIONS ({len(result.violations)}):")
    for violation in result.violations[:50]:
        print("  " + violation)
    return 1


if __name__ == "__main__":
    sys.exit(main())
