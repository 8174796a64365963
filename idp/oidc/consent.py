"""Consent (OIDC Core §3.1.2.4) for clients that are not first-party (``trusted``).

The citizen sees the agency's name and each piece of data the scopes would release, and
approves or denies. An approval is remembered per client and scope set, so the next
authorization asking for the same or fewer scopes goes straight through; ``prompt=consent``
asks again. Denial returns ``access_denied`` to the client.

This module holds the rules and parks the request (``ask_consent``); the page and the
citizen's decision are ``idp.oidc.consent_views``, above ``idp.oidc.authorize``.
"""

from __future__ import annotations

from dataclasses import dataclass

from authlib.oauth2.rfc6749 import scope_to_list
from flask import redirect, url_for

from idp.extensions import db
from idp.flows.flow import FlowData, create_flow, flow_data
from idp.oidc.models import Consent

# What each scope releases, in the words a citizen reads on the consent page.
SCOPE_LABELS: dict[str, list[str]] = {
    "openid": ["Mã định danh tài khoản của bạn dành riêng cho cơ quan này"],
    "profile": ["Họ và tên", "Ngày sinh", "Giới tính"],
    "phone": ["Số điện thoại"],
    "email": ["Thư điện tử (email)"],
    "citizen_id": ["Số định danh cá nhân (số CMND/CCCD)"],
    "offline_access": ["Duy trì quyền truy cập cả khi bạn không trực tuyến"],
}


def data_items(scope: str) -> list[str]:
    """The labels of every piece of data a scope string releases."""
    items: list[str] = []
    for name in scope_to_list(scope) or []:
        items.extend(SCOPE_LABELS.get(name, []))
    return items


def has_consent(citizen_id: int, client_id: str, scope: str) -> bool:
    row = db.session.scalar(
        db.select(Consent).filter_by(citizen_id=citizen_id, client_id=client_id)
    )
    return row is not None and row.covers(scope)


def needs_consent(citizen_id: int, client, scope: str, prompts: list[str]) -> bool:
    if client.trusted:
        return False
    return "consent" in prompts or not has_consent(citizen_id, client.client_id, scope)


def remember_consent(citizen_id: int, client_id: str, scope: str) -> None:
    row = db.session.scalar(
        db.select(Consent).filter_by(citizen_id=citizen_id, client_id=client_id)
    )
    if row is None:
        row = Consent(citizen_id=citizen_id, client_id=client_id, scopes="")
        db.session.add(row)
    row.scopes = " ".join(sorted(set(row.scopes.split()) | set(scope.split())))
    db.session.commit()


@flow_data("consent")
@dataclass
class ConsentData(FlowData):
    """The parked authorization request and what the consent page shows of it."""

    authorize: dict[str, str]
    client_id: str
    client_name: str
    scope: str
    fresh_login: bool
    policy_uri: str | None = None


def ask_consent(params: dict[str, str], client, scope: str, fresh_login: bool):
    """Park the authorization request and show the consent page."""
    data = ConsentData(
        authorize=params,
        client_id=client.client_id,
        client_name=client.client_name or client.client_id,
        scope=scope,
        fresh_login=fresh_login,
        policy_uri=client.client_metadata.get("policy_uri"),
    )
    flow = create_flow("consent", "ask", data)
    return redirect(url_for("consent.ask", flow=flow.id))
