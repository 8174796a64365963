"""The ``idp`` console script: keys, database, clients, citizens, servers, demo."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from typing import Any

import click

from idp.errors import DomainError, Problem
from idp.settings import ROOT, SettingsError


def _app():
    from idp import create_app

    verbose = bool((click.get_current_context().find_root().obj or {}).get("verbose"))
    try:
        # Library and audit lines only with --verbose: the output is what the command is for.
        return create_app(overrides=None if verbose else {"LOG_LEVEL": "WARNING"})
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def operator_language(environ: dict[str, str] | None = None) -> str:
    """``vi`` when the operator's locale is Vietnamese, else ``en`` (POSIX precedence:
    LC_ALL, then LC_MESSAGES, then LANG)."""
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "vi" if value.lower().startswith("vi") else "en"
    return "en"


def in_operator_language(message: str) -> str:
    """A domain message (Vietnamese, the catalog's msgid) in the operator's language; needs
    an app context."""
    from flask_babel import force_locale

    from webapp.i18n import translated

    with force_locale(operator_language()):
        return translated(message) or message


def refusal(problem: Problem) -> click.ClickException:
    """A domain rule's message as a CLI error, in the operator's language."""
    return click.ClickException(in_operator_language(problem.message))


def flag(name: str, help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An on/off option, off unless given."""
    return click.option(name, is_flag=True, help=help)


def in_app(command: Callable[..., None]) -> Callable[..., None]:
    """Run the command inside the provider's app context (settings from IDP_ENV and the
    env); a domain rule it breaks ends it with ``refusal``."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        with _app().app_context():
            try:
                command(*args, **kwargs)
            except DomainError as exc:
                raise refusal(exc.problem) from None

    return run


@click.group()
@click.option(
    "--verbose", "-v", is_flag=True, help="Also print log lines (migrations, audit events)."
)
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Operate the National DVC identity provider (settings from IDP_ENV and the env)."""
    ctx.obj = {"verbose": verbose}


# -- keys ---------------------------------------------------------------------------
@main.group()
def keys() -> None:
    """Signing keys in IDP_KEYS_DIR."""


@keys.command("generate")
@in_app
def keys_generate() -> None:
    """Create an RS256 and an ES256 signing key if missing."""
    from idp import audit
    from idp.services import services

    created = services().keys.generate()
    for record in created:
        audit.record("keys.generated", actor="cli", kid=record.kid, alg=record.alg)
        click.echo(f"created {record.alg} key {record.kid}")
    if not created:
        click.echo("signing keys already present")


@keys.command("rotate")
@click.option("--lead", type=int, default=None, help="Seconds before the new key signs.")
@in_app
def keys_rotate(lead: int | None) -> None:
    """Add the next key per algorithm; retire the old ones once their tokens expired."""
    from idp.oidc.key_rotation import rotate_signing_keys

    for record in rotate_signing_keys("cli", lead):
        click.echo(f"added {record.alg} key {record.kid}, signs from {record.active_from}")


@keys.command("list")
@in_app
def keys_list() -> None:
    """Show every key with its dates."""
    from idp.services import services

    for r in services().keys.records():
        click.echo(json.dumps(r.__dict__))


# -- database -----------------------------------------------------------------------
@main.group()
def db() -> None:
    """The relational database."""


@db.command("upgrade")
@in_app
def db_upgrade() -> None:
    """Apply migrations up to the newest (idempotent)."""
    from flask_migrate import upgrade

    upgrade(directory=str(ROOT / "migrations"))
    click.echo("database is at the newest migration")


# -- clients ------------------------------------------------------------------------
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none", "private_key_jwt"]
GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"]


@main.group()
def clients() -> None:
    """OAuth/OIDC clients (agencies)."""


def client_metadata(opts: dict) -> dict:
    """The RFC 7591 metadata the options describe (before the registration rules)."""
    grants = list(opts["grant_types"])
    if not grants:
        grants = ["authorization_code"]
        if opts["trusted"] or "offline_access" in opts["scope"].split():
            grants.append("refresh_token")
    metadata = {
        "client_name": opts["name"],
        "redirect_uris": list(opts["redirect_uris"]),
        "post_logout_redirect_uris": list(opts["post_logout"]),
        "grant_types": grants,
        "token_endpoint_auth_method": opts["auth_method"],
        "scope": opts["scope"],
        "id_token_signed_response_alg": opts["alg"],
    }
    if opts.get("require_par"):
        metadata["require_pushed_authorization_requests"] = True
    if opts.get("dpop_bound"):
        metadata["dpop_bound_access_tokens"] = True
    if opts.get("fapi2"):
        from idp.oidc.security_profiles import fapi2_metadata

        metadata = fapi2_metadata(metadata)
    optional = {
        "backchannel_logout_uri": opts["backchannel_logout_uri"],
        "jwks_uri": opts["jwks_uri"],
    }
    metadata.update({name: value for name, value in optional.items() if value})
    return metadata


@clients.command("create")
@click.option("--name", required=True)
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    help="Repeatable; required with the authorization_code grant.",
)
@click.option("--post-logout-redirect-uri", "post_logout", multiple=True)
@click.option("--backchannel-logout-uri", default=None)
@click.option("--auth-method", type=click.Choice(AUTH_METHODS), default="client_secret_basic")
@click.option("--jwks-uri", default=None, help="The client's public keys (private_key_jwt).")
@click.option(
    "--grant-type",
    "grant_types",
    type=click.Choice(GRANT_TYPES),
    multiple=True,
    help="Repeatable (default: authorization_code, plus refresh_token for --trusted or "
    "offline_access). client_credentials needs a confidential --auth-method.",
)
@click.option("--scope", default="openid profile phone")
@flag("--trusted", "First-party: no consent page.")
@flag("--vn-claims", "Also return the national portal's claims.")
@click.option("--alg", type=click.Choice(["RS256", "ES256"]), default="RS256")
@click.option("--client-id", default=None, help="Choose the id (default: random).")
@flag("--require-par", "The client must push its authorization requests (RFC 9126).")
@flag(
    "--fapi2",
    "Hold the client to the FAPI 2.0 Security Profile (needs --auth-method "
    "private_key_jwt; implies --require-par, --dpop-bound and ES256 ID tokens).",
)
@flag(
    "--dpop-bound", "The client must send DPoP proofs; its tokens are bound to its key (RFC 9449)."
)
@flag(
    "--pkce-exempt",
    "Legacy agency that cannot send PKCE (confidential clients only; RFC 9700 asks "
    "for PKCE from every client).",
)
@in_app
def clients_create(**opts) -> None:
    """Register a client; prints {"client_id": ..., "client_secret": ...}.

    The metadata is checked by the same rules as dynamic registration (RFC 7591).
    """
    from idp.oidc.clients import create_client_from_metadata
    from idp.oidc.registration import check_client_metadata

    metadata = check_client_metadata(client_metadata(opts))
    client_id, secret = create_client_from_metadata(
        metadata,
        trusted=opts["trusted"],
        vn_claims=opts["vn_claims"],
        client_id=opts["client_id"],
        actor="cli",
        extra_metadata=metadata,
        pkce_exempt=opts["pkce_exempt"],
    )
    click.echo(json.dumps({"client_id": client_id, "client_secret": secret}))


