"""Abuse defences: SMS pumping, credential stuffing, proof of work and input limits.

``TooManyRequests`` marks a refusal the views answer with 429 rather than 400.
"""

from __future__ import annotations

from idp.errors import DomainError


class TooManyRequests(DomainError):
    """A refusal because of volume (a limit or a missing proof of work): answered 429."""
