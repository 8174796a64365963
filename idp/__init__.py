"""The National DVC identity provider: a Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask

from idp.abuse.input_limits import use_ascii_integers
from idp.clock import Clock
from idp.settings import ROOT, read_settings
from webapp import json_limits
from webapp.logging_setup import configure_logging


def create_app(
    env: str | None = None, overrides: dict[str, Any] | None = None, clock: Clock | None = None
) -> Flask:
    """Build the provider app from ``config/<env>.toml``, the environment and overrides;
    ``clock`` is the app's time (the system's unless a test passes one it can advance)."""
    typed, extras = read_settings(env, overrides)
    settings = typed.as_dict()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    use_ascii_integers(app)  # before any route: <int:...> takes ASCII digits only
    json_limits.init_app(app)  # request JSON bounded in depth and size
    app.config.update(settings)  # typed already: code reads them without casts
    app.config.update(extras)  # Flask's own keys from the caller (tests: TESTING, ...)
    app.extensions["settings"] = typed
    app.config.update(
        _cookie_names(settings["SESSION_COOKIE_SECURE"], settings["COOKIE_NAME_PREFIX"])
    )
    app.config.update(
        SQLALCHEMY_DATABASE_URI=settings["DATABASE_URL"],
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings["DATABASE_URL"]),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["SESSION_COOKIE_SECURE"],
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
        JSON_AS_ASCII=False,
    )
    configure_logging(settings["LOG_JSON"], settings["LOG_LEVEL"])
    _init_extensions(app)
    _init_services(app, clock or Clock())
    _register_blueprints(app)
    _publish_documents(app)
    _init_operations(app)
    from webapp import request_id  # outermost layer: every response carries X-Request-Id

    request_id.init_app(app)
    return app


def _cookie_names(secure: bool, own: str = "") -> dict[str, str]:
    """The provider's cookie names: ``__Host-`` over https (Secure, Path=/, no Domain, so
    no sibling host can plant one), plain names for development and tests over http;
    ``own`` (``COOKIE_NAME_PREFIX``) after that."""
    prefix = ("__Host-" if secure else "") + own
    return {
        "SESSION_COOKIE_NAME": f"{prefix}idp_flow",
        "LOGIN_COOKIE_NAME": f"{prefix}idp_session",
        "CONSOLE_COOKIE_NAME": f"{prefix}idp_console",
        # A __Host- cookie must have Path=/; over http the console keeps its own path.
        "CONSOLE_COOKIE_PATH": "/" if secure else "/console",
    }


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {
        "pool_size": 10,
        "max_overflow": 10,
        "pool_recycle": 1800,
        # A database that does not answer fails the request in seconds (503), not minutes.
        "connect_args": {"connect_timeout": 5},
    }


def _init_extensions(app: Flask) -> None:
    from idp.extensions import csrf, db, migrate

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    # Import every model so metadata (and Alembic) sees all tables.
    import idp.models  # noqa: F401


def _init_services(app: Flask, clock: Clock) -> None:
    from idp.citizens.password_policy import configure_hasher
    from idp.oidc.keys import KeyStore
    from idp.otp import OtpPolicy, OtpService
    from idp.services import Services
    from idp.sms import create_gateway
    from idp.sms.recent import RecentMessages, RecordingGateway
    from idp.store import create_store

    c = app.config
    configure_hasher(
        time_cost=c["ARGON2_TIME_COST"],
        memory_cost=c["ARGON2_MEMORY_COST"],
        parallelism=c["ARGON2_PARALLELISM"],
    )
    store = create_store(c["REDIS_URL"] or None, c["REDIS_PREFIX"], clock.monotonic)
    gateway = create_gateway(
        c["SMS_BACKEND"],
        outbox_path=c["SMS_OUTBOX_PATH"],
        http_url=c["SMS_HTTP_URL"],
        http_token=c["SMS_HTTP_TOKEN"],
    )
    recent = RecentMessages()
    if c["SHOW_SMS_PAGE"]:
        gateway = RecordingGateway(gateway, recent)
    policy = OtpPolicy(
        ttl=c["OTP_TTL_SECONDS"],
        max_attempts=c["OTP_MAX_ATTEMPTS"],
        resend_cooldown=c["OTP_RESEND_COOLDOWN_SECONDS"],
        max_sends_per_hour=c["OTP_MAX_SENDS_PER_HOUR"],
    )
    otp = OtpService(store, gateway, policy, c["SECRET_KEY"].encode(), clock=clock.now)
    keys = KeyStore(c["IDP_KEYS_DIR"], clock.now)
    app.extensions["idp"] = Services(
        store=store, keys=keys, sms=gateway, recent_sms=recent, otp=otp, clock=clock
    )
    from idp import outbound  # requests to client-chosen URLs (SSRF policy)

    outbound.init_app(app)
    from idp.oidc import client_jwks  # private_key_jwt clients' fetched key sets

    client_jwks.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from idp import error_pages
    from idp.flows.login.views import bp as login_bp
    from idp.login_session import apply_cookie
    from idp.oidc.authorize import bp as authorize_bp
    from idp.oidc.consent_views import bp as consent_bp
    from idp.oidc.endpoints import bp as oidc_bp
    from idp.oidc.par_endpoint import bp as par_bp
    from idp.oidc.server import init_oauth
    from idp.pages import bp as pages_bp
    from webapp import security_headers, static_files

    init_oauth(app)
    from idp.oidc.logout import init_app as init_logout  # RP-Initiated + Back-Channel Logout

    init_logout(app)
    from idp.oidc.session_tokens import SessionTokens  # what signing out asks of the protocol

    app.extensions["issued_tokens"] = SessionTokens()
    for blueprint in (oidc_bp, authorize_bp, par_bp, consent_bp, login_bp, pages_bp):
        app.register_blueprint(blueprint)
    from idp import subscribers  # the "chính chủ" check: fails fast, warns when off
    from idp.flows.complaint.views import bp as complaint_bp
    from idp.flows.recovery.views import bp as recovery_bp
    from idp.flows.registration.views import bp as registration_bp

    subscribers.init_app(app)
    for blueprint in (registration_bp, recovery_bp, complaint_bp):
        app.register_blueprint(blueprint)
    from idp.federation.views import bp as federation_bp  # upstream providers (VNeID, ...)

    app.register_blueprint(federation_bp)
    from idp.console.views import bp as console_bp  # operators' console at /console
    from idp.oidc.registration import init_registration  # RFC 7591/7592 on the server

    init_registration(app)
    app.register_blueprint(console_bp)
    from idp.account.views import bp as account_bp  # the citizen's own account at /account

    app.register_blueprint(account_bp)
    if app.config["SHOW_SMS_PAGE"]:
        from idp.sms.dev_page import bp as sms_page_bp

        app.register_blueprint(sms_page_bp)
    app.after_request(apply_cookie)
    from idp import flow_cookie  # renewed at login; a foreign one dropped before CSRF

    flow_cookie.init_app(app)
    app.context_processor(lambda: {"url_map_endpoints": app.view_functions})
    from webapp import i18n  # page language: Vietnamese default, English (Flask-Babel)

    i18n.init_app(app)
    security_headers.init_app(app)
    static_files.init_app(app)  # fingerprinted, year-cached static URLs; /favicon.ico
    error_pages.init_app(app)
    from idp.abuse import web as abuse  # input limits, SMS-pumping challenge (idp/abuse/)

    abuse.init_app(app)


def _init_operations(app: Flask) -> None:
    """Health, metrics, outage pages, rate limits and proxy trust (after every blueprint)."""
    from idp import audit, database_outage, health, metrics, proxy, rate_limits

    audit.init_app(app)  # audit rows no commit of the request picked up
    app.register_blueprint(health.bp)
    metrics.init_app(app)
    database_outage.init_app(app)
    rate_limits.init_app(app)  # by endpoint name, so every blueprint must be registered
    proxy.init_app(app)


def _publish_documents(app: Flask) -> None:
    """Serve discovery and the JWKS from precomputed bodies, in front of everything else."""
    import json

    from idp.oidc.discovery import provider_metadata
    from idp.oidc.published_documents import PublishedDocuments

    body = json.dumps(provider_metadata(app), separators=(",", ":"), ensure_ascii=False)
    keys = app.extensions["idp"].keys
    app.wsgi_app = PublishedDocuments(app.wsgi_app, body.encode(), keys.jwks_body)