@clients.command("update")
@click.argument("client_id")
@click.option(
    "--pkce-exempt/--pkce-required",
    "pkce_exempt",
    default=None,
    help="Exempt this confidential client from PKCE (legacy agency), or require it again.",
)
@click.option(
    "--par-required/--par-optional",
    "par_required",
    default=None,
    help="Require pushed authorization requests (RFC 9126) of this client, or not.",
)
@click.option(
    "--fapi2/--standard-profile",
    "fapi2",
    default=None,
    help="Hold the client to the FAPI 2.0 Security Profile (private_key_jwt clients), or "
    "to the standard rules again.",
)
@in_app
def clients_update(
    client_id: str, pkce_exempt: bool | None, par_required: bool | None, fapi2: bool | None
) -> None:
    """Change a registered client; prints its id, PKCE policy, PAR requirement and profile."""
    if pkce_exempt is None and par_required is None and fapi2 is None:
        raise click.UsageError(
            "Nothing to change: give --pkce-exempt/--pkce-required, "
            "--par-required/--par-optional or --fapi2/--standard-profile."
        )
    from idp.oidc.clients import (
        find_client,
        set_par_requirement,
        set_pkce_exemption,
        set_security_profile,
    )

    if pkce_exempt is not None:
        set_pkce_exemption(client_id, pkce_exempt, actor="cli")
    if par_required is not None:
        set_par_requirement(client_id, par_required, actor="cli")
    if fapi2 is not None:
        set_security_profile(client_id, "fapi2" if fapi2 else "standard", actor="cli")
    client = find_client(client_id)
    metadata = client.client_metadata
    click.echo(
        json.dumps(
            {
                "client_id": client.client_id,
                "pkce_exempt": client.pkce_exempt,
                "require_pushed_authorization_requests": bool(
                    metadata.get("require_pushed_authorization_requests")
                ),
                "security_profile": metadata.get("security_profile", "standard"),
            }
        )
    )


