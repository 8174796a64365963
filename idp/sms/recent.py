"""The last messages sent, kept in memory for the development-only "SMS" page.

``RecordingGateway`` wraps any gateway and remembers what it delivered, so a developer
running the provider locally can read the OTPs in the browser. Never mount that page in
production: these are live codes.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

from idp.sms.base import SmsGateway


@dataclass(frozen=True)
class RecentMessage:
    to: str
    text: str
    sent_at: datetime


class RecentMessages:
    """A thread-safe ring buffer of the last ``maxlen`` messages (50 by default)."""

    def __init__(self, maxlen: int = 50):
        self._lock = threading.Lock()
        self._messages: deque[RecentMessage] = deque(maxlen=maxlen)

    def add(self, to_e164: str, text: str) -> None:
        message = RecentMessage(to_e164, text, datetime.now(UTC))
        with self._lock:
            self._messages.append(message)

    def newest_first(self) -> list[RecentMessage]:
        with self._lock:
            return list(reversed(self._messages))

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._messages)


class RecordingGateway:
    """Sends through ``inner`` and, once it succeeded, records the message in ``recent``."""

    def __init__(self, inner: SmsGateway, recent: RecentMessages):
        self.inner = inner
        self.recent = recent

    def send(self, to_e164: str, text: str) -> None:
        self.inner.send(to_e164, text)
        self.recent.add(to_e164, text)
