"""The relying party's errors: a stable code and the message a citizen reads.

``RelyingPartyError`` carries a ``Problem``; the application mounting the relying party
renders it (``relying_party.error_pages`` registers a handler that calls its hook).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing that is wrong: a machine code, a message and (optionally) its field."""

    code: str
    message: str
    field: str | None = None


class RelyingPartyError(Exception):
    """Raised by the relying party's checks; carries the ``Problem`` that explains it."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


class StoreUnavailable(Exception):
    """The session store's backing service (Redis) cannot be reached."""

    def __init__(self, service: str = "redis"):
        super().__init__(f"{service} unavailable")
        self.service = service
