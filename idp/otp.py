"""SMS one-time passwords over the state store and a gateway (docs/architecture.md,
"Domain rules").

Rules (``OtpPolicy`` holds the numbers):

- a code is 6 digits from pyotp, valid 5 minutes, and accepted at most once;
- at most 5 tries per code: the 5th wrong one deletes the code and a new one must be sent;
  a badly formed entry (not 6 digits) is not a try;
- "Gửi lại OTP" only 60 seconds after the previous send for the same flow, and a phone
  receives at most 5 codes per hour whatever the flow;
- a new send replaces the previous code, which stops working at once.

The code itself is never stored: only an HMAC-SHA256 keyed with the application secret
and bound to the subject (the flow id), so a copy of the store does not reveal live codes
and a code sent for one flow is useless in another.

Keys in the store (``<subject>`` is the flow id, ``<phone>`` is E.164):

- ``otp:<subject>``            the record: hash, phone, purpose, sent_at, expires_at (TTL 300 s)
- ``otp:<subject>:fails``      tries used on the current code (counter, TTL 300 s)
- ``otp:<subject>:cooldown``   present while "Gửi lại OTP" is not yet allowed (TTL 60 s)
- ``otp-sends:<phone>``        codes sent to the phone this hour (counter, TTL 3600 s)
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import pyotp

from idp.errors import DomainError, Problem, ServiceUnavailable
from idp.sms.base import SmsGateway
from idp.store.base import Store

# -- Problems, next to the rules they break --------------------------------------------------
# Messages with {placeholders} are completed by ``_problem`` when raised.

#: No live code for this flow: it expired, was already used, or was never sent.
OTP_EXPIRED = Problem(
    "otp_expired",
    "Mã OTP đã hết hạn hoặc không còn hiệu lực. Vui lòng bấm “Gửi lại OTP” để nhận mã mới.",
    "otp",
)
#: The entry is not exactly ``digits`` digits (does not count as a try).
OTP_FORMAT = Problem(
    "otp_format",
    "Mã OTP gồm đúng {digits} chữ số. Vui lòng kiểm tra lại tin nhắn và nhập lại.",
    "otp",
)
#: A wrong code; the message says how many tries are left.
OTP_WRONG = Problem(
    "otp_wrong",
    "Mã OTP không đúng. Bạn còn {tries_left} lần thử.",
    "otp",
)
#: The last allowed try was wrong: the code is deleted and a new one must be sent.
OTP_TOO_MANY = Problem(
    "otp_too_many",
    "Bạn đã nhập sai mã OTP {max_attempts} lần nên mã này đã bị hủy. "
    "Vui lòng bấm “Gửi lại OTP” để nhận mã mới.",
    "otp",
)
#: "Gửi lại OTP" pressed before the cooldown ended; the message says how long to wait.
OTP_COOLDOWN = Problem(
    "otp_cooldown",
    "Vui lòng chờ {seconds} giây nữa trước khi yêu cầu gửi lại mã OTP.",
)
#: The phone already received the hourly maximum of codes.
OTP_HOURLY_LIMIT = Problem(
    "otp_hourly_limit",
    "Số điện thoại này đã nhận {max_sends} mã OTP trong vòng một giờ. "
    "Vui lòng thử lại sau {minutes} phút.",
)


# What the code is for, as the SMS says it ("Mã xác thực (OTP) để <purpose> ...").
_PURPOSE_TEXT = {
    "register": "đăng ký tài khoản",
    "registration": "đăng ký tài khoản",
    "login": "đăng nhập",
    "recovery": "lấy lại mật khẩu",
    "reset_password": "lấy lại mật khẩu",
    "forgot_password": "lấy lại mật khẩu",
    "password_reset": "lấy lại mật khẩu",
    "complaint": "gửi khiếu nại",
    "change_phone": "đổi số điện thoại",
    "upstream_account": "đăng ký tài khoản",
}


@dataclass(frozen=True)
class OtpPolicy:
    ttl: int = 300  # seconds a code is valid
    max_attempts: int = 5  # tries per code; the last wrong one deletes it
    resend_cooldown: int = 60  # seconds before "Gửi lại OTP" works again
    max_sends_per_hour: int = 5  # codes per phone per hour, across all flows
    digits: int = 6


@dataclass(frozen=True)
class OtpState:
    """What the OTP page shows: where the code went and the clocks."""

    phone_e164: str
    purpose: str
    expires_in: int  # seconds until the code expires
    resend_in: int  # seconds until "Gửi lại OTP" is allowed (0: now)
    tries_left: int


class _Keys(NamedTuple):
    """The store keys of one flow's code (the module docstring lists them)."""

    record: str
    fails: str
    cooldown: str

    @classmethod
    def of(cls, subject: str) -> _Keys:
        return cls(f"otp:{subject}", f"otp:{subject}:fails", f"otp:{subject}:cooldown")


