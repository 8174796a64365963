"""The sector of a pairwise client (OIDC Core §8.1, OIDC Registration §5).

A pairwise ``sub`` is computed per sector, so clients of one agency that share a sector
see the same ``sub`` for a citizen and clients of different agencies see different ones.
The sector is the host of the client's ``sector_identifier_uri`` when it registered one;
that document must be a JSON array listing every redirect URI of the client (fetched
under the outbound policy, ``idp.outbound``: public addresses only in production, no
redirects followed, ``SECTOR_IDENTIFIER_TIMEOUT``, at most ``OUTBOUND_HTTP_MAX_BYTES``).
Without it, all redirect URIs must share one host, which is then the sector.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from idp.errors import DomainError, Problem
from idp.oidc.registration_metadata import METADATA, refusal
from idp.outbound import OutboundError, outbound_http
from webapp import json_limits

SECTOR_REQUIRED = Problem(
    METADATA,
    "A pairwise client whose redirect_uris are on several hosts needs a sector_identifier_uri.",
)
SECTOR_UNREADABLE = Problem(
    METADATA, "sector_identifier_uri could not be fetched as a JSON array of URIs."
)
SECTOR_MISSING_REDIRECT = Problem(
    METADATA, "sector_identifier_uri does not list redirect_uris[{index}]."
)


def _fetch_uri_list(uri: str) -> list[str]:
    timeout = current_app.config["SECTOR_IDENTIFIER_TIMEOUT"]
    try:
        response = outbound_http().get(uri, timeout=timeout)
    except OutboundError:
        raise DomainError(SECTOR_UNREADABLE) from None
    if response.status != 200:
        raise DomainError(SECTOR_UNREADABLE)
    try:
        listed = json_limits.loads(response.body)
    except ValueError:
        raise DomainError(SECTOR_UNREADABLE) from None
    if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
        raise DomainError(SECTOR_UNREADABLE)
    return listed


def sector_of(metadata: dict[str, Any]) -> str | None:
    """The sector host of a pairwise client (None for a public one); DomainError if the
    sector_identifier_uri does not vouch for every redirect URI."""
    if metadata.get("subject_type") != "pairwise":
        return None
    redirect_uris = metadata.get("redirect_uris") or []
    sector_uri = metadata.get("sector_identifier_uri")
    if sector_uri:
        listed = set(_fetch_uri_list(sector_uri))
        for index, uri in enumerate(redirect_uris):
            if uri not in listed:
                raise refusal(SECTOR_MISSING_REDIRECT, index=index)
        return urlsplit(sector_uri).hostname
    hosts = {urlsplit(uri).hostname for uri in redirect_uris}
    if len(hosts) != 1:
        raise DomainError(SECTOR_REQUIRED)
    return hosts.pop()
