"""Negative caching of failing client-chosen URLs, with exponential back-off.

After a failure a URL is left alone for ``base`` seconds, then twice that after the next
failure, and so on up to ``ceiling``; a success forgets it. Kept per process (like the
client cache): each replica backs off on its own, which bounds the traffic just as well.
The clock is injectable so tests move time instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_REMEMBERED = 10000


@dataclass
class _Failures:
    count: int
    retry_at: float


@dataclass
class FailureBackoff:
    """Which URLs failed recently and when each may be tried again."""

    base: float
    ceiling: float
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, _Failures] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def waiting(self, key: str) -> bool:
        """True while ``key`` is in its back-off period: do not request it."""
        with self._lock:
            failures = self._failures.get(key)
            return failures is not None and self.clock() < failures.retry_at

    def failed(self, key: str) -> float:
        """Record a failure; the seconds until ``key`` may be tried again."""
        with self._lock:
            count = self._failures[key].count + 1 if key in self._failures else 1
            delay = min(self.ceiling, self.base * 2 ** (count - 1))
            if len(self._failures) >= MAX_REMEMBERED and key not in self._failures:
                self._forget_oldest()
            self._failures[key] = _Failures(count, self.clock() + delay)
            return delay

    def succeeded(self, key: str) -> None:
        """Forget ``key``'s failures."""
        with self._lock:
            self._failures.pop(key, None)

    def _forget_oldest(self) -> None:
        oldest = min(self._failures, key=lambda key: self._failures[key].retry_at)
        del self._failures[oldest]