# -- upstream providers --------------------------------------------------------------
@main.group()
def upstreams() -> None:
    """Upstream OpenID providers citizens may sign in with (VNeID and others)."""


@upstreams.command("add")
@click.option("--name", required=True, help="Short name: lower-case letters, digits, '-'.")
@click.option("--label", required=True, help="The login choice's button text.")
@click.option("--issuer", required=True, help="The upstream's issuer (discovery is read).")
@click.option("--client-id", required=True)
@click.option("--client-secret", required=True)
@click.option("--scope", default="openid profile phone", show_default=True)
@click.option("--id-number-claim", required=True, help="The claim holding the CCCD/CMND.")
@click.option("--name-claim")
@click.option("--birthdate-claim")
@click.option("--phone-claim")
@click.option("--acr", default="LoA2", show_default=True, help="The level of its logins.")
@flag("--create-accounts", "Create accounts for new citizens.")
@flag(
    "--link-without-password",
    "Link an existing account on the identity number alone (no password + OTP proof).",
)
@flag("--logout-upstream", "Ending a session here also ends the upstream's (RP-initiated logout).")
@in_app
def upstreams_add(**opts) -> None:
    """Add an upstream; prints its name and the redirect URI to register there."""
    from idp.federation.upstreams import UpstreamSettings, add_upstream, describe

    upstream = add_upstream(UpstreamSettings(**opts), actor="cli")
    described = describe(upstream)
    click.echo(
        json.dumps(
            {
                "name": upstream.name,
                "redirect_uri": described["redirect_uri"],
                "backchannel_logout_uri": described["backchannel_logout_uri"],
                "post_logout_redirect_uri": described["post_logout_redirect_uri"],
            },
            ensure_ascii=False,
        )
    )


@upstreams.command("list")
@in_app
def upstreams_list() -> None:
    """Every upstream as JSON lines (no secrets)."""
    from idp.federation.upstreams import all_upstreams, describe

    for upstream in all_upstreams():
        click.echo(json.dumps(describe(upstream), ensure_ascii=False))


@upstreams.command("remove")
@click.argument("name")
@in_app
def upstreams_remove(name: str) -> None:
    """Remove an upstream and the identities linked through it."""
    from idp.federation.upstreams import remove_upstream

    links = remove_upstream(name, actor="cli")
    click.echo(json.dumps({"removed": name, "links_removed": links}))


@upstreams.command("suspend")
@click.argument("name")
def upstreams_suspend(name: str) -> None:
    """Hide an upstream's button and refuse its answers until resumed."""
    _set_upstream_active(name, False)


@upstreams.command("resume")
@click.argument("name")
def upstreams_resume(name: str) -> None:
    """Offer a suspended upstream again."""
    _set_upstream_active(name, True)


