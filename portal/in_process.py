"""Serving a portal from a thread of another process (``idp demo``): werkzeug's threaded
server on a background thread, the portal on the embedded in-process store."""

from __future__ import annotations

import secrets
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from portal import create_portal_app


def start_portal_thread(
    issuer: str,
    client_id: str,
    client_secret: str,
    host: str = "127.0.0.1",
    port: int = 5001,
    *,
    base_url: str | None = None,
    request_handler: type[WSGIRequestHandler] | None = None,
) -> str:
    """Start a portal for ``client_id`` listening on ``host:port`` in a daemon thread; its
    URL (``base_url``, by default ``http://host:port``).

    The portal reads the provider's discovery lazily, so it may start before the provider
    listens. It has a random secret key: its sessions end when the process does.
    """
    base = base_url or f"http://{host}:{port}"
    app = create_portal_app(
        {
            "PORTAL_ISSUER": issuer,
            "PORTAL_CLIENT_ID": client_id,
            "PORTAL_CLIENT_SECRET": client_secret,
            "PORTAL_BASE_URL": base,
            "PORTAL_SECRET_KEY": secrets.token_hex(32),
            "REDIS_URL": "",
        }
    )
    server = make_server(host, port, app, threaded=True, request_handler=request_handler)
    threading.Thread(target=server.serve_forever, name="portal", daemon=True).start()
    return base
