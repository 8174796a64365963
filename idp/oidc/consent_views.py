"""The consent page (OIDC Core §3.1.2.4): "Đồng ý" resumes the authorization request,
"Từ chối" answers the client ``access_denied``.

Above ``idp.oidc.authorize``, which parks a request here through
``idp.oidc.consent.ask_consent``; this module hands the decision back to it.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from idp import audit
from idp.flows.flow import Flow, finish_flow
from idp.flows.steps import flow_step, register_guard, restart_guard
from idp.login_session import current_login
from idp.oidc.authorize import deny, process
from idp.oidc.consent import data_items, remember_consent

bp = Blueprint("consent", __name__)

register_guard("consent", restart_guard("consent"))


@bp.get("/consent")
@flow_step("consent", "ask")
def ask(flow: Flow):
    """The data the agency asks for, "Đồng ý" or "Từ chối"."""
    return render_template(
        "provider/consent/ask.html", flow=flow, items=data_items(flow.data.scope)
    )


@bp.post("/consent")
@flow_step("consent", "ask")
def decide(flow: Flow):
    """The citizen's decision: "approve" (the first button) or "deny"."""
    login = current_login()
    if login is None or not finish_flow(flow):
        return redirect(url_for("pages.home"))
    params, client_id = flow.data.authorize, flow.data.client_id
    if request.form.get("decision") != "approve":
        audit.record("consent.denied", citizen_id=login.citizen_id, client_id=client_id)
        return deny(params)
    audit.record(  # before the commit that remembers the consent: one commit for both
        "consent.granted",
        citizen_id=login.citizen_id,
        client_id=client_id,
        scope=flow.data.scope,
    )
    remember_consent(login.citizen_id, client_id, flow.data.scope)
    return process(params, fresh_login=flow.data.fresh_login, consented=True)
