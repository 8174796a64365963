"""X-Forwarded-* headers, believed only when they come from a trusted proxy.

werkzeug's ``ProxyFix`` believes the headers of whoever sends them. ``TrustedProxyFix``
applies it only when the immediate peer (``REMOTE_ADDR``) is one of ``TRUSTED_PROXIES``
(addresses or CIDR networks), so a citizen who sends ``X-Forwarded-For`` straight to a
replica cannot choose the address that rate limits, the audit trail and login sessions
see. With ``TRUSTED_PROXIES`` empty nothing is wrapped and the headers are ignored.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from idp.address_list import AddressList


class TrustedProxyFix:
    """WSGI middleware: ``ProxyFix`` for requests whose peer is a trusted proxy."""

    def __init__(self, wsgi_app: Any, trusted: AddressList, hops: int = 1):
        self.wsgi_app = wsgi_app
        self.trusted = trusted
        # One hop: each header's last value is the one our own proxy wrote.
        self.fixed = ProxyFix(wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        if environ.get("REMOTE_ADDR") in self.trusted:
            return self.fixed(environ, start_response)
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    """Wrap the app in ``TrustedProxyFix`` when ``TRUSTED_PROXIES`` names any proxy."""
    trusted = AddressList.parse("TRUSTED_PROXIES", app.config["TRUSTED_PROXIES"])
    if trusted:
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, trusted)