@in_app
def _set_upstream_active(name: str, active: bool) -> None:
    from idp.federation.upstreams import set_active

    set_active(name, active, actor="cli")
    click.echo(json.dumps({"name": name, "active": active}))


# -- citizens -----------------------------------------------------------------------
@main.group()
def citizens() -> None:
    """Citizen accounts."""


@citizens.command("create")
@click.option(
    "--id-number",
    required=True,
    help="12-digit CCCD (province code, century/gender digit, last two digits of the birth "
    "year, 6 digits; must agree with --date-of-birth and --gender) or 9-digit CMND.",
)
@click.option("--full-name", required=True, help="As on the identity card, e.g. Nguyễn Văn An.")
@click.option(
    "--date-of-birth", required=True, help="YYYY-MM-DD, e.g. 1990-05-17 (aged 14 to 120)."
)
@click.option("--gender", type=click.Choice(["male", "female"]), required=True)
@click.option("--phone", required=True, help="Vietnamese mobile number, e.g. 0912345678.")
@click.option("--password", required=True, help="The account password (password rules apply).")
@click.option("--email", default=None)
@in_app
def citizens_create(**opts) -> None:
    """Create a citizen account directly (operators, tests, demo data).

    \b
    CCCD (12 digits) = PPP G YY NNNNNN:
      PPP  the province code where the birth was registered (001 Hà Nội ... 096 Cà Mau)
      G    century and gender: 0/1 born 1900-1999 male/female, 2/3 born 2000-2099, ...
      YY   the last two digits of the birth year
    Errors are in Vietnamese when LC_ALL / LC_MESSAGES / LANG starts with "vi", else English.
    """
    from idp.citizens.creation import create_citizen

    citizen = create_citizen(**opts, actor="cli")
    click.echo(json.dumps({"id": citizen.id, "sub": citizen.subject}))


# -- subscribers ("chính chủ" registry) and ownership complaints ("khiếu nại") ----------
@main.group()
def subscribers() -> None:
    """The "chính chủ" registry read by SUBSCRIBER_CHECK=registry."""


@subscribers.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@in_app
def subscribers_import(csv_file: str) -> None:
    """Load FILE.csv (header phone,id_number): every row, or none if any is bad."""
    from idp.subscribers.csv_import import ImportRefused, import_subscribers

    with open(csv_file, encoding="utf-8-sig", newline="") as lines:
        try:
            report = import_subscribers(lines, actor="cli")
        except ImportRefused as exc:
            line = "dòng" if operator_language() == "vi" else "line"
            for row in exc.problems:
                message = in_operator_language(row.problem.message)
                click.echo(f"{csv_file}: {line} {row.line}: {message}", err=True)
            raise click.ClickException(f"{csv_file}: nothing imported") from None
    click.echo(json.dumps(report.__dict__))


@main.group()
def complaints() -> None:
    """Complaints: ownership disputes (/complaints/new) and phone-change requests."""


@complaints.command("list")
@click.option(
    "--status", type=click.Choice(["open", "rejected", "account_locked", "phone_changed"])
)
@in_app
def complaints_list(status: str | None) -> None:
    """One JSON object per complaint, newest first."""
    from idp.complaints.listing import list_complaints, summary

    found = list_complaints(status)
    for complaint in found:
        click.echo(json.dumps(summary(complaint), ensure_ascii=False))
    if not found:
        # On stderr: stdout stays JSON lines (none) for scripts.
        click.echo(f"no complaints with status {status}" if status else "no complaints", err=True)


@complaints.command("show")
@click.argument("reference")
@click.option("--save-evidence", type=click.Path(file_okay=False), help="Write the files here.")
@in_app
def complaints_show(reference: str, save_evidence: str | None) -> None:
    """Everything about one complaint (evidence as metadata; --save-evidence for files)."""
    from pathlib import Path

    from idp import audit
    from idp.complaints.listing import details, find_complaint, write_evidence

    complaint = find_complaint(reference)
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
@in_app
def complaints_resolve(reference: str, action: str, note: str, operator: str) -> None:
    """Close an open complaint: reject it; lock the disputed account and free the number
    (ownership dispute); or give the account the requested number (phone_change request)."""
    from idp.complaints.listing import details
    from idp.complaints.resolution import resolve_complaint

    actor = f"cli:{operator.strip()[:100]}" if operator.strip() else "cli"
    complaint = resolve_complaint(reference, action, note, actor=actor)
    click.echo(json.dumps(details(complaint), ensure_ascii=False, indent=2))


