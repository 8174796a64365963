"""The OTP rules (idp.otp): MemoryStore, a fake SMS gateway and a fake clock."""

from __future__ import annotations

import json
import re
import threading
import unicodedata

import pytest

from idp import otp as otp_module
from idp.errors import DomainError, Problem, ServiceUnavailable
from idp.otp import (
    OTP_COOLDOWN,
    OTP_EXPIRED,
    OTP_FORMAT,
    OTP_HOURLY_LIMIT,
    OTP_TOO_MANY,
    OTP_WRONG,
    OtpPolicy,
    OtpService,
    OtpState,
)
from idp.store import MemoryStore

PHONE = "+84912345678"
OTHER_PHONE = "+84987654321"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeGateway:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.down = False

    def send(self, to_e164: str, text: str) -> None:
        if self.down:
            raise ServiceUnavailable("sms")
        self.messages.append((to_e164, text))

    def last_code(self) -> str:
        return code_in(self.messages[-1][1])


def code_in(text: str) -> str:
    codes = re.findall(r"\d+", text)
    six = [c for c in codes if len(c) == 6]
    assert len(six) == 1, text
    assert all(len(c) < 6 for c in codes if c != six[0]), text
    return six[0]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock=clock)


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def service(store: MemoryStore, gateway: FakeGateway, clock: FakeClock) -> OtpService:
    return OtpService(store, gateway, OtpPolicy(), b"test-secret-key", clock=clock)


def refused(call, problem: Problem) -> DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as info:
        call()
    assert info.value.problem.code == problem.code
    return info.value


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# -- sending ----------------------------------------------------------------------------------


def test_send_delivers_a_vietnamese_sms_whose_only_six_digit_number_is_the_code(
    service: OtpService, gateway: FakeGateway
) -> None:
    state = service.send("flow-1", PHONE, "register")
    assert state == OtpState(PHONE, "register", expires_in=300, resend_in=60, tries_left=5)
    [(to, text)] = gateway.messages
    assert to == PHONE
    code = code_in(text)
    assert code.isdigit() and len(code) == 6
    assert text == unicodedata.normalize("NFC", text)
    assert "Mã xác thực (OTP)" in text
    assert "đăng ký tài khoản" in text
    assert "5 phút" in text
    assert "Không chia sẻ mã này với bất kỳ ai." in text


def test_sms_text_without_known_purpose(service: OtpService, gateway: FakeGateway) -> None:
    service.send("flow-1", PHONE, "something-else")
    assert gateway.messages[0][1].startswith("Mã xác thực (OTP) của bạn là ")


def test_codes_vary(service: OtpService, gateway: FakeGateway) -> None:
    for i in range(5):
        service.send(f"flow-{i}", f"+8491234567{i}", "login")
    assert len({code_in(text) for _, text in gateway.messages}) > 1


def test_the_code_itself_is_not_stored(
    service: OtpService, gateway: FakeGateway, store: MemoryStore
) -> None:
    service.send("flow-1", PHONE, "login")
    record = store.get("otp:flow-1")
    assert record is not None
    assert gateway.last_code() not in json.dumps(record)
    assert record["phone"] == PHONE and record["purpose"] == "login"
    assert store.ttl("otp:flow-1") == 300


# -- verifying --------------------------------------------------------------------------------


def test_correct_code_is_accepted_once(service: OtpService, gateway: FakeGateway) -> None:
    service.send("flow-1", PHONE, "login")
    code = gateway.last_code()
    service.verify("flow-1", code)
    refused(lambda: service.verify("flow-1", code), OTP_EXPIRED)
    assert service.state("flow-1") is None


def test_spaces_and_full_width_digits_are_accepted(
    service: OtpService, gateway: FakeGateway
) -> None:
    service.send("flow-1", PHONE, "login")
    code = gateway.last_code()
    service.verify("flow-1", f" {code[:3]} {code[3:]} ")
    service.send("flow-2", OTHER_PHONE, "login")
    full_width = gateway.last_code().translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    service.verify("flow-2", full_width)


def test_verify_without_a_code_sent(service: OtpService) -> None:
    refused(lambda: service.verify("never-sent", "123456"), OTP_EXPIRED)


def test_code_is_bound_to_its_flow(service: OtpService, gateway: FakeGateway) -> None:
    service.send("flow-a", PHONE, "login")
    code_a = gateway.last_code()
    service.send("flow-b", OTHER_PHONE, "login")
    code_b = gateway.last_code()
    if code_a != code_b:
        refused(lambda: service.verify("flow-b", code_a), OTP_WRONG)
    service.verify("flow-b", code_b)
    service.verify("flow-a", code_a)


