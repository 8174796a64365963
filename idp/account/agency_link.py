"""The way back from /account to the agency that sent the citizen: the most recent client
of this login session, at an address it registered.

Only a registered address is ever linked: the client's ``client_uri`` (RFC 7591 §2), else
the origin of its first registered redirect URI; http(s) only, never anything typed in a
request.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from idp.login_session import LoginSession
from idp.oidc.models import Client
from idp.oidc.server import query_client


@dataclass(frozen=True)
class AgencyLink:
    name: str
    url: str


def _web_address(uri: object) -> str | None:
    if not isinstance(uri, str):
        return None
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname or "\\" in uri:
        return None
    return uri


def registered_home(client: Client) -> str | None:
    """The client's ``client_uri``, else its first redirect URI's origin; None if neither
    is a web address."""
    home = _web_address(client.client_metadata.get("client_uri"))
    if home:
        return home
    for redirect_uri in client.redirect_uris:
        if _web_address(redirect_uri):
            parts = urlsplit(redirect_uri)
            return f"{parts.scheme}://{parts.netloc}/"
    return None


def agency_to_return_to(login: LoginSession) -> AgencyLink | None:
    """The most recent active client of ``login`` that has a registered home, if any."""
    for client_id in reversed(login.clients):
        client = query_client(client_id)
        home = registered_home(client) if client is not None else None
        if home:
            return AgencyLink(name=client.client_name or client_id, url=home)
    return None
