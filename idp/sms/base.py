"""The SMS gateway interface: one method, one failure mode."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class SmsGateway(Protocol):
    """Delivers one text message to one mobile number."""

    def send(self, to_e164: str, text: str) -> None:
        """Send ``text`` to ``to_e164`` (e.g. ``+84912345678``).

        Raises ``ServiceUnavailable("sms")`` when the message could not be handed over.
        """
        ...
