"""The bench's side of the SMS sink: where it listens and which CA vouches for it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import requests


@dataclass(frozen=True)
class SmsInbox:
    """The sink at ``url`` (https://127.0.0.1:PORT), trusted through ``ca_path`` only."""

    url: str
    ca_path: Path

    def latest(self, phone: str) -> tuple[int, str]:
        """The number and text of the newest message to ``phone``; (0, "") if none yet."""
        found = requests.get(
            self.url + "/sms/latest", params={"to": phone}, verify=str(self.ca_path), timeout=10
        )
        if found.status_code == 404:
            return 0, ""
        found.raise_for_status()
        body = found.json()
        return body["seq"], body["text"]
