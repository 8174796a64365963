"""Server-side portal sessions: ending them by provider sid and by sub."""

from __future__ import annotations

import pytest

from portal.presentation import describe_sign_in
from relying_party.session_store import end_sessions, index_session
from relying_party.store import MemoryStore


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    for session_id, sid, sub in [
        ("s1", "sid-a", "alice"),
        ("s2", "sid-a", "alice"),
        ("s3", "sid-b", "alice"),
        ("s4", "sid-c", "bob"),
    ]:
        store.set(f"session:{session_id}", {"data": {"citizen": {"sid": sid, "sub": sub}}}, 60)
        index_session(store, session_id, sid, sub, 60)
    return store


def alive(store: MemoryStore) -> set[str]:
    return {s for s in ("s1", "s2", "s3", "s4") if store.get(f"session:{s}")}


def test_a_sid_ends_only_that_provider_sessions_portal_sessions(store):
    assert end_sessions(store, sid="sid-a") == 2
    assert alive(store) == {"s3", "s4"}


def test_a_sub_alone_ends_every_session_of_that_citizen(store):
    assert end_sessions(store, sub="alice") == 3
    assert alive(store) == {"s4"}


def test_sid_and_sub_must_both_match(store):
    assert end_sessions(store, sid="sid-a", sub="bob") == 0
    assert alive(store) == {"s1", "s2", "s3", "s4"}
    assert end_sessions(store, sid="sid-c", sub="bob") == 1
    assert alive(store) == {"s1", "s2", "s3"}


def test_ending_twice_is_harmless_and_prunes_the_index(store):
    assert end_sessions(store, sid="sid-a") == 2
    assert end_sessions(store, sid="sid-a") == 0
    assert store.set_members("by-sid:sid-a") == set()


def test_unknown_sid_ends_nothing(store):
    assert end_sessions(store, sid="sid-z") == 0
    assert alive(store) == {"s1", "s2", "s3", "s4"}


@pytest.mark.parametrize(
    ("acr", "amr", "words"),
    [
        ("LoA1", ["pwd", "sms", "mfa"], "Mật khẩu + OTP qua SMS"),
        ("LoA1", ["pwd", "otp", "mfa"], "Mật khẩu + OTP từ ứng dụng xác thực"),
        ("LoA1", ["pwd"], "Mật khẩu"),
        ("LoA1", [], "Mức độ đảm bảo LoA1"),
        (None, None, "Không xác định"),
    ],
)
def test_how_the_citizen_signed_in_in_words(acr, amr, words):
    assert describe_sign_in(acr, amr) == words
