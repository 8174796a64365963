"""``idp demo``: the provider and the Dak Lak portal on the embedded defaults, with demo
data and OTPs visible.

The issuer follows the provider's port and the demo client's redirect URIs follow the
portal's, so ``idp demo --port P --portal-port Q`` works on any free pair of ports. The
"chính chủ" check is on (``SUBSCRIBER_CHECK=registry``), with the demo people's numbers in
the registry, so the guide's refusal can be seen: the banner names a number to try.
"""

from __future__ import annotations

from pathlib import Path

import click

from idp.settings import ROOT

DEMO_CLIENT_ID = "demo-client"
DEMO_CITIZEN = {
    "id_number": "066090001234",
    "full_name": "Nguyễn Văn An",
    "date_of_birth": "1990-05-17",
    "gender": "male",
    "phone": "0912345678",
    "password": "matkhau2026",
}
# Someone with no account yet, to try registration with; their own number is "chính chủ".
DEMO_NEWCOMER = {
    "id_number": "066195004321",
    "full_name": "Trần Thị Bình",
    "date_of_birth": "1995-08-20",
    "gender": "female",
    "phone": "0905123456",
}
# A number registered to another person: registering the newcomer with it is refused.
NOT_OWNED_PHONE = "0987000111"
NOT_OWNED_PHONE_HOLDER = "079090005678"
DEMO_SUBSCRIBERS = (
    (DEMO_CITIZEN["phone"], DEMO_CITIZEN["id_number"]),
    (DEMO_NEWCOMER["phone"], DEMO_NEWCOMER["id_number"]),
    (NOT_OWNED_PHONE, NOT_OWNED_PHONE_HOLDER),
)
DEMO_SETTINGS = {"SUBSCRIBER_CHECK": "registry"}


