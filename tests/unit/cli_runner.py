"""The ``idp`` console script, driven through click's runner in a test's environment
(the ``env`` fixture: settings for a temporary SQLite database and keys)."""

from __future__ import annotations

from click.testing import CliRunner

from idp.cli import main


def run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result
