"""The provincial portal (Dak Lak) as an OpenID Connect relying party of the provider.

A Flask application of its own, started by ``idp portal``: one configuration of the
``relying_party`` package, which delegates login and registration to the national
provider, keeps sessions and tokens on the server side and logs out both ways
(RP-Initiated and Back-Channel Logout). It imports nothing of the provider (``idp``): the
pages' plumbing it shares with it is ``webapp``; templates, static files and the
translations catalog are the repository's folders.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from webapp import ROOT
from webapp.logging_setup import configure_logging


def create_portal_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build a portal app from its settings (``portal.settings``) and ``overrides``
    (settings, or Flask's own configuration names such as ``TESTING``)."""
    from portal import error_pages, presentation
    from portal.settings import client_settings, load_portal_settings, split_overrides
    from portal.views import make_blueprint
    from relying_party import create_store, mount
    from relying_party.routes import backchannel_logout
    from webapp import i18n, json_limits, request_id, security_headers, static_files

    overrides, flask_config = split_overrides(overrides or {})
    settings = load_portal_settings(overrides)
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    json_limits.init_app(app)
    app.config.update(settings)
    app.config.update(
        SECRET_KEY=settings["PORTAL_SECRET_KEY"],
        SESSION_COOKIE_NAME=settings["PORTAL_COOKIE_NAME"],
        SESSION_COOKIE_SECURE=settings["PORTAL_BASE_URL"].startswith("https://"),
        WTF_CSRF_TIME_LIMIT=None,
        # Pages send no Referer (Referrer-Policy: no-referrer), so no strict referer check.
        WTF_CSRF_SSL_STRICT=False,
        MAX_CONTENT_LENGTH=1048576,
        JSON_AS_ASCII=False,
    )
    app.config.update(flask_config)  # e.g. TESTING, WTF_CSRF_ENABLED in tests
    configure_logging(bool(settings["LOG_JSON"]))
    portal_bp = make_blueprint()
    store = create_store(settings["REDIS_URL"] or None, prefix=settings["PORTAL_REDIS_PREFIX"])
    party = mount(
        app,
        portal_bp,
        client_settings(settings),
        store,
        ui_locales=presentation.page_locale,
        profile=presentation.citizen_profile,
        kept_across_sign_in=presentation.KEPT_ACROSS_SIGN_IN,
        render_problem=error_pages.message_page,
    )
    app.extensions["portal"] = party
    csrf = CSRFProtect(app)
    csrf.exempt(backchannel_logout)  # a server-to-server POST from the provider
    app.register_blueprint(portal_bp)
    i18n.init_app(app)  # the portal's pages speak the same two languages
    presentation.init_app(app)
    security_headers.init_app(app)
    static_files.init_app(app)
    error_pages.init_app(app)
    request_id.init_app(app)
    return app
