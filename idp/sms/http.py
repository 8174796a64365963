"""``SMS_BACKEND=http``: messages are POSTed to a carrier or aggregator gateway."""

from __future__ import annotations

import logging

from idp.bearer_api import BearerJsonApi

log = logging.getLogger("idp.sms")


class HttpGateway:
    """POSTs ``{"to": ..., "text": ...}`` as JSON with ``Authorization: Bearer <token>``.

    Any 2xx answer means the gateway accepted the message; anything else (another status,
    a refused connection, a timeout after ``timeout`` seconds) is ``ServiceUnavailable``.
    """

    def __init__(self, url: str, token: str, timeout: float = 5):
        self.api = BearerJsonApi("sms", "SMS gateway", url, token, timeout, log)

    def send(self, to_e164: str, text: str) -> None:
        response = self.api.post({"to": to_e164, "text": text})
        if not 200 <= response.status_code < 300:
            raise self.api.unavailable("answered HTTP %s", response.status_code)