def test_wrong_code_says_how_many_tries_are_left(service: OtpService, gateway: FakeGateway) -> None:
    service.send("flow-1", PHONE, "login")
    bad = wrong_code(gateway.last_code())
    error = refused(lambda: service.verify("flow-1", bad), OTP_WRONG)
    assert "còn 4 lần thử" in error.problem.message
    assert error.problem.field == "otp"
    assert service.state("flow-1").tries_left == 4  # type: ignore[union-attr]
    error = refused(lambda: service.verify("flow-1", bad), OTP_WRONG)
    assert "còn 3 lần thử" in error.problem.message


def test_five_wrong_tries_lock_the_code_until_a_resend(
    service: OtpService, gateway: FakeGateway, clock: FakeClock
) -> None:
    service.send("flow-1", PHONE, "login")
    code = gateway.last_code()
    bad = wrong_code(code)
    for left in (4, 3, 2, 1):
        error = refused(lambda: service.verify("flow-1", bad), OTP_WRONG)
        assert f"còn {left} lần thử" in error.problem.message
    refused(lambda: service.verify("flow-1", bad), OTP_TOO_MANY)
    # The code is gone, even the right one no longer works.
    refused(lambda: service.verify("flow-1", code), OTP_EXPIRED)
    assert service.state("flow-1") is None
    # A new code (after the cooldown) starts with all tries again.
    clock.advance(60)
    state = service.send("flow-1", PHONE, "login")
    assert state.tries_left == 5
    service.verify("flow-1", gateway.last_code())


def test_format_errors_do_not_use_tries(service: OtpService, gateway: FakeGateway) -> None:
    service.send("flow-1", PHONE, "login")
    for entry in ("", "12345", "1234567", "abcdef", "12a456", "١٢٣٤٥٦", "12345 67"):
        error = refused(lambda entry=entry: service.verify("flow-1", entry), OTP_FORMAT)
        assert "6 chữ số" in error.problem.message
    assert service.state("flow-1").tries_left == 5  # type: ignore[union-attr]
    service.verify("flow-1", gateway.last_code())


def test_code_expires_after_five_minutes(
    service: OtpService, gateway: FakeGateway, clock: FakeClock
) -> None:
    service.send("flow-1", PHONE, "login")
    code = gateway.last_code()
    clock.advance(299)
    assert service.state("flow-1").expires_in == 1  # type: ignore[union-attr]
    clock.advance(1)
    refused(lambda: service.verify("flow-1", code), OTP_EXPIRED)
    assert service.state("flow-1") is None


def test_code_still_valid_just_before_expiry(
    service: OtpService, gateway: FakeGateway, clock: FakeClock
) -> None:
    service.send("flow-1", PHONE, "login")
    clock.advance(299.5)
    service.verify("flow-1", gateway.last_code())


def test_concurrent_verifies_accept_the_code_once(
    service: OtpService, gateway: FakeGateway
) -> None:
    service.send("flow-1", PHONE, "login")
    code = gateway.last_code()
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        try:
            service.verify("flow-1", code)
            result = "ok"
        except DomainError as exc:
            result = exc.problem.code
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert outcomes.count("ok") == 1
    assert len(outcomes) == 20


def test_concurrent_wrong_guesses_get_no_more_than_five_tries(
    service: OtpService, gateway: FakeGateway
) -> None:
    service.send("flow-1", PHONE, "login")
    code = gateway.last_code()
    guesses = [wrong_code(f"{int(code) + i:06d}") for i in range(20)]
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(guess: str) -> None:
        barrier.wait()
        try:
            service.verify("flow-1", guess)
            result = "ok"
        except DomainError as exc:
            result = exc.problem.code
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(g,)) for g in guesses]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(outcomes) == 20
    assert outcomes.count("otp_wrong") <= 4
    assert "ok" not in outcomes
    refused(lambda: service.verify("flow-1", code), OTP_EXPIRED)


# -- resending --------------------------------------------------------------------------------


def test_resend_inside_cooldown_says_how_long_to_wait(
    service: OtpService, clock: FakeClock, gateway: FakeGateway
) -> None:
    service.send("flow-1", PHONE, "login")
    clock.advance(15)
    error = refused(lambda: service.send("flow-1", PHONE, "login"), OTP_COOLDOWN)
    assert "45 giây" in error.problem.message
    assert len(gateway.messages) == 1
    assert service.state("flow-1").resend_in == 45  # type: ignore[union-attr]
    clock.advance(44.5)
    error = refused(lambda: service.send("flow-1", PHONE, "login"), OTP_COOLDOWN)
    assert "1 giây" in error.problem.message