# -- dynamic registration tokens and console operators -------------------------------
@main.group("registration-tokens")
def registration_tokens() -> None:
    """Initial access tokens for dynamic client registration (RFC 7591)."""


@registration_tokens.command("create")
@click.option("--expires-in", type=int, default=None, help="Seconds (default: a day).")
@in_app
def registration_tokens_create(expires_in: int | None) -> None:
    """Print a new single-use initial access token (shown only now)."""
    from idp.oidc.registration_tokens import issue_token

    value, _ = issue_token("cli", expires_in)
    click.echo(value)


@main.group()
def operators() -> None:
    """Accounts of the operators' console at /console."""


@operators.command("create")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["operator", "auditor"]), required=True)
@in_app
def operators_create(name: str, role: str) -> None:
    """Print {"name", "role", "password", "totp_uri"}: the password and the authenticator
    app's provisioning URI are shown only now."""
    from idp.console.operators import create_operator

    operator, password, uri = create_operator(name, role, actor="cli")
    result = {"name": operator.name, "role": role, "password": password, "totp_uri": uri}
    click.echo(json.dumps(result, ensure_ascii=False))


# -- servers ------------------------------------------------------------------------
@main.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--workers", default=None, type=int, help="Overrides GRANIAN_WORKERS.")
def serve(host: str, port: int, workers: int | None) -> None:
    """Run the provider under granian (webapp.server); SIGHUP replaces the workers."""
    from webapp.server import ServerSettingsError, exec_server, granian_command

    _app()  # fail fast, with the reason, on bad settings (production refusals included)
    try:
        argv, env = granian_command("idp.wsgi:app", host, port, workers)
    except (SettingsError, ServerSettingsError) as exc:
        raise click.ClickException(str(exc)) from None
    exec_server(argv, env)


@main.command("portal")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5001, type=int)
@click.option("--workers", default=None, type=int, help="Ignored without REDIS_URL.")
def portal(host: str, port: int, workers: int | None) -> None:
    """Run the provincial portal (RP) under granian; PORTAL_* variables configure it."""
    from portal.serve import server_command
    from portal.settings import SettingsError as PortalSettingsError
    from webapp.server import ServerSettingsError, exec_server

    try:
        argv, env = server_command(host, port, workers)
    except (PortalSettingsError, ServerSettingsError) as exc:
        raise click.ClickException(str(exc)) from None
    exec_server(argv, env)


@main.command("demo")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int, help="The provider's port (the issuer's).")
@click.option("--portal-port", default=5001, type=int, help="The demo portal's port.")
@click.option("--vneid-port", default=5002, type=int, help="The VNeID emulator's port.")
@click.option(
    "--vneid-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="The VNeID emulator's database and keys (default: instance/vneid-emulator).",
)
def demo(host: str, port: int, portal_port: int, vneid_port: int, vneid_dir: str | None) -> None:
    """Provider and portal on the embedded defaults, with demo data; OTPs shown in the log
    and /dev/sms. The issuer and the portal's redirect URIs follow the ports."""
    from idp.demo import run_demo
    from portal.settings import SettingsError as PortalSettingsError

    if port == portal_port:
        raise click.BadParameter("must differ from --port", param_hint="--portal-port")
    if vneid_port in (port, portal_port):
        raise click.BadParameter("must differ from the other ports", param_hint="--vneid-port")
    try:
        run_demo(host, port, portal_port, vneid_port, vneid_dir)
    except (SettingsError, PortalSettingsError) as exc:
        raise click.ClickException(str(exc)) from None
