"""Fixtures of the HTTP tests."""

from __future__ import annotations

import pytest

from tests.http.test_console import Console, make_operator


@pytest.fixture
def console(app) -> Console:
    """The console signed in as an operator (``van.hanh``) with an enrolled authenticator."""
    console = Console(app)
    assert console.sign_in(make_operator(app)).status_code == 302
    return console
