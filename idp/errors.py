"""Errors as values: a stable code and the Vietnamese message a citizen reads.

Domain modules define their own ``Problem`` constants next to the rule they break;
views only render ``problem.message`` and never build error strings themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """One thing that is wrong: a machine code, a Vietnamese message and its field."""

    code: str
    message: str
    field: str | None = None

    def on(self, field: str) -> Problem:
        """The same problem attached to a form field."""
        return Problem(self.code, self.message, field)

    def format(self, **values: object) -> Problem:
        """The same problem with this occurrence's values filled into its ``{placeholders}``
        (the message stays matchable against its msgid: ``webapp.i18n``'s ``translated``)."""
        return Problem(self.code, self.message.format(**values), self.field)


class DomainError(Exception):
    """Raised by domain rules; carries the ``Problem`` that explains it."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def checked(problems: dict[str, Problem], field: str, rule: Callable[[], T]) -> T | None:
    """A form field's rule: its result, or None with its problem recorded under ``field``
    (the first one kept), so that one answer can name every field's problem."""
    try:
        return rule()
    except DomainError as exc:
        problems.setdefault(field, exc.problem.on(field))
        return None


class ServiceUnavailable(Exception):
    """A backing service (Redis, database, carrier API, SMS gateway) cannot be reached."""

    def __init__(self, service: str):
        super().__init__(f"{service} unavailable")
        self.service = service
