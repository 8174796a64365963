"""``idp portal``: the portal under gunicorn (``config/gunicorn.conf.py``), like ``idp serve``.

Without ``REDIS_URL`` the portal's sessions live in one process's memory, so it then runs
one worker with threads instead of several workers that could not see each other's
sessions.
"""

from __future__ import annotations

import sys

from idp.portal.settings import load_portal_settings
from idp.settings import ROOT

THREADS_WITHOUT_REDIS = 8


def gunicorn_argv(host: str, port: int, workers: int | None) -> list[str]:
    """The gunicorn command line for the portal; raises ``SettingsError`` on bad settings."""
    settings = load_portal_settings()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(ROOT / "config" / "gunicorn.conf.py"),
        "-b",
        f"{host}:{port}",
    ]
    if not settings["REDIS_URL"]:
        argv += ["-w", "1", "--threads", str(THREADS_WITHOUT_REDIS)]
    elif workers:
        argv += ["-w", str(workers)]
    return [*argv, "idp.portal.wsgi:app"]
