"""SMS-pumping defence: the one door every OTP send goes through.

``send_otp`` counts sends in the shared store (so every replica sees the same numbers)
per identity number, per client IP, per network prefix (IPv4 /24, IPv6 /48) and for the
whole provider per minute, on top of the OTP service's own per-phone hourly cap. Near a
per-IP, per-prefix or global limit (``OTP_CHALLENGE_PERCENT`` of it) the form must carry
a solved proof of work (``idp.abuse.proof_of_work``). Every refusal is a
``TooManyRequests`` with a Vietnamese message and an ``otp.refused`` audit event.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

from flask import current_app, has_request_context, request

from idp import audit
from idp.abuse import TooManyRequests
from idp.abuse.proof_of_work import Challenge, accept_solution, issue_challenge
from idp.errors import DomainError, Problem
from idp.otp import OtpService, OtpState
from idp.services import services

SENDS_LIMITED = Problem(
    "otp.sends_limited",
    "Hệ thống đã gửi quá nhiều mã OTP từ yêu cầu của bạn. Vui lòng thử lại sau {minutes} phút.",
)
SYSTEM_BUSY = Problem(
    "otp.system_busy",
    "Hệ thống đang nhận quá nhiều yêu cầu gửi mã OTP. Vui lòng thử lại sau ít phút.",
)
PROOF_OF_WORK_REQUIRED = Problem(
    "otp.proof_of_work_required",
    "Để bảo vệ hệ thống khỏi gửi tin nhắn tự động, trình duyệt cần xác minh trước khi "
    "gửi mã OTP. Vui lòng bật JavaScript và nhấn lại nút, hoặc thử lại sau {minutes} phút.",
)


@dataclass(frozen=True)
class SendLimit:
    """One counter: what it counts, its store key, its cap and window in seconds."""

    name: str
    key: str
    cap: int
    window: int
    challenge: bool  # near this cap, a proof of work is asked for


def network_prefix(address: str) -> str:
    """The client's network: the /24 of an IPv4 address, the /48 of an IPv6 one."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    bits = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


def _client_ip() -> str:
    return (request.remote_addr if has_request_context() else None) or "unknown"


def _limits(id_number: str | None) -> list[SendLimit]:
    c = current_app.config
    ip = _client_ip()
    limits = [
        SendLimit("ip", f"otp-pump:ip:{ip}", c["OTP_SENDS_PER_IP_PER_HOUR"], 3600, True),
        SendLimit(
            "prefix",
            f"otp-pump:net:{network_prefix(ip)}",
            c["OTP_SENDS_PER_PREFIX_PER_HOUR"],
            3600,
            True,
        ),
        SendLimit("global", "otp-pump:global", c["OTP_SENDS_GLOBAL_PER_MINUTE"], 60, True),
    ]
    if id_number:
        limits.append(
            SendLimit(
                "id_number",
                f"otp-pump:id:{id_number}",
                c["OTP_SENDS_PER_ID_NUMBER_PER_HOUR"],
                3600,
                False,
            )
        )
    return limits


def _near(limit: SendLimit, count: int) -> bool:
    percent = current_app.config["OTP_CHALLENGE_PERCENT"]
    return limit.challenge and count >= math.ceil(limit.cap * percent / 100)


def challenge_needed() -> bool:
    """Whether a send from this client now needs a proof of work (for the forms)."""
    limits = _limits(None)
    counts = services().store.get_counters([limit.key for limit in limits])
    return any(_near(limit, count) for limit, count in zip(limits, counts, strict=True))


def form_challenge() -> Challenge | None:
    """A challenge for the form being rendered, when the next send will need one."""
    return issue_challenge() if challenge_needed() else None


def _refuse(problem: Problem, reason: str, purpose: str, **details) -> TooManyRequests:
    audit.record("otp.refused", reason=reason, purpose=purpose, ip=_client_ip(), **details)
    return TooManyRequests(problem)


def _minutes_left(key: str) -> int:
    return max(1, math.ceil(services().store.ttl(key) / 60))


def _refusal_for(limit: SendLimit, purpose: str) -> TooManyRequests:
    if limit.name == "global":
        return _refuse(SYSTEM_BUSY, "global", purpose)
    problem = SENDS_LIMITED.format(minutes=_minutes_left(limit.key))
    return _refuse(problem, limit.name, purpose)


def _check_volume(limits: list[SendLimit], purpose: str) -> None:
    store = services().store
    # One store round trip to read every counter, one to add to them all.
    read = store.get_counters([limit.key for limit in limits])
    counts = {limit.name: count for limit, count in zip(limits, read, strict=True)}
    for limit in limits:
        if counts[limit.name] >= limit.cap:
            raise _refusal_for(limit, purpose)
    near = [limit for limit in limits if _near(limit, counts[limit.name])]
    if near and not _proof_given():
        raise _refuse(
            PROOF_OF_WORK_REQUIRED.format(minutes=_minutes_left(near[0].key)),
            "proof_of_work",
            purpose,
            near=near[0].name,
        )
    # Counted atomically after the peek: of racing sends, those past the cap are refused.
    added = store.incr_many([(limit.key, limit.window) for limit in limits])
    for limit, count in zip(limits, added, strict=True):
        if count > limit.cap:
            raise _refusal_for(limit, purpose)


def _proof_given() -> bool:
    if not has_request_context():
        return False
    form = request.form
    return accept_solution(form.get("pow_challenge", ""), form.get("pow_nonce", ""))


def send_otp(
    subject: str,
    phone_e164: str,
    purpose: str,
    *,
    id_number: str | None = None,
    service: OtpService | None = None,
) -> OtpState:
    """Send an OTP through ``service`` (the app's by default) if no abuse limit forbids it.

    Raises ``TooManyRequests`` (audited as ``otp.refused``) for every refusal, including
    the OTP service's own cooldown and per-phone cap; ``ServiceUnavailable`` passes through.
    """
    service = service or services().otp
    state = service.state(subject)
    if not (state and state.resend_in > 0):
        # A send the cooldown will refuse anyway is not counted against the citizen.
        _check_volume(_limits(id_number), purpose)
    try:
        return service.send(subject, phone_e164, purpose)
    except TooManyRequests:
        raise
    except DomainError as exc:
        raise _refuse(exc.problem, exc.problem.code, purpose) from None
