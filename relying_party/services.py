"""The relying party's long-lived objects in an app, built once by ``mount``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import current_app

if TYPE_CHECKING:
    from relying_party.callback import SignIn
    from relying_party.provider_client import ProviderClient
    from relying_party.settings import ClientSettings
    from relying_party.store import SessionStore

EXTENSION = "relying_party"


def _no_locale() -> str | None:
    return None


def basic_profile(sign_in: SignIn) -> dict[str, Any]:
    """The citizen record kept in the session by default: who, and how they signed in."""
    return {"name": sign_in.userinfo.get("name") or ""}


@dataclass
class RelyingParty:
    """The app's client of the provider, its session store and the mounter's hooks."""

    settings: ClientSettings
    store: SessionStore
    provider: ProviderClient
    #: The page language to ask the provider for (``ui_locales``), or None.
    ui_locales: Callable[[], str | None] = _no_locale
    #: Extra fields of ``session['citizen']`` from a completed sign-in.
    profile: Callable[[SignIn], dict[str, Any]] = basic_profile
    #: Session keys that are the browser's preferences, kept across signing in and out.
    kept_across_sign_in: tuple[str, ...] = field(default=())


def rp() -> RelyingParty:
    """The current app's relying party."""
    return current_app.extensions[EXTENSION]
