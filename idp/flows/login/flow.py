"""The login flow's states and data.

States: ``choose_method`` → ``password`` → ``otp`` → ``done``. ``data`` holds the parked
authorization request (``authorize``), the client's display name, the ``login_hint``, and
after the password step the citizen's id.
"""

from __future__ import annotations

from typing import Any

from idp.flows.flow import Flow, create_flow

CHOOSE_METHOD = "choose_method"
PASSWORD = "password"
OTP = "otp"
DONE = "done"


def start_login_flow(authorize: dict[str, str] | None, client: Any = None) -> Flow:
    """Start a login, optionally on behalf of a parked authorization request."""
    data: dict[str, Any] = {"authorize": authorize}
    if client is not None:
        data["client_name"] = client.client_name or client.client_id
    if authorize and authorize.get("login_hint"):
        data["login_hint"] = authorize["login_hint"][:12]
    return create_flow("login", CHOOSE_METHOD, data)
