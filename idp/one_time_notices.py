"""One-time messages carried across a POST/redirect/GET (the Flask session's flash list).

A POST that succeeds (or a "Gửi lại OTP" whether or not the OTP rules allow it) redirects
to a GET of its page; what the POST has to say travels here and is shown once by that
GET, so a reload or a language switch re-renders the page instead of repeating the POST.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, get_flashed_messages

from idp.errors import Problem

_PROBLEM = "problem"
_NOTICE = "notice"


@dataclass(frozen=True)
class Notices:
    """What the last POST left for this page: a problem (and its status) or a notice."""

    problem: Problem | None = None
    notice: str | None = None
    status: int = 200


def leave_problem(problem: Problem, status: int) -> None:
    """Show ``problem`` once on the next page, answered with ``status``."""
    flash(problem.message, f"{_PROBLEM}:{status}:{problem.code}")


def leave_notice(message: str) -> None:
    """Show ``message`` (a msgid) once on the next page."""
    flash(message, _NOTICE)


def take_notices() -> Notices:
    """The problem or notice left by the previous POST (consumed)."""
    problem, notice, status = None, None, 200
    for category, message in get_flashed_messages(with_categories=True):
        kind, _, rest = category.partition(":")
        if kind == _PROBLEM:
            code_status, _, code = rest.partition(":")
            problem, status = Problem(code, message), int(code_status)
        elif kind == _NOTICE:
            notice = message
    return Notices(problem, notice, status)
