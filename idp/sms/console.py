"""``SMS_BACKEND=console``: messages go to the log (development)."""

from __future__ import annotations

import logging

log = logging.getLogger("idp.sms")


class ConsoleGateway:
    """Logs every message at INFO on the ``idp.sms`` logger instead of sending it."""

    def send(self, to_e164: str, text: str) -> None:
        log.info("SMS to %s : %s", to_e164, text)
