"""The ``idp`` console script, driven through click's runner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from idp.cli import main
from tests.unit.cli_runner import run


def citizen_argv(id_number: str) -> list[str]:
    """``idp citizens create`` for the test citizen, with ``id_number``."""
    return [
        "citizens",
        "create",
        "--id-number",
        id_number,
        "--full-name",
        "Nguyễn Văn An",
        "--date-of-birth",
        "1990-05-17",
        "--gender",
        "male",
        "--phone",
        "0912345678",
        "--password",
        "matkhau2026",
    ]


def test_db_upgrade_is_idempotent_then_keys_clients_citizens(env, monkeypatch):
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    assert run("db", "upgrade").exit_code == 0
    assert run("db", "upgrade").exit_code == 0
    first = run("keys", "generate")
    assert first.exit_code == 0 and "created RS256" in first.output
    assert "already present" in run("keys", "generate").output
    rotated = run("keys", "rotate", "--lead", "0")
    assert rotated.exit_code == 0 and rotated.output.count("added") == 2

    result = run(
        "clients",
        "create",
        "--name",
        "Sở Tư pháp",
        "--redirect-uri",
        "https://a.example/cb",
        "--redirect-uri",
        "https://a.example/cb2",
        "--scope",
        "openid profile",
    )
    assert result.exit_code == 0
    created = json.loads(result.output)
    assert set(created) == {"client_id", "client_secret"}
    assert len(created["client_secret"]) >= 43  # 32 random bytes

    result = run(*citizen_argv("066090001234"))
    assert result.exit_code == 0, result.output
    again = run(*citizen_argv("066090001234"))
    assert again.exit_code != 0 and "đã có tài khoản" in again.output


def test_client_secret_is_stored_only_as_keyed_hash(env):
    run("db", "upgrade")
    created = json.loads(
        run("clients", "create", "--name", "X", "--redirect-uri", "https://x.example/cb").output
    )
    from idp import create_app
    from idp.extensions import db
    from idp.oidc.models import Client

    app = create_app("test")
    with app.app_context():
        client = db.session.scalar(db.select(Client).filter_by(client_id=created["client_id"]))
        assert created["client_secret"] not in (client.client_secret or "")
        assert client.check_client_secret(created["client_secret"])
        assert not client.check_client_secret(created["client_secret"] + "x")


def test_pkce_exemption_is_set_at_creation_and_changed_later(env, monkeypatch):
    """``--pkce-exempt`` on ``clients create`` for a legacy agency; ``clients update``
    switches it, refusing in the operator's language; a public client cannot be exempt;
    the database migration has the column."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    run("db", "upgrade")
    base = ("clients", "create", "--name", "Sở cũ", "--redirect-uri", "https://x.example/cb")
    legacy = json.loads(run(*base, "--pkce-exempt").output)["client_id"]
    modern = json.loads(run(*base).output)["client_id"]
    public = run(*base, "--auth-method", "none", "--pkce-exempt")
    assert public.exit_code != 0 and "PKCE" in public.output

    from idp import create_app
    from idp.extensions import db
    from idp.oidc.models import Client

    def exempt() -> dict[str, bool]:
        with create_app("test").app_context():
            return {c.client_id: c.pkce_exempt for c in db.session.scalars(db.select(Client))}

    assert exempt() == {legacy: True, modern: False}
    changed = run("clients", "update", legacy, "--pkce-required")
    assert changed.exit_code == 0
    assert json.loads(changed.output) == {
        "client_id": legacy,
        "pkce_exempt": False,
        "require_pushed_authorization_requests": False,
        "security_profile": "standard",
    }
    assert run("clients", "update", modern, "--pkce-exempt").exit_code == 0
    assert exempt() == {legacy: False, modern: True}
    assert run("clients", "update", modern).exit_code != 0  # nothing to change
    unknown = run("clients", "update", "no-such-client", "--pkce-exempt")
    assert unknown.exit_code != 0 and "was not found" in unknown.output


def test_pushed_requests_are_required_at_creation_and_changed_later(env):
    """``--require-par`` on ``clients create``; ``clients update --par-optional`` and
    ``--par-required`` switch it (RFC 9126 ``require_pushed_authorization_requests``)."""
    run("db", "upgrade")
    base = ("clients", "create", "--name", "Thuế", "--redirect-uri", "https://x.example/cb")
    strict = json.loads(run(*base, "--require-par").output)["client_id"]
    relaxed = json.loads(run(*base).output)["client_id"]

    from idp import create_app
    from idp.extensions import db
    from idp.oidc.models import Client

    def required() -> dict[str, bool]:
        with create_app("test").app_context():
            return {
                c.client_id: c.client_metadata["require_pushed_authorization_requests"]
                for c in db.session.scalars(db.select(Client))
            }

    assert required() == {strict: True, relaxed: False}
    changed = run("clients", "update", strict, "--par-optional")
    assert changed.exit_code == 0, changed.output
    assert json.loads(changed.output)["require_pushed_authorization_requests"] is False
    assert run("clients", "update", relaxed, "--par-required").exit_code == 0
    assert required() == {strict: False, relaxed: True}