def public_host(host: str) -> str:
    """The address browsers use for a server listening on ``host``."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


def _portal_metadata(portal_base: str) -> dict:
    return {
        "redirect_uris": [portal_base + "/callback"],
        "post_logout_redirect_uris": [portal_base + "/"],
        "backchannel_logout_uri": portal_base + "/backchannel-logout",
        "backchannel_logout_session_required": True,
    }


def seed_client(client_id: str, name: str, addresses: dict, scope: str) -> str:
    """A trusted demo client with these addresses, created, or given a new secret and the
    addresses of this start; its secret (never written to disk). Needs an app context."""
    from idp import audit
    from idp.extensions import db
    from idp.oidc.clients import create_client, new_client_secret
    from idp.oidc.models import Client

    # Read from the database, not the client cache: the row is changed below.
    client = db.session.scalar(db.select(Client).filter_by(client_id=client_id))
    if client is None:
        _, secret = create_client(
            name=name,
            client_id=client_id,
            redirect_uris=addresses["redirect_uris"],
            post_logout_redirect_uris=addresses["post_logout_redirect_uris"],
            backchannel_logout_uri=addresses["backchannel_logout_uri"],
            scope=scope,
            trusted=True,
            actor="demo",
        )
        return secret
    secret = new_client_secret()
    client.set_secret(secret)
    client.set_client_metadata({**client.client_metadata, **addresses})
    db.session.commit()
    audit.record("client.secret_rotated", client_id=client_id, actor="demo")
    return secret


def seed_demo_data(app, portal_base: str = "http://127.0.0.1:5001") -> str:
    """Create the demo client (or give it a new secret and the portal's current URIs), the
    demo citizen and the "chính chủ" registry rows; returns the client's secret.

    The secret is rotated at every start and handed to the demo portal in this process,
    so no secret is ever written to disk.
    """
    from idp.citizens.creation import account_exists, create_citizen
    from idp.subscribers.csv_import import import_subscribers

    with app.app_context():
        secret = seed_client(
            DEMO_CLIENT_ID,
            "Cổng DVC tỉnh Đắk Lắk (demo)",
            _portal_metadata(portal_base),
            "openid profile phone email citizen_id offline_access",
        )
        if not account_exists(DEMO_CITIZEN["id_number"]):
            create_citizen(**DEMO_CITIZEN, actor="demo")
        rows = [f"{phone},{id_number}" for phone, id_number in DEMO_SUBSCRIBERS]
        import_subscribers(["phone,id_number", *rows], actor="demo")
        return secret


def prepare(env: str = "development", overrides: dict | None = None):
    """Build the app, migrate the database and make keys (idempotent)."""
    from flask_migrate import upgrade

    from idp import create_app
    from idp.services import services

    app = create_app(env, overrides)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        services().keys.generate()
    return app


def start_emulator(
    provider: str, host: str, port: int, folder: Path | None = None, request_handler=None
) -> str:
    """The VNeID emulator (``idp.vneid_emulator``) on ``host:port`` in a daemon
    thread, its data under ``folder`` (instance/vneid-emulator/), and the provider's client
    there; the
    client's secret is returned (the provider's upstream ``vneid`` is given it)."""
    import threading

    from werkzeug.serving import make_server

    from idp import vneid_emulator as emulator

    issuer = f"http://{public_host(host)}:{port}"
    folder = folder or ROOT / "instance" / "vneid-emulator"
    settings = emulator.emulator_settings(issuer, folder)
    app = prepare(overrides={**settings, "SHOW_SMS_PAGE": True})
    secret = emulator.seed_emulator(app, provider)
    server = make_server(host, port, app, threaded=True, request_handler=request_handler)
    threading.Thread(target=server.serve_forever, name="vneid", daemon=True).start()
    return secret


def banner(provider: str, portal: str, vneid: str | None = None) -> str:
    """What the demo prints at start: where to go and what to try."""
    from idp import vneid_emulator as emulator

    newcomer = DEMO_NEWCOMER
    known, new = emulator.CITIZENS
    vneid_lines = (
        [
            f"  VNeID (demo) {vneid}/  (an upstream OpenID provider: the login choice's button",
            f'               "{emulator.LABEL}"; its OTPs at {vneid}/dev/sms)',
            f"               {known['id_number']} / {known['password']}: has an account here too;"
            " linked once after this provider's password + OTP",
            f"               {new['id_number']} / {new['password']}: no account here; one is"
            " made from VNeID's claims",
        ]
        if vneid
        else []
    )
    return "\n".join(
        [
            "",
            "Cổng Dịch vụ công Quốc gia (demo) is running:",
            f"  provider     {provider}/  (discovery: {provider}/.well-known/openid-configuration)",
            f"  portal       {portal}/  (Hệ thống thông tin giải quyết TTHC tỉnh Đắk Lắk)",
            *vneid_lines,
            f"  SMS / OTPs   {provider}/dev/sms  (also printed in this log)",
            f"  demo citizen user name {DEMO_CITIZEN['id_number']}, "
            f"password {DEMO_CITIZEN['password']}",
            f"  register     CCCD {newcomer['id_number']} ({newcomer['full_name']}, born "
            f"{newcomer['date_of_birth']}, {newcomer['gender']}) with phone "
            f"{newcomer['phone']} (hers);",
            f"               register with phone {NOT_OWNED_PHONE} to see the refusal: that "
            'number is not "chính chủ" (registered to another person)',
            f"  demo client  {DEMO_CLIENT_ID} (new secret at every start, given to the portal)",
            "",
        ]
    )


def run_demo(
    host: str,
    port: int,
    portal_port: int = 5001,
    vneid_port: int = 5002,
    vneid_dir: str | None = None,
) -> None:
    """Provider on ``host:port``, the demo portal on ``host:portal_port`` and the VNeID
    emulator on ``host:vneid_port``, one process."""
    from idp.demo_logging import (
        PORTAL,
        PROVIDER,
        VNEID,
        label_log_lines,
        labelled_request_handler,
    )
    from portal.in_process import start_portal_thread
    from webapp.logging_setup import configure_logging

    configure_logging(json_logs=False)
    label_log_lines()  # from the first line on, migrations included
    provider = f"http://{public_host(host)}:{port}"
    portal_base = f"http://{public_host(host)}:{portal_port}"
    app = prepare(overrides={**DEMO_SETTINGS, "IDP_ISSUER": provider})
    secret = seed_demo_data(app, portal_base)
    from idp import vneid_emulator as emulator

    vneid = f"http://{public_host(host)}:{vneid_port}"
    vneid_secret = start_emulator(
        provider,
        host,
        vneid_port,
        Path(vneid_dir) if vneid_dir else None,
        labelled_request_handler(VNEID),
    )
    emulator.configure_provider(app, vneid, vneid_secret)
    portal = start_portal_thread(
        provider,
        DEMO_CLIENT_ID,
        secret,
        host,
        portal_port,
        base_url=portal_base,
        request_handler=labelled_request_handler(PORTAL),
    )
    click.echo(banner(provider, portal, vneid))
    app.run(
        host=host,
        port=port,
        threaded=True,
        use_reloader=False,
        request_handler=labelled_request_handler(PROVIDER),
    )
