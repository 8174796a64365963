"""Fixtures of the unit tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("IDP_ENV", "test")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("IDP_KEYS_DIR", str(tmp_path / "keys"))
    return tmp_path
