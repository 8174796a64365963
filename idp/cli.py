"""The ``idp`` console script: keys, database, clients, citizens, servers, demo."""

from __future__ import annotations

import json
import os
import sys

import click

from idp.settings import ROOT, SettingsError


def _app():
    from idp import create_app

    try:
        return create_app()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def main() -> None:
    """Operate the National DVC identity provider (settings from IDP_ENV and the env)."""


# -- keys ---------------------------------------------------------------------------
@main.group()
def keys() -> None:
    """Signing keys in IDP_KEYS_DIR."""


@keys.command("generate")
def keys_generate() -> None:
    """Create an RS256 and an ES256 signing key if missing."""
    app = _app()
    from idp import audit
    from idp.services import services

    with app.app_context():
        created = services().keys.generate()
        for record in created:
            audit.record("keys.generated", actor="cli", kid=record.kid, alg=record.alg)
            click.echo(f"created {record.alg} key {record.kid}")
        if not created:
            click.echo("signing keys already present")


@keys.command("rotate")
@click.option("--lead", type=int, default=None, help="Seconds before the new key signs.")
def keys_rotate(lead: int | None) -> None:
    """Add the next key per algorithm; retire the old ones once their tokens expired."""
    app = _app()
    from idp import audit
    from idp.services import services

    with app.app_context():
        c = app.config
        lead = c["KEY_ROTATION_LEAD_SECONDS"] if lead is None else lead
        lifetime = max(int(c["ID_TOKEN_SECONDS"]), int(c["ACCESS_TOKEN_SECONDS"]))
        for record in services().keys.rotate(int(lead), lifetime):
            audit.record("keys.rotated", actor="cli", kid=record.kid, alg=record.alg)
            click.echo(f"added {record.alg} key {record.kid}, signs from {record.active_from}")


@keys.command("list")
def keys_list() -> None:
    """Show every key with its dates."""
    app = _app()
    from idp.services import services

    with app.app_context():
        for r in services().keys.records():
            click.echo(json.dumps(r.__dict__))


# -- database -----------------------------------------------------------------------
@main.group()
def db() -> None:
    """The relational database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations up to the newest (idempotent)."""
    app = _app()
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    click.echo("database is at the newest migration")


# -- clients ------------------------------------------------------------------------
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none", "private_key_jwt"]


@main.group()
def clients() -> None:
    """OAuth/OIDC clients (agencies)."""


@clients.command("create")
@click.option("--name", required=True)
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True)
@click.option("--post-logout-redirect-uri", "post_logout", multiple=True)
@click.option("--backchannel-logout-uri", default=None)
@click.option("--auth-method", type=click.Choice(AUTH_METHODS), default="client_secret_basic")
@click.option("--scope", default="openid profile phone")
@click.option("--trusted", is_flag=True, help="First-party: no consent page.")
@click.option("--vn-claims", is_flag=True, help="Also return the national portal's claims.")
@click.option("--alg", type=click.Choice(["RS256", "ES256"]), default="RS256")
@click.option("--client-id", default=None, help="Choose the id (default: random).")
def clients_create(**opts) -> None:
    """Register a client; prints {"client_id": ..., "client_secret": ...}."""
    app = _app()
    from idp.oidc.registry import create_client

    with app.app_context():
        client_id, secret = create_client(
            name=opts["name"],
            redirect_uris=list(opts["redirect_uris"]),
            post_logout_redirect_uris=list(opts["post_logout"]),
            backchannel_logout_uri=opts["backchannel_logout_uri"],
            auth_method=opts["auth_method"],
            scope=opts["scope"],
            trusted=opts["trusted"],
            vn_claims=opts["vn_claims"],
            alg=opts["alg"],
            client_id=opts["client_id"],
            actor="cli",
        )
    click.echo(json.dumps({"client_id": client_id, "client_secret": secret}))


# -- citizens -----------------------------------------------------------------------
@main.group()
def citizens() -> None:
    """Citizen accounts."""


@citizens.command("create")
@click.option("--id-number", required=True)
@click.option("--full-name", required=True)
@click.option("--date-of-birth", required=True)
@click.option("--gender", type=click.Choice(["male", "female"]), required=True)
@click.option("--phone", required=True)
@click.option("--password", required=True)
@click.option("--email", default=None)
def citizens_create(**opts) -> None:
    """Create a citizen account directly (operators, tests, demo data)."""
    app = _app()
    from idp.accounts.creation import create_citizen
    from idp.errors import DomainError

    with app.app_context():
        try:
            citizen = create_citizen(**opts, actor="cli")
        except DomainError as exc:
            raise click.ClickException(exc.problem.message) from None
        click.echo(json.dumps({"id": citizen.id, "sub": citizen.subject}))


# -- servers ------------------------------------------------------------------------
@main.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--workers", default=None, type=int)
def serve(host: str, port: int, workers: int | None) -> None:
    """Run the provider under gunicorn (config/gunicorn.conf.py)."""
    _app()  # fail fast, with the reason, on bad settings
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(ROOT / "config" / "gunicorn.conf.py"),
        "-b",
        f"{host}:{port}",
    ]
    if workers:
        argv += ["-w", str(workers)]
    os.execv(sys.executable, [*argv, "idp.wsgi:app"])  # noqa: S606 - replaces this process


@main.command("demo")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def demo(host: str, port: int) -> None:
    """Provider on the embedded defaults, with demo data; OTPs shown in the log and /dev/sms."""
    from idp.demo import run_demo

    run_demo(host, port)
