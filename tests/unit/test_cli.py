"""The ``idp`` console script, driven through click's runner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from idp.cli import main


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("IDP_ENV", "test")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("IDP_KEYS_DIR", str(tmp_path / "keys"))
    return tmp_path


def run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def test_db_upgrade_is_idempotent_then_keys_clients_citizens(env):
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

    result = run(
        "citizens",
        "create",
        "--id-number",
        "066090001234",
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
    )
    assert result.exit_code == 0, result.output
    again = run(
        "citizens",
        "create",
        "--id-number",
        "066090001234",
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
    )
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


def test_pkce_exemption_is_set_at_creation_and_changed_later(env):
    """``--pkce-exempt`` on ``clients create`` for a legacy agency; ``clients update``
    switches it; a public client cannot be exempt; the database migration has the column."""
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
    assert json.loads(changed.output) == {"client_id": legacy, "pkce_exempt": False}
    assert run("clients", "update", modern, "--pkce-exempt").exit_code == 0
    assert exempt() == {legacy: False, modern: True}
    assert run("clients", "update", modern).exit_code != 0  # nothing to change
    unknown = run("clients", "update", "no-such-client", "--pkce-exempt")
    assert unknown.exit_code != 0 and "Không tìm thấy" in unknown.output


def test_bad_citizen_input_is_a_clear_error(env):
    run("db", "upgrade")
    result = run(
        "citizens",
        "create",
        "--id-number",
        "066190001234",
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
    )
    assert result.exit_code != 0
    assert "giới tính" in result.output.lower() or "gender" in result.output.lower()


def test_production_without_settings_refuses_with_reason(monkeypatch):
    monkeypatch.setenv("IDP_ENV", "production")
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, ["keys", "generate"])
    assert result.exit_code != 0
    assert "refusing to start in production" in result.output
