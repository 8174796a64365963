"""Where a finished flow may send the browser (no open redirect): the provider's one guard.

``provider_path``: a path on the provider itself (``/account?x=1``, ``/oauth2/authorize?...``).
Anything with a scheme or a host, ``//`` or a backslash (both scheme-relative to another
origin in browsers), a control character or a space is refused. Login returns only to such
a path (``idp.flows.login.flow.safe_return_path``); registration also to an address an
active client registered exactly (``safe_return_address``). Anything else is ignored.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app

from idp.client_directory import client_directory

MAX_LENGTH = 2048


def _refused_character(address: str) -> bool:
    return any(ord(char) < 0x21 or char in "\\\x7f" for char in address)


def provider_path(address: str | None, max_length: int = MAX_LENGTH) -> str | None:
    """``address`` if it is a path on this provider (see the module docstring), else None."""
    if not address or len(address) > max_length or _refused_character(address):
        return None
    if not address.startswith("/") or address.startswith("//"):
        return None
    parts = urlsplit(address)
    return address if not parts.scheme and not parts.netloc else None


def safe_return_address(raw: str | None) -> str | None:
    """The address to return to after registration: a provider path (the issuer's origin
    dropped) or an address an active client registered; None if it is not allowed."""
    if not raw or len(raw) > MAX_LENGTH or _refused_character(raw):
        return None
    issuer = current_app.config["IDP_ISSUER"]
    if raw.startswith(issuer + "/"):
        raw = raw[len(issuer) :]
    if provider_path(raw):
        return raw
    parts = urlsplit(raw)
    if parts.scheme in ("http", "https") and client_directory().registered_address(raw):
        return raw
    return None
