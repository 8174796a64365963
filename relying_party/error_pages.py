"""The error pages hook: the mounting app says how a ``Problem`` is shown.

``init_app(app, render)`` turns a ``RelyingPartyError`` (a tampered callback, a provider
that cannot be reached, a refused token) and an unreachable session store into
``render(problem, status)``, never a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask
from flask.typing import ResponseReturnValue
from markupsafe import escape

from relying_party.errors import Problem, RelyingPartyError, StoreUnavailable
from relying_party.provider_client import PROVIDER_MISCONFIGURED, PROVIDER_UNREACHABLE
from relying_party.signed_in import REFRESH_IN_PROGRESS

log = logging.getLogger("relying_party")

Render = Callable[[Problem, int], ResponseReturnValue]

STATUS_OF = {
    PROVIDER_UNREACHABLE.code: 503,
    PROVIDER_MISCONFIGURED.code: 502,
    REFRESH_IN_PROGRESS.code: 409,
}
UNAVAILABLE = Problem(
    "unavailable",
    "Hệ thống đang tạm thời gián đoạn. Vui lòng thử lại sau ít phút; "
    "thông tin bạn đã nhập chưa được lưu.",
)


def status_of(problem: Problem) -> int:
    """The HTTP status of a page showing ``problem`` (400 unless said otherwise)."""
    return STATUS_OF.get(problem.code, 400)


def plain_page(problem: Problem, status: int) -> ResponseReturnValue:
    """The default page: the message as escaped text (an app passes its own ``render``)."""
    return str(escape(problem.message)), status, {"Content-Type": "text/plain; charset=utf-8"}


def init_app(app: Flask, render: Render = plain_page) -> None:
    """Show the relying party's errors with ``render(problem, status)``."""

    @app.errorhandler(RelyingPartyError)
    def relying_party_error(exc: RelyingPartyError) -> ResponseReturnValue:
        log.info("relying party problem %s", exc.problem.code)
        return render(exc.problem, status_of(exc.problem))

    @app.errorhandler(StoreUnavailable)
    def store_unavailable(exc: StoreUnavailable) -> ResponseReturnValue:
        log.error("service unavailable: %s", exc.service)
        return render(UNAVAILABLE, 503)
