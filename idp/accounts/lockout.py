"""Lockout after repeated wrong passwords, for a time that doubles at each lockout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app

from idp.accounts.models import Citizen


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)  # SQLite returns naive datetimes
    return moment


def locked_until(citizen: Citizen, now: datetime | None = None) -> datetime | None:
    """When the current lockout ends, or None if the account is not locked out."""
    now = now or datetime.now(UTC)
    until = _aware(citizen.locked_until)
    return until if until is not None and until > now else None


def register_failure(citizen: Citizen, now: datetime | None = None) -> bool:
    """Count a wrong password; returns True if this failure started a lockout."""
    now = now or datetime.now(UTC)
    config = current_app.config
    citizen.failed_logins = (citizen.failed_logins or 0) + 1
    if citizen.failed_logins < int(config["LOCKOUT_THRESHOLD"]):
        return False
    citizen.lockouts = (citizen.lockouts or 0) + 1
    seconds = min(
        int(config["LOCKOUT_BASE_SECONDS"]) * 2 ** (citizen.lockouts - 1),
        int(config["LOCKOUT_MAX_SECONDS"]),
    )
    citizen.locked_until = now + timedelta(seconds=seconds)
    citizen.failed_logins = 0
    return True


def register_success(citizen: Citizen) -> None:
    """A correct password outside a lockout clears the counters."""
    citizen.failed_logins = 0
    citizen.lockouts = 0
    citizen.locked_until = None
