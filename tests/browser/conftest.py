"""Browser end-to-end fixtures: Playwright for Python driving Debian's Chromium.

Every test here is marked ``browser``. Chromium is ``/usr/bin/chromium`` (``apt-get install
chromium``); Playwright never downloads a browser of its own. When that binary is missing
the whole folder is skipped, saying why; CI installs it, so CI always runs these tests.
The provider runs on a real threaded HTTP server on 127.0.0.1 with ``IDP_ISSUER`` set to
that server's address, and each test gets a fresh browser context (cookies, storage).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.accessibility import AccessibilityAudit
from tests.conftest import REAL_REDIS, Outbox
from tests.live import LiveServer, free_port

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items) -> None:
    """Mark this folder's tests ``browser``; skip them when Chromium is not installed."""
    missing = pytest.mark.skip(
        reason=f"{CHROMIUM} is not installed (apt-get install chromium); CI installs it"
    )
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(missing)


@pytest.fixture(scope="session")
def chromium():
    """One Chromium process for the session; tests isolate themselves with contexts."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def accessibility(monkeypatch) -> AccessibilityAudit:
    """The test's accessibility audit (axe-core, WCAG 2.1 A/AA and 2.2 AA); ``new_page``
    feeds it every document its pages leave and their last ones."""
    audit = AccessibilityAudit()
    audit.install(monkeypatch)
    return audit


@pytest.fixture
def new_page(chromium, accessibility) -> Iterator[Callable]:
    """Open pages in fresh contexts: ``new_page()`` phone-sized, ``new_page(DESKTOP)``.
    Every document the pages show is audited for accessibility; any violation fails the
    test at its end with the list (``tests/browser/accessibility.py``)."""
    contexts = []
    pages = []

    def open_page(viewport: dict | None = None, **options):
        context = chromium.new_context(viewport=viewport or PHONE, locale="vi-VN", **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        accessibility.watch(page)
        pages.append(page)
        return page

    yield open_page
    for page in pages:
        accessibility.audit(page)
    for context in contexts:
        context.close()
    if accessibility.findings:
        pytest.fail(accessibility.report(), pytrace=False)


@pytest.fixture
def page(new_page):
    """A phone-sized page (360x740) in a fresh browser context."""
    return new_page()


def shoot(page, name: str) -> Path:
    """Save the whole page as ``docs/screenshots/<name>.png`` (overwritten every run)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


def scroll_width(page) -> int:
    """The document's scrollable width: no wider than the viewport means no side scrolling."""
    return page.evaluate("document.documentElement.scrollWidth")


@dataclass
class LiveProvider:
    """The provider app served on 127.0.0.1 with its SMS outbox."""

    url: str
    app: object
    outbox: Outbox

    def create_citizen(self, **fields) -> dict:
        """Create a citizen account directly (as ``idp citizens create`` would)."""
        from idp.citizens.creation import create_citizen

        with self.app.app_context():
            citizen = create_citizen(**fields, actor="test")
            return {**fields, "id": citizen.id, "sub": citizen.subject, "e164": citizen.phone}

    def import_subscribers(self, *rows: tuple[str, str]) -> None:
        """Load (phone, id_number) rows into the "chính chủ" registry, as the CLI does."""
        from idp.subscribers.csv_import import import_subscribers

        lines = ["phone,id_number", *(f"{phone},{number}" for phone, number in rows)]
        with self.app.app_context():
            import_subscribers(lines)

    def register_client(self, redirect_uri: str, **options) -> dict:
        """Register a trusted confidential client; returns its id and secret."""
        from idp.oidc.clients import create_client

        options.setdefault("name", "Cổng thử nghiệm")
        options.setdefault("scope", "openid profile phone")
        options.setdefault("trusted", True)
        with self.app.app_context():
            client_id, secret = create_client(redirect_uris=[redirect_uri], **options)
        return {"client_id": client_id, "client_secret": secret}


@pytest.fixture
def serve() -> Iterator[Callable]:
    """Serve WSGI apps on 127.0.0.1 until the test ends: ``serve(app, port=None)``."""
    servers = []

    def start(app, port: int | None = None) -> LiveServer:
        server = LiveServer(app, port).start()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def provider_factory(app_factory, serve) -> Callable:
    """Build and serve a provider: ``provider_factory(**settings)`` -> ``LiveProvider``."""

    def build(**overrides) -> LiveProvider:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        app = app_factory(IDP_ISSUER=url, **overrides)
        serve(app, port)
        return LiveProvider(url=url, app=app, outbox=Outbox(app_factory.outbox))

    return build


@pytest.fixture
def provider(provider_factory) -> LiveProvider:
    """The provider on a free 127.0.0.1 port, ``IDP_ISSUER`` equal to its address."""
    return provider_factory()


@dataclass
class LiveRelyingParty:
    """The tiny relying party served on 127.0.0.1, registered at the provider."""

    url: str
    client: dict


@pytest.fixture
def relying_party(provider, serve) -> LiveRelyingParty:
    """A tiny RP registered at ``provider`` with its ``/callback`` as redirect URI."""
    from tests.browser.relying_party import create_relying_party

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    client = provider.register_client(f"{url}/callback")
    serve(create_relying_party(provider.url, client["client_id"], client["client_secret"]), port)
    return LiveRelyingParty(url=url, client=client)


@dataclass
class LivePortal:
    """A provincial portal (``portal``) served on 127.0.0.1, registered at the provider."""

    url: str
    client: dict
    app: object


@pytest.fixture
def portal_factory(provider, serve) -> Callable:
    """Build and serve portals: ``portal_factory(name)`` -> ``LivePortal``; each is its
    own client with redirect, post-logout and back-channel logout URIs at the provider."""
    from portal import create_portal_app
    from portal.settings import DEFAULTS as PORTAL_DEFAULTS

    def build(name: str | None = None) -> LivePortal:
        """``name`` is the portal's PORTAL_NAME; by default the Đắk Lắk portal's own."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        name = name or PORTAL_DEFAULTS["PORTAL_NAME"]
        client = provider.register_client(
            f"{url}/callback",
            name=name,
            scope="openid profile phone citizen_id offline_access",
            post_logout_redirect_uris=[f"{url}/"],
            backchannel_logout_uri=f"{url}/backchannel-logout",
        )
        app = create_portal_app(
            {
                "PORTAL_NAME": name,
                "PORTAL_ISSUER": provider.url,
                "PORTAL_CLIENT_ID": client["client_id"],
                "PORTAL_CLIENT_SECRET": client["client_secret"],
                "PORTAL_BASE_URL": url,
                "REDIS_URL": REAL_REDIS,
                "PORTAL_REDIS_PREFIX": f"test:{secrets.token_hex(4)}:portal:",
            }
        )
        serve(app, port)
        return LivePortal(url=url, client=client, app=app)

    return build


@pytest.fixture
def portal(portal_factory) -> LivePortal:
    """The Đắk Lắk portal, using the live provider."""
    return portal_factory()
