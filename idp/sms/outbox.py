"""``SMS_BACKEND=outbox``: messages are appended to a JSON-lines file (tests, demos).

Each message is one line, one JSON object::

    {"to": "+84912345678", "text": "...", "sent_at": "2025-01-31T08:15:00.123+00:00"}

Several provider processes may write to the same file at once: the file is opened in
append mode and each line is written with a single ``os.write`` while holding an
exclusive ``flock``, so lines never interleave and a reader never sees half a line
from a finished send.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from idp.errors import ServiceUnavailable

log = logging.getLogger("idp.sms")


class OutboxGateway:
    """Appends one JSON object per message to the file at ``path``."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    def send(self, to_e164: str, text: str) -> None:
        record = {
            "to": to_e164,
            "text": text,
            "sent_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # The outbox holds live OTPs: readable by the owner only.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    written = os.write(fd, line)
                    if written != len(line):  # a full disk; never a partial line silently
                        raise OSError(f"short write to {self.path}: {written}/{len(line)}")
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
        except OSError as exc:
            log.error("SMS outbox %s is not writable: %s", self.path, exc)
            raise ServiceUnavailable("sms") from exc
