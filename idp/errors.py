"""Errors as values: a stable code and the Vietnamese message a citizen reads.

Domain modules define their own ``Problem`` constants next to the rule they break;
views only render ``problem.message`` and never build error strings themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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


def typed_fields(
    form: Mapping[str, str], fields: Iterable[str], max_length: int, **longer: int
) -> dict[str, str]:
    """What was typed in each of ``fields``, cut to ``max_length`` characters (``longer``:
    a field's own cap), to check and to show back on errors."""
    return {name: (form.get(name) or "")[: longer.get(name, max_length)] for name in fields}


class FormCheck:
    """One form's field rules: each field's result, and every field's problem (the first
    per field), so that one answer can name them all."""

    def __init__(self, typed: dict[str, str]):
        self.typed = typed
        self.problems: dict[str, Problem] = {}

    def field(self, name: str, rule: Callable[[str], T]) -> T | None:
        """``rule`` applied to what was typed in ``name``, or None with its problem kept."""
        try:
            return rule(self.typed[name])
        except DomainError as exc:
            self.problems.setdefault(name, exc.problem.on(name))
            return None


class ServiceUnavailable(Exception):
    """A backing service (Redis, database, carrier API, SMS gateway) cannot be reached."""

    def __init__(self, service: str):
        super().__init__(f"{service} unavailable")
        self.service = service
