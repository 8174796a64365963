"""``SMS_BACKEND=http``: messages are POSTed to a carrier or aggregator gateway."""

from __future__ import annotations

import logging

import requests

from idp.errors import ServiceUnavailable

log = logging.getLogger("idp.sms")


class HttpGateway:
    """POSTs ``{"to": ..., "text": ...}`` as JSON with ``Authorization: Bearer <token>``.

    Any 2xx answer means the gateway accepted the message; anything else (another status,
    a refused connection, a timeout after ``timeout`` seconds) is ``ServiceUnavailable``.
    """

    def __init__(self, url: str, token: str, timeout: float = 5):
        self.url = url
        self.token = token
        self.timeout = timeout
        # One session for the process's life: its TLS connections to the gateway are kept
        # alive and reused, where ``requests.post`` built a new session, TLS context and
        # handshake for every OTP (about a sixth of a login's samples in bench/run). The
        # connection pool is thread-safe; the CA bundle is still read from the
        # environment (REQUESTS_CA_BUNDLE) for each new connection.
        self._session = requests.Session()

    def send(self, to_e164: str, text: str) -> None:
        try:
            response = self._session.post(
                self.url,
                json={"to": to_e164, "text": text},
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            # The message text holds the OTP: never log it.
            log.error("SMS gateway %s unreachable: %s", self.url, type(exc).__name__)
            raise ServiceUnavailable("sms") from exc
        if not 200 <= response.status_code < 300:
            log.error("SMS gateway %s answered HTTP %s", self.url, response.status_code)
            raise ServiceUnavailable("sms")
