"""``idp demo``: the provider and the Dak Lak portal on the embedded defaults, with demo
data and OTPs visible."""

from __future__ import annotations

import logging

import click

from idp.settings import ROOT

DEMO_CLIENT_ID = "demo-client"
DEMO_PORTAL = "http://127.0.0.1:5001"
DEMO_REDIRECT = DEMO_PORTAL + "/callback"
DEMO_CITIZEN = {
    "id_number": "066090001234",
    "full_name": "Nguyễn Văn An",
    "date_of_birth": "1990-05-17",
    "gender": "male",
    "phone": "0912345678",
    "password": "matkhau2026",
}


def seed_demo_data(app) -> str:
    """Create the demo client (or give it a new secret) and citizen; returns the secret.

    The secret is rotated at every start and handed to the demo portal in this process,
    so no secret is ever written to disk.
    """
    from idp import audit
    from idp.accounts.creation import account_exists, create_citizen
    from idp.extensions import db
    from idp.oidc.registry import create_client, new_client_secret
    from idp.oidc.server import query_client

    with app.app_context():
        client = query_client(DEMO_CLIENT_ID)
        if client is None:
            _, secret = create_client(
                name="Cổng DVC tỉnh Đắk Lắk (demo)",
                client_id=DEMO_CLIENT_ID,
                redirect_uris=[DEMO_REDIRECT],
                post_logout_redirect_uris=[DEMO_PORTAL + "/"],
                backchannel_logout_uri=DEMO_PORTAL + "/backchannel-logout",
                scope="openid profile phone email citizen_id offline_access",
                trusted=True,
                actor="demo",
            )
        else:
            secret = new_client_secret()
            client.set_secret(secret)
            db.session.commit()
            audit.record("client.secret_rotated", client_id=DEMO_CLIENT_ID, actor="demo")
        if not account_exists(DEMO_CITIZEN["id_number"]):
            create_citizen(**DEMO_CITIZEN, actor="demo")
        return secret


def prepare(env: str = "development"):
    """Build the app, migrate the database and make keys (idempotent)."""
    from flask_migrate import upgrade

    from idp import create_app
    from idp.services import services

    app = create_app(env)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        services().keys.generate()
    return app


def run_demo(host: str, port: int) -> None:
    """Provider on ``host:port`` and the demo portal on 127.0.0.1:5001, in one process."""
    from idp.portal.in_process import start_portal_thread

    app = prepare()
    secret = seed_demo_data(app)
    logging.getLogger("idp.sms").setLevel(logging.INFO)
    base = f"http://{host}:{port}"
    portal = start_portal_thread(app.config["IDP_ISSUER"], DEMO_CLIENT_ID, secret)
    click.echo(
        "\n".join(
            [
                "",
                "Cổng Dịch vụ công Quốc gia (demo) is running:",
                f"  provider     {base}/  (discovery: {base}/.well-known/openid-configuration)",
                f"  portal       {portal}/  (Hệ thống thông tin giải quyết TTHC tỉnh Đắk Lắk)",
                f"  SMS / OTPs   {base}/dev/sms  (also printed in this log)",
                "  demo citizen user name 066090001234, password matkhau2026",
                f"  demo client  {DEMO_CLIENT_ID} (new secret at every start, given to the portal)",
                "",
            ]
        )
    )
    app.run(host=host, port=port, threaded=True, use_reloader=False)
