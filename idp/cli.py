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
    from idp.oidc.key_rotation import rotate_signing_keys

    with app.app_context():
        for record in rotate_signing_keys("cli", lead):
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
@click.option(
    "--pkce-exempt",
    is_flag=True,
    help="Legacy agency that cannot send PKCE (confidential clients only; RFC 9700 asks "
    "for PKCE from every client).",
)
def clients_create(**opts) -> None:
    """Register a client; prints {"client_id": ..., "client_secret": ...}."""
    app = _app()
    from idp.errors import DomainError
    from idp.oidc.registry import create_client

    with app.app_context():
        try:
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
                pkce_exempt=opts["pkce_exempt"],
            )
        except DomainError as exc:
            raise click.ClickException(exc.problem.message) from None
    click.echo(json.dumps({"client_id": client_id, "client_secret": secret}))


@clients.command("update")
@click.argument("client_id")
@click.option(
    "--pkce-exempt/--pkce-required",
    "pkce_exempt",
    default=None,
    help="Exempt this confidential client from PKCE (legacy agency), or require it again.",
)
def clients_update(client_id: str, pkce_exempt: bool | None) -> None:
    """Change a registered client; prints its id and PKCE policy."""
    if pkce_exempt is None:
        raise click.UsageError("Nothing to change: give --pkce-exempt or --pkce-required.")
    app = _app()
    from idp.errors import DomainError
    from idp.oidc.client_changes import set_pkce_exemption

    with app.app_context():
        try:
            client = set_pkce_exemption(client_id, pkce_exempt, actor="cli")
        except DomainError as exc:
            raise click.ClickException(exc.problem.message) from None
        click.echo(json.dumps({"client_id": client.client_id, "pkce_exempt": client.pkce_exempt}))


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


# -- subscribers ("chính chủ" registry) and ownership complaints ("khiếu nại") ----------
@main.group()
def subscribers() -> None:
    """The "chính chủ" registry read by SUBSCRIBER_CHECK=registry."""


@subscribers.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
def subscribers_import(csv_file: str) -> None:
    """Load FILE.csv (header phone,id_number): every row, or none if any is bad."""
    app = _app()
    from idp.subscribers.csv_import import ImportRefused, import_subscribers

    with app.app_context(), open(csv_file, encoding="utf-8-sig", newline="") as lines:
        try:
            report = import_subscribers(lines, actor="cli")
        except ImportRefused as exc:
            for problem in exc.problems:
                click.echo(f"{csv_file}: {problem}", err=True)
            raise click.ClickException(f"{csv_file}: nothing imported") from None
    click.echo(json.dumps(report.__dict__))


@main.group()
def complaints() -> None:
    """Complaints: ownership disputes (/complaints/new) and phone-change requests."""


@complaints.command("list")
@click.option(
    "--status", type=click.Choice(["open", "rejected", "account_locked", "phone_changed"])
)
def complaints_list(status: str | None) -> None:
    """One JSON object per complaint, newest first."""
    app = _app()
    from idp.complaints.listing import list_complaints, summary

    with app.app_context():
        for complaint in list_complaints(status):
            click.echo(json.dumps(summary(complaint), ensure_ascii=False))


@complaints.command("show")
@click.argument("reference")
@click.option("--save-evidence", type=click.Path(file_okay=False), help="Write the files here.")
def complaints_show(reference: str, save_evidence: str | None) -> None:
    """Everything about one complaint (evidence as metadata; --save-evidence for files)."""
    app = _app()
    from pathlib import Path

    from idp import audit
    from idp.complaints.listing import details, find_complaint, write_evidence
    from idp.errors import DomainError

    with app.app_context():
        try:
            complaint = find_complaint(reference)
        except DomainError as exc:
            raise click.ClickException(exc.problem.message) from None
        click.echo(json.dumps(details(complaint), ensure_ascii=False, indent=2))
        saved = write_evidence(complaint, Path(save_evidence)) if save_evidence else []
        for path in saved:
            click.echo(f"saved {path}", err=True)
        audit.record("complaint.viewed", actor="cli", reference=complaint.reference)


@complaints.command("resolve")
@click.argument("reference")
@click.option(
    "--action", type=click.Choice(["reject", "lock-account", "change-phone"]), required=True
)
@click.option("--note", required=True, help="Why; kept with the complaint.")
@click.option("--operator", default="", help='Your name; recorded as "cli:<name>".')
def complaints_resolve(reference: str, action: str, note: str, operator: str) -> None:
    """Close an open complaint: reject it; lock the disputed account and free the number
    (ownership dispute); or give the account the requested number (phone_change request)."""
    app = _app()
    from idp.complaints.listing import details
    from idp.complaints.resolution import resolve_complaint
    from idp.errors import DomainError

    with app.app_context():
        try:
            actor = f"cli:{operator.strip()[:100]}" if operator.strip() else "cli"
            complaint = resolve_complaint(reference, action, note, actor=actor)
        except DomainError as exc:
            raise click.ClickException(exc.problem.message) from None
        click.echo(json.dumps(details(complaint), ensure_ascii=False, indent=2))


# -- dynamic registration tokens and console operators -------------------------------
@main.group("registration-tokens")
def registration_tokens() -> None:
    """Initial access tokens for dynamic client registration (RFC 7591)."""


@registration_tokens.command("create")
@click.option("--expires-in", type=int, default=None, help="Seconds (default: a day).")
def registration_tokens_create(expires_in: int | None) -> None:
    """Print a new single-use initial access token (shown only now)."""
    app = _app()
    from idp.errors import DomainError
    from idp.oidc.registration_tokens import issue_token

    with app.app_context():
        try:
            value, _ = issue_token("cli", expires_in)
        except DomainError as exc:
            raise click.ClickException(exc.problem.message) from None
    click.echo(value)


@main.group()
def operators() -> None:
    """Accounts of the operators' console at /console."""


@operators.command("create")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["operator", "auditor"]), required=True)
def operators_create(name: str, role: str) -> None:
    """Print {"name", "role", "password", "totp_uri"}: the password and the authenticator
    app's provisioning URI are shown only now."""
    app = _app()
    from idp.console.operators import create_operator
    from idp.errors import DomainError

    with app.app_context():
        try:
            operator, password, uri = create_operator(name, role, actor="cli")
        except DomainError as exc:
            raise click.ClickException(exc.problem.message) from None
        result = {"name": operator.name, "role": role, "password": password, "totp_uri": uri}
    click.echo(json.dumps(result, ensure_ascii=False))


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


@main.command("portal")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5001, type=int)
@click.option("--workers", default=None, type=int, help="Ignored without REDIS_URL.")
def portal(host: str, port: int, workers: int | None) -> None:
    """Run the provincial portal (RP) under gunicorn; PORTAL_* variables configure it."""
    from idp.portal.serve import gunicorn_argv

    try:
        argv = gunicorn_argv(host, port, workers)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    os.execv(sys.executable, argv)  # noqa: S606 - replaces this process


@main.command("demo")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def demo(host: str, port: int) -> None:
    """Provider on the embedded defaults, with demo data; OTPs shown in the log and /dev/sms."""
    from idp.demo import run_demo

    run_demo(host, port)