def test_resend_after_cooldown_invalidates_the_old_code(
    service: OtpService, gateway: FakeGateway, clock: FakeClock
) -> None:
    service.send("flow-1", PHONE, "login")
    old = gateway.last_code()
    bad = wrong_code(old)
    refused(lambda: service.verify("flow-1", bad), OTP_WRONG)
    clock.advance(60)
    assert service.state("flow-1").resend_in == 0  # type: ignore[union-attr]
    state = service.send("flow-1", PHONE, "login")
    assert state.tries_left == 5  # the wrong-try counter starts again
    new = gateway.last_code()
    if old != new:
        refused(lambda: service.verify("flow-1", old), OTP_WRONG)
    service.verify("flow-1", new)


def test_the_cooldown_is_per_flow(service: OtpService) -> None:
    service.send("flow-1", PHONE, "login")
    service.send("flow-2", OTHER_PHONE, "login")


def test_sixth_send_to_a_phone_within_an_hour_is_refused(
    service: OtpService, gateway: FakeGateway, clock: FakeClock
) -> None:
    for i in range(5):
        service.send(f"flow-{i % 2}", PHONE, "login")
        clock.advance(61)
    error = refused(lambda: service.send("flow-9", PHONE, "login"), OTP_HOURLY_LIMIT)
    assert "5 mã OTP" in error.problem.message
    assert "55 phút" in error.problem.message  # 3600 - 5 × 61 s, rounded up
    assert len(gateway.messages) == 5
    # The refusal did not start a cooldown for flow-9, and other phones are not affected.
    service.send("flow-9", OTHER_PHONE, "login")
    # An hour after the first send the phone may receive codes again.
    clock.advance(3600 - 5 * 61)
    service.send("flow-10", PHONE, "login")


def test_hourly_limit_is_shared_by_all_flows(service: OtpService) -> None:
    for i in range(5):
        service.send(f"flow-{i}", PHONE, "register")
    refused(lambda: service.send("flow-5", PHONE, "login"), OTP_HOURLY_LIMIT)


def test_gateway_failure_leaves_no_code_and_no_cooldown(
    service: OtpService, gateway: FakeGateway, store: MemoryStore
) -> None:
    gateway.down = True
    with pytest.raises(ServiceUnavailable):
        service.send("flow-1", PHONE, "login")
    assert store.get("otp:flow-1") is None
    assert service.state("flow-1") is None
    refused(lambda: service.verify("flow-1", "123456"), OTP_EXPIRED)
    gateway.down = False
    service.send("flow-1", PHONE, "login")  # a retry is allowed at once
    service.verify("flow-1", gateway.last_code())


def test_gateway_failure_on_resend_kills_the_old_code_too(
    service: OtpService, gateway: FakeGateway, clock: FakeClock
) -> None:
    service.send("flow-1", PHONE, "login")
    old = gateway.last_code()
    clock.advance(60)
    gateway.down = True
    with pytest.raises(ServiceUnavailable):
        service.send("flow-1", PHONE, "login")
    refused(lambda: service.verify("flow-1", old), OTP_EXPIRED)


# -- the page ---------------------------------------------------------------------------------


def test_state_counts_down(service: OtpService, clock: FakeClock) -> None:
    assert service.state("flow-1") is None
    service.send("flow-1", PHONE, "recovery")
    clock.advance(10)
    assert service.state("flow-1") == OtpState(
        PHONE, "recovery", expires_in=290, resend_in=50, tries_left=5
    )
    clock.advance(50)
    assert service.state("flow-1").resend_in == 0  # type: ignore[union-attr]


def test_discard_forgets_everything(service: OtpService, gateway: FakeGateway) -> None:
    service.send("flow-1", PHONE, "login")
    code = gateway.last_code()
    service.discard("flow-1")
    assert service.state("flow-1") is None
    refused(lambda: service.verify("flow-1", code), OTP_EXPIRED)


def test_a_secret_key_is_required(store: MemoryStore, gateway: FakeGateway) -> None:
    with pytest.raises(ValueError):
        OtpService(store, gateway, OtpPolicy(), b"")


def test_problems_are_distinct_and_in_nfc_vietnamese() -> None:
    problems = [v for v in vars(otp_module).values() if isinstance(v, Problem)]
    assert {p.code for p in problems} == {
        "otp_expired",
        "otp_format",
        "otp_wrong",
        "otp_too_many",
        "otp_cooldown",
        "otp_hourly_limit",
    }
    for p in problems:
        assert p.message == unicodedata.normalize("NFC", p.message)
    assert OTP_FORMAT.field == OTP_WRONG.field == OTP_EXPIRED.field == "otp"
