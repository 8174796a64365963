"""The portal app's long-lived objects, built once in ``create_portal_app``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from idp.portal.provider_client import ProviderClient
    from idp.store.base import Store


@dataclass
class PortalServices:
    store: Store
    provider: ProviderClient


def portal() -> PortalServices:
    """The current portal app's services."""
    return current_app.extensions["portal"]
