"""The login flow's states and data.

States: ``choose_method`` → ``password`` → ``otp`` → ``done``; a citizen with an
authenticator app goes ``password`` → ``second_factor`` (SMS or app) → ``otp`` or ``totp``.
Through an upstream provider (``idp.federation``): ``choose_method`` → ``upstream`` (the
browser is at the upstream) → ``done``; or on to ``password`` (the citizen proves the
local account once to link it), or ``upstream_phone`` → ``upstream_otp`` (a new account's
phone number).
``LoginData`` holds the parked authorization request (``authorize``) or a provider page to
return to (``return_to``), the client's display name, the ``login_hint``, and after the
password step the citizen's id (and, under the user-wide lock, the look-alike step's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from idp.flows.flow import Flow, FlowData, create_flow, flow_data
from idp.flows.return_address import provider_path

CHOOSE_METHOD = "choose_method"
PASSWORD = "password"
SECOND_FACTOR = "second_factor"
OTP = "otp"
TOTP = "totp"
UPSTREAM = "upstream"
UPSTREAM_PHONE = "upstream_phone"
UPSTREAM_OTP = "upstream_otp"
DONE = "done"

MAX_RETURN_PATH = 512


@flow_data("login")
@dataclass
class LoginData(FlowData):
    authorize: dict[str, str] | None = None  # the parked authorization request
    return_to: str | None = None  # a provider page (when no client asked)
    client_name: str | None = None
    login_hint: str | None = None
    citizen_id: int | None = None  # whose password was right (None: look-alike step)
    under_lock: bool | None = None  # the OTP step is the one under the user-wide lock
    decoy_phone: str | None = None  # the look-alike step's number
    decoy_id_number: str | None = None  # the user name the look-alike step counts
    min_acr: str | None = None  # the least level of assurance the client asked for
    upstream: str | None = None  # the upstream provider chosen (idp.federation)
    upstream_nonce: str | None = None
    upstream_verifier: str | None = None  # PKCE code_verifier
    upstream_identity: dict | None = None  # idp.federation.linking.UpstreamIdentity
    upstream_id_token: str | None = None  # for RP-initiated logout at the upstream
    new_phone: str | None = None  # a new account's phone number, being confirmed

    def forget_second_step(self) -> None:
        """Back to the method choice: nothing of an earlier password step is kept."""
        self.citizen_id = self.under_lock = self.decoy_phone = self.decoy_id_number = None


def safe_return_path(path: str | None) -> str | None:
    """``path`` if it is a path on this provider (``/account?x=1``), else None: anything
    else could send the browser to another site after login (an open redirect)."""
    return provider_path(path, MAX_RETURN_PATH)


def start_login_flow(
    authorize: dict[str, str] | None,
    client: Any = None,
    return_to: str | None = None,
    min_acr: str | None = None,
) -> Flow:
    """Start a login, optionally on behalf of a parked authorization request, or to
    return to a provider page (``return_to``, a same-origin path) once signed in;
    ``min_acr``: only the ways of signing in that reach this level are offered."""
    data = LoginData(authorize=authorize, min_acr=min_acr)
    if not authorize and safe_return_path(return_to):
        data.return_to = return_to
    if client is not None:
        data.client_name = client.client_name or client.client_id
    if authorize and authorize.get("login_hint"):
        data.login_hint = authorize["login_hint"][:12]
    return create_flow("login", CHOOSE_METHOD, data)
