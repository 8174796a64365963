"""``idp portal``: the portal under granian (``webapp.server``), like ``idp serve``.

Without ``REDIS_URL`` the portal's sessions live in one process's memory, so it then runs
one worker with threads instead of several workers that could not see each other's
sessions.
"""

from __future__ import annotations

from portal.settings import load_portal_settings
from webapp.server import granian_command

THREADS_WITHOUT_REDIS = 8


def server_command(host: str, port: int, workers: int | None) -> tuple[list[str], dict]:
    """The server's argv and environment for the portal; raises ``SettingsError`` on bad
    settings (``ServerSettingsError`` on a server variable no longer read)."""
    settings = load_portal_settings()
    if not settings["REDIS_URL"]:
        return granian_command(
            "portal.wsgi:app", host, port, workers=1, threads=THREADS_WITHOUT_REDIS
        )
    return granian_command("portal.wsgi:app", host, port, workers=workers)
