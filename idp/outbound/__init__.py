"""Server-side requests to URLs that clients chose (SSRF policy).

The provider requests three kinds of client-chosen URL: a ``jwks_uri`` (private_key_jwt
client assertions), a ``sector_identifier_uri`` (pairwise registration) and a
``backchannel_logout_uri`` (logout tokens). Each goes through the one ``OutboundHttp``
of the app (``outbound_http()``): non-public addresses refused unless
``OUTBOUND_ALLOW_PRIVATE_ADDRESSES``, no redirects, ``OUTBOUND_HTTP_TIMEOUT``,
``OUTBOUND_HTTP_MAX_BYTES``; and the app's ``FailureBackoff`` (``outbound_backoff()``)
remembers failing URLs for ``OUTBOUND_BACKOFF_SECONDS`` doubling up to
``OUTBOUND_BACKOFF_MAX_SECONDS``.

URLs the operator configures (``SMS_HTTP_URL``, ``SUBSCRIBER_HTTP_URL``, the portal's
``PORTAL_*`` provider address) are not client-chosen and do not go through this policy.
"""

from __future__ import annotations

from flask import Flask, current_app

from idp.outbound.backoff import FailureBackoff
from idp.outbound.transport import OutboundError, OutboundFailed, OutboundHttp, OutboundRefused

__all__ = [
    "FailureBackoff",
    "OutboundError",
    "OutboundFailed",
    "OutboundHttp",
    "OutboundRefused",
    "init_app",
    "outbound_backoff",
    "outbound_http",
]


def init_app(app: Flask) -> None:
    """Build the app's outbound policy and failure memory from its settings."""
    config = app.config
    app.extensions["outbound_http"] = OutboundHttp(
        allow_private=config["OUTBOUND_ALLOW_PRIVATE_ADDRESSES"],
        timeout=config["OUTBOUND_HTTP_TIMEOUT"],
        max_bytes=config["OUTBOUND_HTTP_MAX_BYTES"],
    )
    app.extensions["outbound_backoff"] = FailureBackoff(
        base=config["OUTBOUND_BACKOFF_SECONDS"],
        ceiling=config["OUTBOUND_BACKOFF_MAX_SECONDS"],
        clock=app.extensions["idp"].clock.monotonic,
    )


def outbound_http() -> OutboundHttp:
    """The current app's policy for requesting client-chosen URLs."""
    return current_app.extensions["outbound_http"]


def outbound_backoff() -> FailureBackoff:
    """The current app's memory of failing client-chosen URLs."""
    return current_app.extensions["outbound_backoff"]
