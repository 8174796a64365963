"""The app's long-lived service objects (store, key store, SMS gateway, OTP service, clock).

Created once in ``create_app`` and reached through ``current_app.extensions['idp']``
via the accessors below, so views and domain code never construct them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from idp.clock import Clock
    from idp.oidc.keys import KeyStore
    from idp.otp import OtpService
    from idp.sms.base import SmsGateway
    from idp.sms.recent import RecentMessages
    from idp.store.base import Store


@dataclass
class Services:
    store: Store
    keys: KeyStore
    sms: SmsGateway
    recent_sms: RecentMessages
    otp: OtpService
    clock: Clock


def services() -> Services:
    """The current app's services."""
    return current_app.extensions["idp"]


def clock() -> Clock:
    """The app's clock (wall and monotonic time); tests advance it instead of sleeping."""
    return services().clock


def store() -> Store:
    """The short-lived state store (Redis, or the in-process store in development)."""
    return services().store