def test_bad_citizen_input_is_a_clear_error(env):
    run("db", "upgrade")
    result = run(*citizen_argv("066190001234"))
    assert result.exit_code != 0
    assert "giới tính" in result.output.lower() or "gender" in result.output.lower()


def test_production_without_settings_refuses_with_reason(monkeypatch):
    monkeypatch.setenv("IDP_ENV", "production")
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, ["keys", "generate"])
    assert result.exit_code != 0
    assert "refusing to start in production" in result.output


def run_process(env_dir, *args):
    """The real ``idp`` script in a child process: what an operator's terminal shows."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "IDP_ENV": "test",
        "DATABASE_URL": f"sqlite:///{env_dir / 'cli.sqlite3'}",
        "IDP_KEYS_DIR": str(env_dir / "keys"),
        "SMS_OUTBOX_PATH": str(env_dir / "outbox.jsonl"),
    }
    env.pop("REDIS_URL", None)
    code = "import sys; from idp.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_commands_print_only_their_output_and_log_lines_with_verbose(env):
    upgraded = run_process(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout == "database is at the newest migration\n"
    assert upgraded.stderr == ""
    generated = run_process(env, "keys", "generate")
    assert generated.returncode == 0 and generated.stdout.count("created") == 2
    assert generated.stderr == ""  # no alembic plugin lines, no audit lines

    verbose = run_process(env, "--verbose", "keys", "rotate", "--lead", "0")
    assert verbose.returncode == 0 and verbose.stdout.count("added") == 2
    assert "audit keys.rotated" in verbose.stderr


def test_migrations_are_logged_with_verbose(tmp_path):
    verbose = run_process(tmp_path, "-v", "db", "upgrade")
    assert verbose.returncode == 0
    assert "Running upgrade" in verbose.stderr
    assert verbose.stdout == "database is at the newest migration\n"


def test_complaints_list_says_when_there_are_none(env):
    assert run("db", "upgrade").exit_code == 0
    empty = CliRunner().invoke(main, ["complaints", "list"])
    assert empty.exit_code == 0
    assert empty.stdout == "" and empty.stderr == "no complaints\n"
    open_only = CliRunner().invoke(main, ["complaints", "list", "--status", "open"])
    assert open_only.stderr == "no complaints with status open\n"


# a woman's CCCD for a man: gender mismatch
CITIZEN = citizen_argv("066190001234")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ({"LANG": "en_US.UTF-8"}, "does not match the gender given"),
        ({"LANG": "C.UTF-8"}, "does not match the gender given"),
        ({}, "does not match the gender given"),
        ({"LANG": "vi_VN.UTF-8"}, "không khớp với giới tính"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "vi_VN.UTF-8"}, "không khớp với giới tính"),
        ({"LANG": "vi_VN.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "does not match the gender given"),
    ],
)
def test_citizen_errors_are_in_the_operators_language(env, monkeypatch, locale, expected):
    for name in ("LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in locale.items():
        monkeypatch.setenv(name, value)
    run("db", "upgrade")
    result = CliRunner().invoke(main, CITIZEN)
    assert result.exit_code == 1
    assert expected in result.output


def test_citizens_create_help_says_the_date_format_and_the_cccd_rules():
    shown = " ".join(CliRunner().invoke(main, ["citizens", "create", "--help"]).output.split())
    assert "YYYY-MM-DD" in shown
    assert "12-digit CCCD" in shown and "9-digit CMND" in shown
    assert "province code" in shown and "century and gender" in shown


def test_clients_create_makes_a_client_credentials_client_without_redirect_uris(env):
    run("db", "upgrade")
    run("keys", "generate")
    result = run(
        "clients",
        "create",
        "--name",
        "Sở Tư pháp (back-end)",
        "--grant-type",
        "client_credentials",
        "--auth-method",
        "client_secret_post",
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    from idp import create_app
    from idp.extensions import db
    from idp.oidc.models import Client

    app = create_app("test")
    with app.app_context():
        client = db.session.scalar(db.select(Client).filter_by(client_id=created["client_id"]))
        assert client.client_metadata["grant_types"] == ["client_credentials"]
        assert client.client_metadata["response_types"] == []
        assert client.client_metadata["redirect_uris"] == []
    token = app.test_client().post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created["client_id"],
            "client_secret": created["client_secret"],
        },
    )
    assert token.status_code == 200, token.get_data(as_text=True)
    assert "access_token" in token.get_json() and "id_token" not in token.get_json()


def test_clients_create_repeated_grant_types_are_kept(env):
    run("db", "upgrade")
    result = run(
        "clients",
        "create",
        *("--name", "Cổng tỉnh", "--redirect-uri", "https://a.example/cb"),
        *("--grant-type", "authorization_code", "--grant-type", "client_credentials"),
    )
    assert result.exit_code == 0, result.output
    from idp import create_app
    from idp.extensions import db
    from idp.oidc.models import Client

    with create_app("test").app_context():
        client = db.session.scalar(
            db.select(Client).filter_by(client_id=json.loads(result.output)["client_id"])
        )
        assert client.client_metadata["grant_types"] == ["authorization_code", "client_credentials"]
        assert client.client_metadata["response_types"] == ["code"]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (
            ("--grant-type", "client_credentials", "--auth-method", "none"),
            "token_endpoint_auth_method none cannot use client_credentials",
        ),
        (("--grant-type", "authorization_code"), "redirect_uris is required"),
        ((), "redirect_uris is required"),
        (
            ("--redirect-uri", "http://agency.example/cb"),
            "may use http only on 127.0.0.1 or localhost",
        ),
        (("--redirect-uri", "https://a.example/cb#x"), "must not contain a fragment"),
        (
            ("--redirect-uri", "https://a.example/cb", "--auth-method", "private_key_jwt"),
            "private_key_jwt needs the client's jwks or jwks_uri",
        ),
        (
            ("--redirect-uri", "https://a.example/cb", "--scope", "openid admin"),
            "Invalid claim: 'scope'",  # Authlib's check, as at /oauth2/register
        ),
    ],
)
def test_clients_create_follows_the_registration_rules(env, args, reason):
    run("db", "upgrade")
    result = CliRunner().invoke(main, ["clients", "create", "--name", "X", *args])
    assert result.exit_code == 1
    assert reason in result.output
    from idp import create_app
    from idp.extensions import db
    from idp.oidc.models import Client

    with create_app("test").app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Client)) == 0


def test_cli_commands_write_their_audit_rows(env):
    """Outside a request ``audit.record`` commits at once: the CLI's events are kept."""
    import sqlite3

    run("db", "upgrade")
    assert run("keys", "generate").exit_code == 0
    assert run(*citizen_argv("066090001234")).exit_code == 0
    with sqlite3.connect(env / "cli.sqlite3") as conn:
        rows = conn.execute("SELECT event, actor FROM audit_event ORDER BY id").fetchall()
    assert ("keys.generated", "cli") in rows
    assert ("citizen.created", "cli") in rows


