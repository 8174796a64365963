"""Secrets a POST has just made (recovery codes, a client secret, a registration token),
kept briefly for the one GET that shows them (POST/redirect/GET).

They wait in the store under the session that made them, for at most five minutes, and
are taken (deleted) by the page that shows them, so a reload never shows them again.
"""

from __future__ import annotations

from typing import Any

from idp.services import store

SHOWN_ONCE_SECONDS = 300


def _key(owner: str, what: str) -> str:
    return f"shown-once:{what}:{owner}"


def keep(owner: str, what: str, value: dict[str, Any]) -> None:
    """Hold ``value`` for ``owner``'s (a session's) next page showing ``what``."""
    store().set(_key(owner, what), value, SHOWN_ONCE_SECONDS)


def take(owner: str, what: str) -> dict[str, Any] | None:
    """The value held for ``owner``, deleted as it is read; None if there is none."""
    return store().pop(_key(owner, what))
