"""The user-wide lock after wrong passwords from any address, counted in the store.

One ``UserWideLock`` per kind of sign-in: citizens' (``CITIZENS``: store keys ``lock*``,
settings ``LOCKOUT_*``) and the operators' console's (``idp.console.sign_in_rules``:
``console-lock*``, ``CONSOLE_LOCKOUT_*``). The rule is the same for both. The console
also counts wrong authenticator codes with one (``CODE_LOCK``: ``console-code-lock*``,
``CONSOLE_CODE_LOCKOUT_*``), whose lock its code step enforces by refusing codes.

Wrong passwords for one user name, from every address together, are counted atomically
(the store's ``incr``) over ``<PREFIX>_WINDOW_SECONDS``. At ``<PREFIX>_THRESHOLD`` the user
name is locked for ``<PREFIX>_BASE_SECONDS``, doubling with each lock remembered over
``<PREFIX>_RESET_SECONDS``, never longer than ``<PREFIX>_MAX_SECONDS`` (15 minutes for
passwords).

The lock does not refuse the owner: while it lasts the password step answers every
attempt alike with the second factor's page (citizens: an SMS OTP step,
``idp.flows.login.password``; operators: the authenticator-code page), and only the right
password leads to a second factor that can succeed. Unknown user names are counted and
locked exactly like known ones, so the lock itself says nothing about which names exist.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app

from idp.services import store


def name_key(username: str) -> str:
    """The user name as the store sees it: hashed, so no identity number is kept in clear."""
    return hashlib.sha256(username.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class UserWideLock:
    """The lock of one kind of sign-in: its store keys' prefix and its settings' prefix."""

    key_prefix: str
    setting_prefix: str

    def _setting(self, name: str) -> int:
        return current_app.config[f"{self.setting_prefix}_{name}"]

    def _failures_key(self, username: str) -> str:
        return f"{self.key_prefix}-fail:{name_key(username)}"

    def _locks_key(self, username: str) -> str:
        return f"{self.key_prefix}-count:{name_key(username)}"

    def lock_key(self, username: str) -> str:
        """The store key that exists while ``username`` is locked (its TTL: what is left)."""
        return f"{self.key_prefix}:{name_key(username)}"

    def is_locked(self, username: str) -> bool:
        """Whether the user name is under the user-wide lock now."""
        return store().get(self.lock_key(username)) is not None

    def failures(self, username: str) -> int:
        """Wrong passwords counted for the user name in the current window."""
        return store().get_counter(self._failures_key(username))

    def lock_seconds(self, lock_number: int) -> int:
        """How long the ``lock_number``-th lock (1, 2, ...) lasts: doubling, capped."""
        base, cap = self._setting("BASE_SECONDS"), self._setting("MAX_SECONDS")
        return min(base * 2 ** min(lock_number - 1, 32), cap)

    def register_failure(self, username: str) -> int | None:
        """Count a failure; returns the lock's length in seconds if this one started it.

        Exactly one request sees the count reach each multiple of the threshold, so
        concurrent failures start one lock each time, and none is lost (the store's
        increment is atomic on both backends).
        """
        count = store().incr(self._failures_key(username), self._setting("WINDOW_SECONDS"))
        if count % self._setting("THRESHOLD"):
            return None
        locks = store().incr(self._locks_key(username), self._setting("RESET_SECONDS"))
        seconds = self.lock_seconds(locks)
        store().set(self.lock_key(username), {"seconds": seconds}, seconds)
        return seconds

    def register_success(self, username: str) -> None:
        """A completed sign-in or a password reset: the counts and any lock are forgotten."""
        store().delete(
            self._failures_key(username), self._locks_key(username), self.lock_key(username)
        )


CITIZENS = UserWideLock("lock", "LOCKOUT")

# The citizens' lock, as the login, recovery and account page use it.
is_locked = CITIZENS.is_locked
failures = CITIZENS.failures
lock_seconds = CITIZENS.lock_seconds
register_failure = CITIZENS.register_failure
register_success = CITIZENS.register_success
