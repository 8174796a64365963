"""Shared fixtures: an app per test on the embedded defaults, or on real PostgreSQL and
Redis when DATABASE_URL / REDIS_URL are set (CI runs the suite both ways)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("IDP_ENV", "test")

# CI (HYPOTHESIS_PROFILE=ci, set by .ci/run) replays the same examples on every run, so a
# landing is never blocked by an input nobody has seen before; runs elsewhere keep
# exploring new inputs, and what they find becomes an @example.
hypothesis_settings.register_profile("ci", derandomize=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

REAL_DB = os.environ.get("DATABASE_URL", "")
REAL_REDIS = os.environ.get("REDIS_URL", "")

CITIZEN = {
    "id_number": "066090001234",
    "full_name": "Nguyễn Văn An",
    "date_of_birth": "1990-05-17",
    "gender": "male",
    "phone": "0912345678",
    "password": "matkhau2026",
}
# A second citizen, for tests of what one citizen must not reach of another's.
OTHER_CITIZEN = {
    "id_number": "066195012345",
    "full_name": "Trần Thị Bình",
    "date_of_birth": "1995-03-08",
    "gender": "female",
    "phone": "0987654321",
    "password": "binhtran2026",
}
# OTHER_CITIZEN before she has an account: the registration form as she fills it in (the
# phone as typed, with spaces).
NEWCOMER = {
    "id_number": OTHER_CITIZEN["id_number"],  # Đắk Lắk, 20th century, female, born 1995
    "full_name": OTHER_CITIZEN["full_name"],
    "date_of_birth": OTHER_CITIZEN["date_of_birth"],
    "gender": OTHER_CITIZEN["gender"],
    "phone": "0987 654 321",
    "email": "",
}
NEWCOMER_E164 = "+84987654321"
NEWCOMER_PASSWORD = OTHER_CITIZEN["password"]
REDIRECT_URI = "http://127.0.0.1:5001/callback"


def register_agency_client(app, base: str, name: str, scope: str) -> tuple[str, str]:
    """A trusted agency served at ``base`` (callback, post-logout and back-channel logout
    addresses under it), as ``idp clients create`` makes one; its id and secret."""
    from idp.oidc.clients import create_client

    with app.app_context():
        return create_client(
            name=name,
            redirect_uris=[f"{base}/callback"],
            post_logout_redirect_uris=[f"{base}/"],
            backchannel_logout_uri=f"{base}/backchannel-logout",
            scope=scope,
            trusted=True,
            actor="test",
        )


@pytest.fixture
def env(monkeypatch, tmp_path):
    """The environment of a CLI run on the test settings, its database and keys in a fresh
    directory (returned)."""
    monkeypatch.setenv("IDP_ENV", "test")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("IDP_KEYS_DIR", str(tmp_path / "keys"))
    return tmp_path


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory) -> Path:
    from idp.oidc.keys import KeyStore

    path = tmp_path_factory.mktemp("keys")
    KeyStore(path).generate()
    return path


_schema_rebuilt = False


def _reset_database(app) -> None:
    global _schema_rebuilt
    from idp.extensions import db

    with app.app_context():
        if REAL_DB:
            if not _schema_rebuilt:
                # Once per test process: tables left by an older schema are rebuilt.
                db.drop_all()
                _schema_rebuilt = True
            db.create_all()
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            db.session.execute(db.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            db.session.commit()
        else:
            db.create_all()


@pytest.fixture
def clock():
    """The test's application clock: the system's time until a test ``advance``s it (every
    app the test builds shares it: sessions, codes, flows, OTPs, in-process TTLs, and the
    TTLs of the test's keys in a real Redis, ``tests.redis_time``)."""
    from idp.clock import Clock
    from tests.redis_time import age_keys

    class TestClock(Clock):
        def __init__(self) -> None:
            super().__init__()
            self.redis_prefixes: list[tuple[str, str]] = []

        def advance(self, seconds: float) -> None:
            super().advance(seconds)
            for url, prefix in self.redis_prefixes:
                age_keys(url, prefix, seconds)

    return TestClock()


@pytest.fixture
def app_factory(tmp_path, keys_dir, clock):
    """Build apps sharing this test's database, store prefix, SMS outbox and clock."""
    prefix = f"test:{secrets.token_hex(4)}:"
    if REAL_REDIS:
        clock.redis_prefixes.append((REAL_REDIS, prefix))
    outbox = tmp_path / "outbox.jsonl"
    database = REAL_DB or f"sqlite:///{tmp_path / 'idp.sqlite3'}"
    built = []

    def build(**overrides):
        from idp import create_app

        settings = {
            "DATABASE_URL": database,
            "REDIS_URL": REAL_REDIS,
            "REDIS_PREFIX": prefix,
            "IDP_KEYS_DIR": str(keys_dir),
            "SMS_BACKEND": "outbox",
            "SMS_OUTBOX_PATH": str(outbox),
            "SUBSCRIBER_CHECK": "registry",
            "WTF_CSRF_ENABLED": True,
        }
        settings.update(overrides)
        app = create_app("test", settings, clock=clock)
        app.config["TESTING"] = True
        if not built:
            _reset_database(app)
        built.append(app)
        return app

    build.outbox = outbox
    yield build
    for app in built:
        with app.app_context():
            from idp.extensions import db

            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(app_factory):
    return app_factory()


@pytest.fixture
def outbox(app_factory):
    return Outbox(app_factory.outbox)


class Outbox:
    """The outbox SMS backend's file: one JSON object per line."""

    def __init__(self, path: Path):
        self.path = path

    def messages(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line]

    def last_otp(self, to: str | None = None) -> str:
        for message in reversed(self.messages()):
            if to is None or message["to"] == to:
                return re.findall(r"(?<!\d)\d{6}(?!\d)", message["text"])[0]
        raise AssertionError("no SMS in the outbox")


@pytest.fixture
def citizen(app):
    from idp.citizens.creation import create_citizen

    with app.app_context():
        c = create_citizen(**CITIZEN, actor="test")
        return {"id": c.id, "sub": c.subject, **CITIZEN, "phone_e164": c.phone}


def create_other_citizen(app, **changes) -> dict:
    """``OTHER_CITIZEN`` (with ``changes``) as an account; its details as ``citizen`` gives."""
    from idp.citizens.creation import create_citizen

    details = {**OTHER_CITIZEN, **changes}
    with app.app_context():
        c = create_citizen(**details, actor="test")
        return {"id": c.id, "sub": c.subject, **details, "phone_e164": c.phone}


@pytest.fixture
def other_citizen(app):
    return create_other_citizen(app)


@pytest.fixture
def oidc_client(app):
    """A confidential client (client_secret_basic) with the demo redirect URI."""
    from idp.oidc.clients import create_client

    with app.app_context():
        client_id, secret = create_client(
            name="Cổng DVC thử nghiệm",
            redirect_uris=[REDIRECT_URI],
            post_logout_redirect_uris=["http://127.0.0.1:5001/"],
            scope="openid profile phone email citizen_id offline_access",
            trusted=True,
        )
    return {"client_id": client_id, "client_secret": secret}


def authorization_params(client_id: str, /, **extra) -> tuple[dict[str, str], str]:
    """An authorization request's parameters (code flow, PKCE S256, state, nonce) for
    ``client_id``, ``extra`` added or (as None) taken out; and its PKCE verifier."""
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile phone",
        "state": "st-123",
        "nonce": "n-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return {k: v for k, v in params.items() if v is not None}, verifier


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "form without csrf_token"
    return match.group(1)


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
