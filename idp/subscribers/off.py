"""``SUBSCRIBER_CHECK=off``: development only; every number counts as "chính chủ".

Production settings refuse this backend; at startup it logs a warning and every page
shows a banner saying the check is off.
"""

from __future__ import annotations


class NoCheck:
    """Accepts every phone for every identity number."""

    def is_registered_to(self, phone_e164: str, id_number: str) -> bool:
        """Always True: nothing is checked."""
        return True
