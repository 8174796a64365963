"""The application's clock: wall time and monotonic time read through one object.

Production uses ``Clock`` (the system's clocks, unchanged behaviour). Tests give the app
a ``Clock`` they can ``advance``, so expiry is tested by moving time, not by sleeping.
The app's clock is ``Services.clock`` (``idp.services.clock()``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """The system's clocks, plus an offset that only tests move (``advance``)."""

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        """Wall time: seconds since the epoch (UTC)."""
        return time.time() + self._offset

    def utcnow(self) -> datetime:
        """Wall time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.now(), UTC)

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for TTLs and windows)."""
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        """Move both clocks forward by ``seconds`` (tests)."""
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        self._offset += seconds
