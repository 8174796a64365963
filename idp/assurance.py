"""Levels of assurance (``acr``) and what a request asks for.

A login's level is ``LoA1`` for password + SMS OTP (or the authenticator app) and the
configured level of the upstream provider otherwise. Levels are ordered: a session at a
higher level satisfies a request for a lower one. A client asks for a level with
``acr_values`` (OIDC Core §3.1.2.1) or an essential ``acr`` claim (§5.5.1.1); the lowest
known level it names is the least the login must reach.
"""

from __future__ import annotations

from typing import Any

LEVELS = ("LoA1", "LoA2", "LoA3")
PASSWORD_LEVEL = "LoA1"


def rank(acr: str | None) -> int:
    """The level's place in ``LEVELS`` (0 for LoA1); -1 for an unknown or missing one."""
    return LEVELS.index(acr) if acr in LEVELS else -1


def reaches(acr: str | None, wanted: str | None) -> bool:
    """Whether a login at ``acr`` satisfies a request for at least ``wanted``."""
    return wanted is None or rank(acr) >= rank(wanted)


def wanted_level(params: dict[str, str], requested_claims: dict[str, Any] | None) -> str | None:
    """The least level a request asks for, or None when it asks for none we know.

    Unknown values are ignored (a voluntary request we cannot meet); the lowest known
    value named is the requirement, since any of them is acceptable to the client.
    """
    named = (params.get("acr_values") or "").split()
    acr = ((requested_claims or {}).get("id_token") or {}).get("acr")
    if isinstance(acr, dict) and acr.get("essential"):
        values = acr.get("values") if isinstance(acr.get("values"), list) else []
        if isinstance(acr.get("value"), str):
            values = [*values, acr["value"]]
        named += [value for value in values if isinstance(value, str)]
    known = [value for value in named if value in LEVELS]
    return min(known, key=rank) if known else None
