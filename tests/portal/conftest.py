"""Live servers for the portal tests: the provider and any number of portals on 127.0.0.1,
each a real threaded HTTP server, sharing the test's database, store prefix and outbox."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest
import requests

from tests.conftest import CITIZEN, REAL_REDIS, Outbox, register_agency_client
from tests.live import LiveServer, free_port
from tests.portal.citizen_browser import CitizenBrowser

PORTAL_SCOPE = "openid profile phone email citizen_id offline_access"


@dataclass
class LiveProvider:
    app: object
    url: str


@dataclass
class LivePortal:
    app: object
    url: str
    client_id: str
    client_secret: str

    @property
    def store(self):
        return self.app.extensions["portal"].store

    def session_of(self, browser: CitizenBrowser) -> dict | None:
        """The server-side session this browser's portal cookie points at."""
        cookie = browser.http.cookies.get(self.app.config["PORTAL_COOKIE_NAME"])
        record = self.store.get(f"session:{cookie}") if cookie else None
        return record["data"] if record else None


@pytest.fixture
def provider(app_factory):
    port = free_port()
    app = app_factory(IDP_ISSUER=f"http://127.0.0.1:{port}")
    server = LiveServer(app, port).start()
    yield LiveProvider(app, server.url)
    server.stop()


def register_portal_client(provider: LiveProvider, base: str, name: str) -> tuple[str, str]:
    return register_agency_client(provider.app, base, name, PORTAL_SCOPE)


def portal_settings(provider_url: str, base: str, client_id: str, secret: str) -> dict:
    return {
        "IDP_ENV": "test",
        "PORTAL_ISSUER": provider_url,
        "PORTAL_CLIENT_ID": client_id,
        "PORTAL_CLIENT_SECRET": secret,
        "PORTAL_BASE_URL": base,
        "PORTAL_SECRET_KEY": secrets.token_hex(32),
        "REDIS_URL": REAL_REDIS,
        "PORTAL_REDIS_PREFIX": f"test:{secrets.token_hex(4)}:portal:",
    }


@pytest.fixture
def portals(provider):
    """``start(name, **overrides)``: register a client and serve a portal for it."""
    from portal import create_portal_app

    servers = []

    def start(name: str = "Cổng DVC tỉnh Đắk Lắk", **overrides) -> LivePortal:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        client_id, secret = register_portal_client(provider, base, name)
        settings = portal_settings(provider.url, base, client_id, secret)
        settings.update(overrides)
        app = create_portal_app(settings)
        servers.append(LiveServer(app, port).start())
        return LivePortal(app, base, client_id, secret)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def citizen(provider) -> dict:
    from idp.citizens.creation import create_citizen

    with provider.app.app_context():
        created = create_citizen(**CITIZEN, actor="test")
        return {**CITIZEN, "sub": created.subject, "phone_e164": created.phone}


@pytest.fixture
def browser() -> CitizenBrowser:
    browser = CitizenBrowser()
    yield browser
    browser.http.close()


def sign_in(
    browser: CitizenBrowser, portal: LivePortal, citizen: dict, outbox: Outbox
) -> requests.Response:
    """The user guide's part 2 from the portal's home page; returns the page it ends on."""
    home = browser.get(portal.url + "/")
    chooser = browser.click(home, "Đăng nhập")
    page = browser.click(chooser, "Đăng nhập Cổng DVC Quốc gia")
    page = browser.submit(page, button="Tài khoản cấp bởi Cổng dịch vụ công quốc gia")
    page = browser.submit(page, {"username": citizen["id_number"], "password": citizen["password"]})
    assert page.status_code == 200, page.text[:500]
    return browser.submit(page, {"otp": outbox.last_otp(citizen["phone_e164"])}, "Xác nhận")
