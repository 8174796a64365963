"""The user-wide lock after wrong passwords from any address, counted in the store.

Wrong passwords for one user name, from every address together, are counted atomically
(the store's ``incr``) over ``LOCKOUT_WINDOW_SECONDS``. At ``LOCKOUT_THRESHOLD`` the user
name is locked for ``LOCKOUT_BASE_SECONDS``, doubling with each lock remembered over
``LOCKOUT_RESET_SECONDS``, never longer than ``LOCKOUT_MAX_SECONDS`` (15 minutes).

The lock does not refuse the owner: while it lasts the password step answers every
attempt alike with an SMS OTP step (``idp.flows.login.password``), and only the right
password sends a real code. Unknown user names are counted and locked exactly like
known ones, so the lock itself says nothing about which numbers have accounts.
"""

from __future__ import annotations

import hashlib

from flask import current_app

from idp.services import store


def name_key(username: str) -> str:
    """The user name as the store sees it: hashed, so no identity number is kept in clear."""
    return hashlib.sha256(username.encode()).hexdigest()[:32]


def _failures_key(username: str) -> str:
    return f"lock-fail:{name_key(username)}"


def _locks_key(username: str) -> str:
    return f"lock-count:{name_key(username)}"


def _lock_key(username: str) -> str:
    return f"lock:{name_key(username)}"


def is_locked(username: str) -> bool:
    """Whether the user name is under the user-wide lock now."""
    return store().get(_lock_key(username)) is not None


def failures(username: str) -> int:
    """Wrong passwords counted for the user name in the current window."""
    return store().get_counter(_failures_key(username))


def lock_seconds(lock_number: int) -> int:
    """How long the ``lock_number``-th lock (1, 2, ...) lasts: doubling, capped."""
    config = current_app.config
    base = int(config["LOCKOUT_BASE_SECONDS"])
    cap = int(config["LOCKOUT_MAX_SECONDS"])
    return min(base * 2 ** min(lock_number - 1, 32), cap)


def register_failure(username: str) -> int | None:
    """Count a wrong password; returns the lock's length in seconds if this one started it.

    Exactly one request sees the count reach each multiple of the threshold, so
    concurrent failures start one lock each time, and none is lost (the store's
    increment is atomic on both backends).
    """
    config = current_app.config
    count = store().incr(_failures_key(username), int(config["LOCKOUT_WINDOW_SECONDS"]))
    if count % int(config["LOCKOUT_THRESHOLD"]):
        return None
    locks = store().incr(_locks_key(username), int(config["LOCKOUT_RESET_SECONDS"]))
    seconds = lock_seconds(locks)
    store().set(_lock_key(username), {"seconds": seconds}, seconds)
    return seconds


def register_success(username: str) -> None:
    """A completed login or a password reset: the counts and any lock are forgotten."""
    store().delete(_failures_key(username), _locks_key(username), _lock_key(username))