def test_client_ids_never_start_with_a_dash(monkeypatch):
    """One random id in 64 would start with ``-`` and read as an option on the command line
    (``idp clients update <id>``); such draws are discarded."""
    import secrets

    from idp.oidc import clients

    draws = iter(["-starts-with-a-dash", "--two-dashes", "fine-id"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda _n: next(draws))
    assert clients.new_client_id() == "fine-id"


def test_a_client_created_dpop_bound_must_send_proofs(env):
    run("db", "upgrade")
    base = ("clients", "create", "--name", "BHXH", "--redirect-uri", "https://x.example/cb")
    bound = json.loads(run(*base, "--dpop-bound").output)["client_id"]
    plain = json.loads(run(*base).output)["client_id"]

    from idp import create_app
    from idp.extensions import db
    from idp.oidc.models import Client

    with create_app("test").app_context():
        flags = {
            c.client_id: c.client_metadata["dpop_bound_access_tokens"]
            for c in db.session.scalars(db.select(Client))
        }
    assert flags == {bound: True, plain: False}


def test_the_fapi2_profile_at_creation_and_by_update(env):
    """``--fapi2`` needs private_key_jwt and sets what the profile implies; ``clients update
    --standard-profile`` and ``--fapi2`` switch it."""
    run("db", "upgrade")
    base = ("clients", "create", "--name", "Thuế", "--redirect-uri", "https://x.example/cb")
    keyed = ("--auth-method", "private_key_jwt", "--jwks-uri", "https://keys.example/jwks")
    refused = run(*base, "--fapi2")
    assert refused.exit_code != 0 and "private_key_jwt" in refused.output
    created = run(*base, *keyed, "--fapi2")
    assert created.exit_code == 0, created.output
    client_id = json.loads(created.output)["client_id"]

    from idp import create_app
    from idp.oidc.clients import find_client

    with create_app("test").app_context():
        metadata = find_client(client_id).client_metadata
    assert metadata["security_profile"] == "fapi2"
    assert metadata["require_pushed_authorization_requests"] is True
    assert metadata["dpop_bound_access_tokens"] is True
    assert metadata["id_token_signed_response_alg"] == "ES256"
    standard = run("clients", "update", client_id, "--standard-profile")
    assert json.loads(standard.output)["security_profile"] == "standard"
    again = run("clients", "update", client_id, "--fapi2")
    assert json.loads(again.output)["security_profile"] == "fapi2"
