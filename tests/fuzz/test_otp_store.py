"""A Hypothesis state machine over ``idp.otp.OtpService`` and the store behind it.

Arbitrary interleavings of sends (first and "Gửi lại OTP", to shared phones, with the
SMS gateway sometimes down), verifications with the right code, a wrong one, an old
one, another flow's, garbage and arbitrary text, and the passing of time, are run
against a small model of the rules in ``idp/otp.py``. The machine checks that a code is
accepted at most once and only while it is the flow's live code, that the fifth try
kills a code, that cooldown and the hourly cap hold, and that nothing but
``DomainError`` (and ``ServiceUnavailable`` from a failing gateway) comes out.

The in-process store always runs, sharing the fake clock with the service so that every
TTL can elapse. With ``REDIS_URL`` set (as ``tests/conftest.py`` decides) the machine also
runs on Redis; there the store's TTLs are real seconds, so only the service's clock moves
(codes expire through their ``expires_at``) and cooldowns and the hourly count never lapse
during a run.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from idp.errors import DomainError, ServiceUnavailable
from idp.otp import (
    OTP_COOLDOWN,
    OTP_EXPIRED,
    OTP_FORMAT,
    OTP_HOURLY_LIMIT,
    OTP_TOO_MANY,
    OTP_WRONG,
    OtpPolicy,
    OtpService,
)
from idp.store import MemoryStore
from tests.conftest import REAL_REDIS

POLICY = OtpPolicy()
SUBJECTS = ("flow-a", "flow-b", "flow-c", "flow-d", "flow-e", "flow-f")
PHONES = ("+84912345678", "+84987654321")
PURPOSES = st.sampled_from(["login", "registration", "recovery", "complaint", "x"]) | st.text(
    max_size=20
)
STEPS = st.sampled_from([1, 30, 59, 60, 61, 150, 299, 300, 301, 1800, 3599, 3600, 3601])
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class Gateway:
    def __init__(self) -> None:
        self.codes: list[str] = []
        self.down = False

    def send(self, to_e164: str, text: str) -> None:
        if self.down:
            raise ServiceUnavailable("sms")
        [code] = [c for c in re.findall(r"\d+", text) if len(c) == POLICY.digits]
        self.codes.append(code)


@dataclass
class Flow:
    code: str | None = None  # the live code (None: nothing to accept)
    expires_at: float = 0.0
    tries: int = 0
    cooldown_until: float = float("-inf")
    old_codes: list[str] = field(default_factory=list)
    accepted: set[str] = field(default_factory=set)


@dataclass
class Sends:
    count: int = 0
    window_end: float = float("-inf")


def _normalised(entered: str) -> str:
    return "".join(unicodedata.normalize("NFKC", entered).split())


def _well_formed(entered: str) -> bool:
    text = _normalised(entered)
    return len(text) == POLICY.digits and text.isascii() and text.isdigit()


def _other(code: str, delta: int) -> str:
    return f"{(int(code) + delta) % 10**POLICY.digits:0{POLICY.digits}d}"


def _wrong_length_digits():
    lengths = st.integers(0, 12).filter(lambda n: n != POLICY.digits)
    return lengths.flatmap(lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n))


GARBAGE = st.one_of(
    _wrong_length_digits(),
    st.text(alphabet="abcxyzOoIl-_.,;!?/+ ", min_size=1, max_size=10).filter(
        lambda s: not _well_formed(s)
    ),
    st.text(max_size=12).filter(lambda s: not _well_formed(s)),
    st.just("\x00" * 6),
    st.just("１２３４５"),
)


class OtpMachine(RuleBasedStateMachine):
    """The service under test against the model (``flows``, ``sends``)."""

    backend = "memory"

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.gateway = Gateway()
        if self.backend == "redis":
            from idp.store.redis_store import RedisStore

            self.store = RedisStore(REAL_REDIS, prefix=f"test:fuzz-otp:{secrets.token_hex(6)}:")
            self.store_clock_moves = False
        else:
            self.store = MemoryStore(clock=self.clock)
            self.store_clock_moves = True
        self.service = OtpService(
            self.store, self.gateway, POLICY, b"fuzz-secret-key", clock=self.clock
        )
        self.flows = {subject: Flow() for subject in SUBJECTS}
        self.sends = {phone: Sends() for phone in PHONES}

    def teardown(self) -> None:
        if self.backend == "redis":
            keys = list(self.store._redis.scan_iter(f"{self.store.prefix}*"))
            if keys:
                self.store._redis.delete(*keys)
            self.store.close()

    # -- the model ------------------------------------------------------------------------

    def _live(self, flow: Flow) -> bool:
        return flow.code is not None and self.clock.now < flow.expires_at

    def _kill(self, flow: Flow) -> None:
        if flow.code is not None:
            flow.old_codes.append(flow.code)
        flow.code, flow.tries = None, 0

    def _refused(self, call, *codes: str):
        try:
            call()
        except DomainError as exc:
            assert exc.problem.code in codes, (exc.problem.code, codes)
            assert exc.problem.message and "{" not in exc.problem.message
            return exc.problem
        raise AssertionError(f"accepted, expected one of {codes}")

    # -- rules ----------------------------------------------------------------------------

    @initialize()
    def start(self) -> None:
        assert all(self.service.state(subject) is None for subject in SUBJECTS)

    @rule(subject=st.sampled_from(SUBJECTS), phone=st.sampled_from(PHONES), purpose=PURPOSES)
    def send(self, subject: str, phone: str, purpose: str) -> None:
        flow, sends, now = self.flows[subject], self.sends[phone], self.clock.now
        cooling = now < flow.cooldown_until if self.store_clock_moves else flow.cooldown_until > 0
        if cooling:
            self._refused(lambda: self.service.send(subject, phone, purpose), OTP_COOLDOWN.code)
            return
        if self.store_clock_moves and now >= sends.window_end:
            sends.count, sends.window_end = 0, now + 3600
        sends.count += 1
        if sends.count > POLICY.max_sends_per_hour:
            self._refused(lambda: self.service.send(subject, phone, purpose), OTP_HOURLY_LIMIT.code)
            return
        sent_before = len(self.gateway.codes)
        if self.gateway.down:
            with pytest.raises(ServiceUnavailable):
                self.service.send(subject, phone, purpose)
            # The new code never arrived and the old one is gone; no cooldown either.
            self._kill(flow)
            flow.cooldown_until = float("-inf")
            return
        state = self.service.send(subject, phone, purpose)
        assert len(self.gateway.codes) == sent_before + 1
        assert (state.phone_e164, state.tries_left) == (phone, POLICY.max_attempts)
        self._kill(flow)
        flow.code = self.gateway.codes[-1]
        flow.expires_at = now + POLICY.ttl
        flow.cooldown_until = now + POLICY.resend_cooldown

    @rule(phone=st.sampled_from(PHONES))
    def send_in_every_flow(self, phone: str) -> None:
        """Many flows for one phone at once (SMS pumping): the hourly cap must hold."""
        for subject in SUBJECTS:
            self.send(subject, phone, "login")

    @rule(down=st.booleans())
    def gateway_state(self, down: bool) -> None:
        self.gateway.down = down

    @rule(subject=st.sampled_from(SUBJECTS), spacing=st.sampled_from(["", " ", "fullwidth"]))
    def verify_right_code(self, subject: str, spacing: str) -> None:
        flow = self.flows[subject]
        if flow.code is None:
            self._expect(subject, "0" * POLICY.digits if not flow.old_codes else flow.old_codes[-1])
            return
        entered = flow.code
        if spacing == " ":
            entered = " ".join(entered)
        elif spacing == "fullwidth":
            entered = entered.translate(FULL_WIDTH)
        self._expect(subject, entered)

    @rule(subject=st.sampled_from(SUBJECTS), delta=st.integers(1, 10**6 - 1))
    def verify_wrong_code(self, subject: str, delta: int) -> None:
        flow = self.flows[subject]
        base = flow.code or (flow.old_codes[-1] if flow.old_codes else "000000")
        self._expect(subject, _other(base, delta))

    @precondition(lambda self: any(f.old_codes or f.accepted for f in self.flows.values()))
    @rule(subject=st.sampled_from(SUBJECTS), data=st.data())
    def verify_old_or_used_code(self, subject: str, data) -> None:
        spent = sorted({c for f in self.flows.values() for c in (*f.old_codes, *f.accepted)})
        self._expect(subject, data.draw(st.sampled_from(spent)))

    @rule(subject=st.sampled_from(SUBJECTS), other=st.sampled_from(SUBJECTS))
    def verify_another_flows_code(self, subject: str, other: str) -> None:
        code = self.flows[other].code
        if code is not None:
            self._expect(subject, code)

    @rule(subject=st.sampled_from(SUBJECTS), entered=GARBAGE)
    def verify_garbage(self, subject: str, entered: str) -> None:
        self._expect(subject, entered)

    @rule(subject=st.sampled_from(SUBJECTS))
    def verify_none(self, subject: str) -> None:
        flow = self.flows[subject]
        if self._live(flow):
            self._refused(lambda: self.service.verify(subject, None), OTP_FORMAT.code)
        else:
            self._refused(lambda: self.service.verify(subject, None), OTP_EXPIRED.code)

    @rule(seconds=STEPS)
    def time_passes(self, seconds: int) -> None:
        self.clock.now += seconds

    @rule(subject=st.sampled_from(SUBJECTS))
    def discard(self, subject: str) -> None:
        self.service.discard(subject)
        flow = self.flows[subject]
        self._kill(flow)
        flow.cooldown_until = float("-inf")

    # -- verification against the model ---------------------------------------------------

    def _expect(self, subject: str, entered: str) -> None:
        flow = self.flows[subject]
        call = lambda: self.service.verify(subject, entered)  # noqa: E731
        if not self._live(flow):
            self._refused(call, OTP_EXPIRED.code)
            return
        if not _well_formed(entered):
            self._refused(call, OTP_FORMAT.code)
            return
        flow.tries += 1
        if _normalised(entered) == flow.code:
            assert flow.code not in flow.accepted, "a code was accepted twice"
            call()  # must not raise
            flow.accepted.add(flow.code)
            self._kill(flow)
            return
        if flow.tries >= POLICY.max_attempts:
            self._refused(call, OTP_TOO_MANY.code)
            self._kill(flow)
            return
        problem = self._refused(call, OTP_WRONG.code)
        assert str(POLICY.max_attempts - flow.tries) in problem.message

    @invariant()
    def page_state_matches(self) -> None:
        for subject, flow in self.flows.items():
            state = self.service.state(subject)
            if not self._live(flow):
                assert state is None, (subject, state)
                continue
            assert state is not None, subject
            assert state.tries_left == POLICY.max_attempts - flow.tries
            assert 0 < state.expires_in <= POLICY.ttl


MACHINE_SETTINGS = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


OtpMachine.TestCase.settings = MACHINE_SETTINGS
TestOtpOnMemoryStore = OtpMachine.TestCase


class RedisOtpMachine(OtpMachine):
    backend = "redis"


RedisOtpMachine.TestCase.settings = settings(MACHINE_SETTINGS, max_examples=25)
TestOtpOnRedis = pytest.mark.skipif(not REAL_REDIS, reason="REDIS_URL is not set")(
    RedisOtpMachine.TestCase
)
