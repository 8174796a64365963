"""Where a finished registration may send the citizen (no open redirect).

A ``return_to`` is kept only if it is exactly a ``redirect_uri`` or a
``post_logout_redirect_uri`` registered by an active client, or a path on the provider
itself (for example ``/oauth2/authorize?...``, which then continues the OIDC flow with
the fresh session). Anything else is ignored.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app

from idp.extensions import db
from idp.oidc.models import Client

MAX_LENGTH = 2048


def _is_local_path(address: str) -> bool:
    # "//host" and "/\host" are scheme-relative URLs to another origin in browsers.
    parts = urlsplit(address)
    return (
        address.startswith("/")
        and not address.startswith(("//", "/\\"))
        and not parts.scheme
        and not parts.netloc
    )


def _registered_by_a_client(address: str) -> bool:
    clients = db.session.scalars(db.select(Client).filter_by(status="active"))
    for client in clients:
        metadata = client.client_metadata
        if address in metadata.get("redirect_uris", []):
            return True
        if address in metadata.get("post_logout_redirect_uris", []):
            return True
    return False


def safe_return_address(raw: str | None) -> str | None:
    """The address to return to after registration, or None if it is not allowed."""
    if not raw or len(raw) > MAX_LENGTH:
        return None
    if any(ord(char) < 0x21 or char == "\\" for char in raw):
        return None
    issuer = current_app.config["IDP_ISSUER"]
    if raw.startswith(issuer + "/"):
        raw = raw[len(issuer) :]
    if _is_local_path(raw):
        return raw
    parts = urlsplit(raw)
    if parts.scheme in ("http", "https") and _registered_by_a_client(raw):
        return raw
    return None
