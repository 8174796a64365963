"""The "chính chủ" check: is this mobile number registered to this identity number?

The backend is chosen by ``SUBSCRIBER_CHECK``: ``registry`` (a table loaded from CSV),
``http`` (a carrier API) or ``off`` (development only). ``check_subscriber`` is the one
entry point the flows call.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from flask import Flask, current_app

from idp.errors import Problem
from idp.settings import SettingsError
from idp.subscribers.http import CarrierApiCheck
from idp.subscribers.off import NoCheck
from idp.subscribers.registry import RegistryCheck

log = logging.getLogger("idp.subscribers")

BACKENDS = ("registry", "http", "off")

#: The phone is not registered in the citizen's own name.
SUBSCRIBER_MISMATCH = Problem(
    "subscriber.mismatch",
    "Số điện thoại này chưa được đăng ký chính chủ với số CMND/CCCD đã nhập. "
    "Vui lòng dùng số thuê bao di động đăng ký đúng tên của bạn, hoặc liên hệ nhà mạng "
    "để cập nhật thông tin thuê bao.",
    "phone",
)
#: The carrier API could not answer; nothing was stored and no OTP was sent.
SUBSCRIBER_UNAVAILABLE = Problem(
    "subscriber.unavailable",
    "Hiện chưa kiểm tra được thông tin thuê bao chính chủ với nhà mạng. "
    "Vui lòng thử lại sau ít phút; thông tin bạn đã nhập chưa được lưu và chưa có mã OTP "
    "nào được gửi.",
)


class SubscriberCheck(Protocol):
    def is_registered_to(self, phone_e164: str, id_number: str) -> bool: ...


def create_check(config: dict[str, Any]) -> SubscriberCheck:
    """The backend named by ``SUBSCRIBER_CHECK``; SettingsError names what is missing."""
    name = str(config.get("SUBSCRIBER_CHECK", "")).strip().lower()
    if name == "registry":
        return RegistryCheck()
    if name == "off":
        return NoCheck()
    if name == "http":
        url, token = config.get("SUBSCRIBER_HTTP_URL"), config.get("SUBSCRIBER_HTTP_TOKEN")
        if not url or not token:
            raise SettingsError(
                "SUBSCRIBER_CHECK=http needs SUBSCRIBER_HTTP_URL and SUBSCRIBER_HTTP_TOKEN"
            )
        return CarrierApiCheck(url, token, float(config.get("SUBSCRIBER_HTTP_TIMEOUT") or 3))
    raise SettingsError(f"unknown SUBSCRIBER_CHECK {name!r}; choose one of: {', '.join(BACKENDS)}")


def init_app(app: Flask) -> None:
    """Check the setting at startup (failing fast) and warn loudly when the check is off."""
    check = create_check(app.config)
    app.extensions["idp_subscriber_check"] = check
    if isinstance(check, NoCheck):
        log.warning(
            "SUBSCRIBER_CHECK=off: mobile numbers are NOT checked against the citizen's "
            "identity number. Development only; never use this in production."
        )


def check_subscriber(phone_e164: str, id_number: str) -> bool:
    """Whether ``phone_e164`` is registered in the name of ``id_number`` ("chính chủ").

    Raises ``ServiceUnavailable("subscriber")`` when the backend cannot answer.
    """
    check = current_app.extensions.get("idp_subscriber_check")
    if check is None:
        check = create_check(current_app.config)
    return check.is_registered_to(phone_e164, id_number)
