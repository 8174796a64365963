"""What the self-service flows may ask about the agencies registered at the provider.

Registration shows the name of the agency a new citizen came from and may return them to
an address an agency registered. The flows ask through ``ClientDirectory``; the protocol
side provides it (``idp.oidc.server.ActiveClients``, installed by ``init_oauth``), so
``idp.flows`` imports nothing of ``idp.oidc`` (an import-linter contract in setup.cfg).
"""

from __future__ import annotations

from typing import Protocol

from flask import current_app


class ClientDirectory(Protocol):
    def name_of(self, client_id: str) -> str | None:
        """The display name of the active client ``client_id``; None if there is none."""
        ...

    def registered_address(self, address: str) -> bool:
        """True if an active client registered exactly ``address`` (as a redirect URI or
        a post-logout redirect URI)."""
        ...


def client_directory() -> ClientDirectory:
    """The current app's directory of active clients."""
    return current_app.extensions["client_directory"]
