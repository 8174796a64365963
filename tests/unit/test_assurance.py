"""Levels of assurance: what a request asks for, what a login reaches, and what a relying
party accepts back."""

from __future__ import annotations

import pytest

from idp.assurance import reaches, wanted_level
from relying_party.settings import accepted_acr_values


@pytest.mark.parametrize(
    ("params", "claims", "wanted"),
    [
        ({}, None, None),
        ({"acr_values": "LoA2"}, None, "LoA2"),
        ({"acr_values": "LoA3 LoA2"}, None, "LoA2"),  # any of them: the weakest counts
        ({"acr_values": "urn:unknown"}, None, None),
        ({}, {"id_token": {"acr": {"essential": True, "values": ["LoA2"]}}}, "LoA2"),
        ({}, {"id_token": {"acr": {"essential": True, "value": "LoA3"}}}, "LoA3"),
        ({}, {"id_token": {"acr": {"values": ["LoA2"]}}}, None),  # voluntary
        ({}, {"id_token": {"acr": "LoA2"}}, None),
        ({"acr_values": "LoA1"}, {"id_token": {"acr": {"essential": True, "value": 7}}}, "LoA1"),
    ],
)
def test_the_level_a_request_asks_for(params, claims, wanted):
    assert wanted_level(params, claims) == wanted


def test_a_higher_level_reaches_a_lower_one():
    assert reaches("LoA2", "LoA1") and reaches("LoA2", "LoA2") and reaches("LoA1", None)
    assert not reaches("LoA1", "LoA2") and not reaches(None, "LoA1")
    assert not reaches("made-up", "LoA1")


@pytest.mark.parametrize(
    ("asked", "accepted"),
    [
        ("LoA1", ("LoA1", "LoA2", "LoA3")),
        ("LoA2", ("LoA2", "LoA3")),
        ("", ()),
        ("urn:other", ("urn:other",)),
    ],
)
def test_a_relying_party_accepts_the_level_asked_for_and_above(asked, accepted):
    assert accepted_acr_values(asked, "LoA1 LoA2 LoA3") == accepted
