"""Rotating the signing keys, as ``idp keys rotate`` and the operators' console do it."""

from __future__ import annotations

from flask import current_app

from idp import audit
from idp.oidc.keys import KeyRecord
from idp.services import services


def rotate_signing_keys(actor: str, lead_seconds: int | None = None) -> list[KeyRecord]:
    """Add the next key per algorithm, published now and signing after ``lead_seconds``
    (default ``KEY_ROTATION_LEAD_SECONDS``); the keys it replaces stay published until
    every token they signed has expired. Each new key is audited."""
    config = current_app.config
    lead = config["KEY_ROTATION_LEAD_SECONDS"] if lead_seconds is None else lead_seconds
    lifetime = max(config["ID_TOKEN_SECONDS"], config["ACCESS_TOKEN_SECONDS"])
    added = services().keys.rotate(lead, lifetime)
    for record in added:
        audit.record(
            "keys.rotated",
            actor=actor,
            kid=record.kid,
            alg=record.alg,
            active_from=record.active_from,
        )
    return added
