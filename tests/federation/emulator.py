"""The VNeID emulator (``idp.vneid_emulator``) served on 127.0.0.1 for the tests: a
second configuration of this provider with its own SQLite database, keys, cookie names
and SMS outbox, registered as the upstream ``vneid`` of the provider under test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import requests

from tests.conftest import Outbox
from tests.federation.driver import through_password_and_otp
from tests.live import LiveServer, free_port


@dataclass
class LiveEmulator:
    app: object
    issuer: str
    outbox: Outbox
    secret: str


def start_emulator(folder: Path, provider_issuer: str, clock) -> tuple[LiveEmulator, LiveServer]:
    """The emulator listening on a free port, seeded, with its client for the provider."""
    from idp import create_app
    from idp import vneid_emulator as emulator
    from idp.extensions import db
    from idp.oidc.keys import KeyStore

    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    settings = emulator.emulator_settings(issuer, folder)
    KeyStore(settings["IDP_KEYS_DIR"]).generate()
    outbox = folder / "outbox.jsonl"
    app = create_app(
        "test",
        {**settings, "SMS_BACKEND": "outbox", "SMS_OUTBOX_PATH": str(outbox)},
        clock=clock,
    )
    with app.app_context():
        db.create_all()
    secret = emulator.seed_emulator(app, provider_issuer)
    server = LiveServer(app, port).start()
    return LiveEmulator(app, issuer, Outbox(outbox), secret), server


def sign_in_at_emulator(
    browser: requests.Session,
    page: requests.Response,
    person: dict,
    outbox: Outbox,
    follow: bool = True,
) -> requests.Response:
    """At the emulator's login choice: its password and SMS OTP; the page the browser
    ends on after the emulator sends it back (``follow`` False: the emulator's answer to
    the code, whose redirects the caller follows)."""
    phone = "+84" + person["phone"][1:]
    return through_password_and_otp(
        browser,
        page,
        person["id_number"],
        person["password"],
        lambda: outbox.last_otp(phone),
        follow=follow,
    )


def redirects_until(browser: requests.Session, response: requests.Response, prefix: str) -> str:
    """Follow ``response``'s redirects within the emulator until one leaves for ``prefix``
    (a provider served by Flask's test client, not over HTTP); that address."""
    while response.is_redirect:
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith(prefix):
            return location
        response = browser.get(location, allow_redirects=False)
    raise AssertionError(f"never sent to {prefix}: {response.status_code} {response.text[:300]}")
