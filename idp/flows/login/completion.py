"""The end of every login: the session, the audit row, back to whoever asked.

Password + SMS OTP (or the authenticator app), an upstream provider, or both (a citizen
who proves the local account once to link an upstream identity) all end here.
"""

from __future__ import annotations

from flask import redirect, url_for
from werkzeug.wrappers import Response

from idp import audit
from idp.citizens import lockout
from idp.citizens.models import Citizen
from idp.flows.flow import Flow, finish_flow, rebind_flow
from idp.flows.login import flow as states
from idp.flows.login.flow import safe_return_path
from idp.login_session import UpstreamSession
from idp.sign_in import start_login

AMR_PASSWORD_SMS = ["pwd", "sms", "mfa"]
AMR_FEDERATED = "fed"  # RFC 8176 §2


def complete_login(
    flow: Flow,
    citizen: Citizen,
    amr: list[str],
    acr: str = "LoA1",
    upstream: UpstreamSession | None = None,
) -> Response:
    """Sign the citizen in and send the browser on: to the parked authorization request,
    the provider page it came from, or the "signed in" page."""
    session = start_login(citizen.id, amr, acr, upstream)
    lockout.register_success(citizen.id_number)
    through = {"acr": acr, "upstream": upstream.name} if upstream else {}
    audit.record(
        "login.success", citizen_id=citizen.id, sid=session.sid, amr=session.amr, **through
    )
    if flow.data.authorize:
        flow.state = states.DONE
        rebind_flow(flow)  # to the browser id of the flow cookie renewed at login
        return redirect(url_for("authorize.resume", flow=flow.id))
    finish_flow(flow)
    return_to = safe_return_path(flow.data.return_to)
    return redirect(return_to or url_for("login.signed_in"))
