"""``idp demo``: the provider on the embedded defaults with demo data, OTPs visible."""

from __future__ import annotations

import logging

import click

from idp.settings import ROOT

DEMO_CLIENT_ID = "demo-client"
DEMO_REDIRECT = "http://127.0.0.1:5001/callback"
DEMO_CITIZEN = {
    "id_number": "066090001234",
    "full_name": "Nguyễn Văn An",
    "date_of_birth": "1990-05-17",
    "gender": "male",
    "phone": "0912345678",
    "password": "matkhau2026",
}


def seed_demo_data(app) -> str | None:
    """Create the demo client and citizen if missing; returns a new client secret or None."""
    from idp.accounts.creation import account_exists, create_citizen
    from idp.oidc.registry import create_client
    from idp.oidc.server import query_client

    with app.app_context():
        secret = None
        if query_client(DEMO_CLIENT_ID) is None:
            _, secret = create_client(
                name="Cổng DVC tỉnh Đắk Lắk (demo)",
                client_id=DEMO_CLIENT_ID,
                redirect_uris=[DEMO_REDIRECT],
                post_logout_redirect_uris=["http://127.0.0.1:5001/"],
                backchannel_logout_uri="http://127.0.0.1:5001/backchannel-logout",
                scope="openid profile phone email citizen_id offline_access",
                trusted=True,
                actor="demo",
            )
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
    app = prepare()
    secret = seed_demo_data(app)
    logging.getLogger("idp.sms").setLevel(logging.INFO)
    base = f"http://{host}:{port}"
    click.echo(
        "\n".join(
            [
                "",
                "Cổng Dịch vụ công Quốc gia (demo) is running:",
                f"  provider     {base}/  (discovery: {base}/.well-known/openid-configuration)",
                f"  SMS / OTPs   {base}/dev/sms  (also printed in this log)",
                "  demo citizen user name 066090001234, password matkhau2026",
                f"  demo client  {DEMO_CLIENT_ID}"
                + (f" secret {secret}" if secret else " (secret printed on first run)"),
                "",
            ]
        )
    )
    app.run(host=host, port=port, threaded=True, use_reloader=False)
