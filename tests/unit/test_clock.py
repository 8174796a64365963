"""The application clock: the system's time, moved forward only by tests."""

from __future__ import annotations

import time
from datetime import UTC

import pytest

from idp.clock import Clock


def test_the_clock_follows_the_system_until_advanced():
    clock = Clock()
    assert abs(clock.now() - time.time()) < 1
    assert abs(clock.monotonic() - time.monotonic()) < 1
    assert clock.utcnow().tzinfo is UTC


def test_advancing_moves_wall_and_monotonic_time_alike():
    clock = Clock()
    wall, mono = clock.now(), clock.monotonic()
    clock.advance(3600)
    assert 3600 <= clock.now() - wall < 3601
    assert 3600 <= clock.monotonic() - mono < 3601
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_the_app_reads_the_clock_it_was_given(app, clock):
    from idp.services import clock as app_clock

    with app.app_context():
        assert app_clock() is clock