def _sends_key(phone_e164: str) -> str:
    return f"otp-sends:{phone_e164}"


class OtpService:
    """Sends and verifies SMS OTPs for flows (``subject`` is the flow id)."""

    def __init__(
        self,
        store: Store,
        gateway: SmsGateway,
        policy: OtpPolicy,
        secret_key: bytes | str,
        *,
        clock: Callable[[], float] = time.time,
    ):
        if not secret_key:
            raise ValueError("OtpService needs the application's secret key")
        self.store = store
        self.gateway = gateway
        self.policy = policy
        self._secret_key = secret_key.encode() if isinstance(secret_key, str) else secret_key
        self._clock = clock

    def _digest(self, subject: str, code: str) -> str:
        message = f"{subject}\x00{code}".encode()
        return hmac.new(self._secret_key, message, hashlib.sha256).hexdigest()

    # -- sending --------------------------------------------------------------------------

    def send(self, subject: str, phone_e164: str, purpose: str) -> OtpState:
        """Send a new code to ``phone_e164`` for the flow ``subject``, replacing any old one.

        Raises ``DomainError`` (OTP_COOLDOWN, OTP_HOURLY_LIMIT) when sending is not allowed
        yet, ``ServiceUnavailable`` when the store or the SMS gateway is down (then no
        code is left behind and the citizen may retry at once).
        """
        policy = self.policy
        keys = _Keys.of(subject)
        cooldown_key = keys.cooldown
        # Claiming the cooldown slot is atomic: of two concurrent sends only one proceeds.
        if not self.store.add(cooldown_key, {"phone": phone_e164}, policy.resend_cooldown):
            seconds = max(1, self.store.ttl(cooldown_key))
            raise DomainError(OTP_COOLDOWN.format(seconds=seconds))

        try:
            sends_key = _sends_key(phone_e164)
            if self.store.incr(sends_key, 3600) > policy.max_sends_per_hour:
                minutes = max(1, math.ceil(self.store.ttl(sends_key) / 60))
                raise DomainError(
                    OTP_HOURLY_LIMIT.format(max_sends=policy.max_sends_per_hour, minutes=minutes)
                )

            code = pyotp.HOTP(pyotp.random_base32(), digits=policy.digits).at(0)
            now = self._clock()
            record = {
                "hash": self._digest(subject, code),
                "phone": phone_e164,
                "purpose": purpose,
                "sent_at": now,
                "expires_at": now + policy.ttl,
            }
            # The new record replaces the old one: the previous code stops working, and
            # its tries are forgotten (one store round trip).
            self.store.write_many(
                sets=[(keys.record, record, policy.ttl)],
                deletes=[keys.fails],
            )
        except (DomainError, ServiceUnavailable):
            # Nothing was sent: do not make the citizen wait for a code that never came.
            self._forget_cooldown(cooldown_key)
            raise

        try:
            self.gateway.send(phone_e164, self._text(code, purpose))
        except ServiceUnavailable:
            # A code the citizen never received must not stay valid. (The send still
            # counts toward the hourly limit, which bounds retries against a failing gateway.)
            self.store.delete(*keys)
            raise

        return OtpState(
            phone_e164=phone_e164,
            purpose=purpose,
            expires_in=policy.ttl,
            resend_in=policy.resend_cooldown,
            tries_left=policy.max_attempts,
        )

    def _forget_cooldown(self, cooldown_key: str) -> None:
        try:
            self.store.delete(cooldown_key)
        except ServiceUnavailable:
            pass  # the original error is the one to report; the key expires on its own

    def _text(self, code: str, purpose: str) -> str:
        """The SMS. The code is the only run of digits as long as a code in it."""
        minutes = max(1, math.ceil(self.policy.ttl / 60))
        action = _PURPOSE_TEXT.get(purpose)
        intro = f"Mã xác thực (OTP) để {action}" if action else "Mã xác thực (OTP) của bạn"
        return (
            f"{intro} là {code}, có hiệu lực trong {minutes} phút. "
            "Không chia sẻ mã này với bất kỳ ai."
        )

    # -- verifying ------------------------------------------------------------------------

    def verify(self, subject: str, code: str) -> None:
        """Accept ``code`` for ``subject`` once, or raise ``DomainError`` saying why not.

        OTP_EXPIRED: no live code (expired, used, never sent); OTP_FORMAT: not 6 digits
        (not a try); OTP_WRONG: wrong, with the tries left; OTP_TOO_MANY: the last try was
        wrong and the code is gone.
        """
        policy = self.policy
        record_key, fails_key, _ = _Keys.of(subject)
        record = self.store.get(record_key)
        if record is None or record.get("expires_at", 0) <= self._clock():
            raise DomainError(OTP_EXPIRED)

        # Full-width digits from some phone keyboards become ASCII; spaces are ignored.
        entered = "".join(unicodedata.normalize("NFKC", code or "").split())
        if not (len(entered) == policy.digits and entered.isascii() and entered.isdigit()):
            raise DomainError(OTP_FORMAT.format(digits=policy.digits))

        # Count the try before looking at the code, atomically: however many requests race,
        # no more than ``max_attempts`` of them get compared against this code.
        tries = self.store.incr(fails_key, policy.ttl)
        if tries > policy.max_attempts:
            self.store.delete(record_key, fails_key)
            raise DomainError(OTP_TOO_MANY.format(max_attempts=policy.max_attempts))

        digest = self._digest(subject, entered)
        if not hmac.compare_digest(digest, str(record.get("hash", ""))):
            if tries >= policy.max_attempts:
                self.store.delete(record_key, fails_key)
                raise DomainError(OTP_TOO_MANY.format(max_attempts=policy.max_attempts))
            raise DomainError(OTP_WRONG.format(tries_left=policy.max_attempts - tries))

        # Right code: take the record atomically, so that it is accepted at most once.
        taken = self.store.pop(record_key)
        if taken is None:
            raise DomainError(OTP_EXPIRED)  # a concurrent verify used it first
        if not hmac.compare_digest(digest, str(taken.get("hash", ""))):
            # A resend replaced the code between our read and the pop: the code entered is
            # the old one. Put the new record back (if nothing else did) and refuse.
            ttl_left = math.ceil(float(taken.get("expires_at", 0)) - self._clock())
            if ttl_left > 0:
                self.store.add(record_key, taken, ttl_left)
            raise DomainError(OTP_EXPIRED)
        self.store.delete(fails_key)

    # -- the page -------------------------------------------------------------------------

    def state(self, subject: str) -> OtpState | None:
        """The live code's phone, purpose and clocks, or None if there is none."""
        # The record, the tries and the cooldown in one store round trip.
        keys = _Keys.of(subject)
        (record,), (tries,), (cooldown,) = self.store.read_many(
            values=[keys.record], counters=[keys.fails], ttls=[keys.cooldown]
        )
        if record is None:
            return None
        now = self._clock()
        expires_in = math.ceil(float(record["expires_at"]) - now)
        if expires_in <= 0:
            return None
        resend_in = max(0, cooldown)
        return OtpState(
            phone_e164=record["phone"],
            purpose=record["purpose"],
            expires_in=expires_in,
            resend_in=resend_in,
            tries_left=max(0, self.policy.max_attempts - tries),
        )

    def discard(self, subject: str) -> None:
        """Forget the flow's code, tries and cooldown (the flow ended or was abandoned)."""
        self.store.delete(*_Keys.of(subject))
