"""SMS gateway backends, chosen by the ``SMS_BACKEND`` setting."""

from __future__ import annotations

from idp.settings import SMS_BACKENDS
from idp.sms.base import SmsGateway
from idp.sms.console import ConsoleGateway
from idp.sms.http import HttpGateway
from idp.sms.outbox import OutboxGateway
from idp.sms.recent import RecentMessage, RecentMessages, RecordingGateway

__all__ = [
    "BACKENDS",
    "ConsoleGateway",
    "HttpGateway",
    "OutboxGateway",
    "RecentMessage",
    "RecentMessages",
    "RecordingGateway",
    "SmsGateway",
    "create_gateway",
]

BACKENDS = SMS_BACKENDS


def create_gateway(
    backend: str,
    *,
    outbox_path: str | None = None,
    http_url: str | None = None,
    http_token: str | None = None,
) -> SmsGateway:
    """The gateway for ``SMS_BACKEND``; ValueError names the missing or unknown setting."""
    name = (backend or "").strip().lower()
    if name == "console":
        return ConsoleGateway()
    if name == "outbox":
        if not outbox_path:
            raise ValueError("SMS_BACKEND=outbox needs SMS_OUTBOX_PATH (the JSON-lines file)")
        return OutboxGateway(outbox_path)
    if name == "http":
        missing = [
            setting
            for setting, value in (("SMS_HTTP_URL", http_url), ("SMS_HTTP_TOKEN", http_token))
            if not value
        ]
        if missing:
            raise ValueError(f"SMS_BACKEND=http needs {' and '.join(missing)}")
        assert http_url is not None and http_token is not None
        return HttpGateway(http_url, http_token)
    raise ValueError(f"unknown SMS_BACKEND {backend!r}; choose one of: {', '.join(BACKENDS)}")
