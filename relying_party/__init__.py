"""An OpenID Connect relying party for Flask, on Authlib: mount it in an agency's app.

It needs Flask, Authlib, joserfc and requests (redis for a shared session store) and
nothing of the provider. ``mount`` gives an app server-side sessions in a
``SessionStore``, a client of the provider and four routes on the app's blueprint:
login (authorization code + PKCE S256, state, nonce), the callback (RFC 9207 ``iss``,
ID token validation against the provider's JWK Set), RP-Initiated Logout and the
Back-Channel Logout receiver. See ``docs/portal.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask

from relying_party import error_pages
from relying_party.callback import SignIn
from relying_party.errors import Problem, RelyingPartyError, StoreUnavailable
from relying_party.provider_client import ProviderClient
from relying_party.routes import add_routes
from relying_party.services import EXTENSION, RelyingParty, basic_profile, rp
from relying_party.session_store import ServerSideSessions
from relying_party.settings import ClientSettings
from relying_party.store import MemoryStore, RedisStore, SessionStore, create_store

__all__ = [
    "ClientSettings",
    "MemoryStore",
    "Problem",
    "RedisStore",
    "RelyingParty",
    "RelyingPartyError",
    "SessionStore",
    "SignIn",
    "StoreUnavailable",
    "create_store",
    "mount",
    "rp",
]


def mount(
    app: Flask,
    bp: Blueprint,
    settings: ClientSettings,
    store: SessionStore,
    *,
    ui_locales: Callable[[], str | None] | None = None,
    profile: Callable[[SignIn], dict[str, Any]] = basic_profile,
    kept_across_sign_in: tuple[str, ...] = (),
    login_path: str = "/login/national",
    render_problem: error_pages.Render = error_pages.plain_page,
) -> RelyingParty:
    """Make ``app`` a relying party of ``settings.issuer``; call before registering ``bp``.

    Sessions move to ``store`` (the cookie holds only an id); the routes are added to
    ``bp``; ``rp()`` returns what this builds; its errors are shown with
    ``render_problem(problem, status)`` (the app's error pages hook). Exempt
    ``relying_party.routes.backchannel_logout`` from any CSRF protection: the provider
    posts it server to server.
    """
    app.session_interface = ServerSideSessions(store, settings.session_seconds)
    locale = ui_locales or (lambda: None)
    party = RelyingParty(
        settings=settings,
        store=store,
        provider=ProviderClient(app, settings, locale),
        ui_locales=locale,
        profile=profile,
        kept_across_sign_in=kept_across_sign_in,
    )
    app.extensions[EXTENSION] = party
    add_routes(bp, login_path=login_path, callback_path=settings.callback_path)
    error_pages.init_app(app, render_problem)
    return party
