"""A VNeID emulator for development and tests: a second configuration of this provider.

It speaks standard OpenID Connect, as the real upstream would: its own issuer, database,
signing keys and cookie names (``COOKIE_NAME_PREFIX``, so it and the provider can share
127.0.0.1), its own demo citizens, and one client: the provider, whose redirect,
post-logout and back-channel logout addresses are registered with it. The provider is
then configured with it as the upstream ``vneid`` (label "Tài khoản định danh điện tử
VNeID (demo)", ``LoA2``, accounts created for newcomers, logout both ways).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

NAME = "vneid"
LABEL = "Tài khoản định danh điện tử VNeID (demo)"
CLIENT_ID = "dvc-national-idp"
SCOPE = "openid profile phone citizen_id"

#: VNeID's demo people: one with an account at the provider too (linking, with the
#: provider's password + OTP as proof), one without (an account made from the claims).
CITIZENS = (
    {
        "id_number": "066090001234",
        "full_name": "Nguyễn Văn An",
        "date_of_birth": "1990-05-17",
        "gender": "male",
        "phone": "0912345678",
        "password": "vneid2026an",
    },
    {
        "id_number": "066197003210",
        "full_name": "Hoàng Thị Mai",
        "date_of_birth": "1997-11-02",
        "gender": "female",
        "phone": "0934567890",
        "password": "vneid2026mai",
    },
)


def emulator_settings(issuer: str, folder: Path) -> dict[str, Any]:
    """The emulator's own settings: issuer, SQLite file, keys, cookie names, no "chính
    chủ" check (the upstream vouches for its people)."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "IDP_ISSUER": issuer,
        "DATABASE_URL": f"sqlite:///{folder / 'vneid.sqlite3'}",
        "REDIS_URL": "",
        "IDP_KEYS_DIR": str(folder / "keys"),
        "COOKIE_NAME_PREFIX": "vneid_",
        "SUBSCRIBER_CHECK": "off",
    }


def provider_addresses(provider_issuer: str) -> dict[str, Any]:
    """The provider's addresses as the emulator's client registers them."""
    base = f"{provider_issuer}/upstream/{NAME}"
    return {
        "redirect_uris": [f"{base}/callback"],
        "post_logout_redirect_uris": [f"{base}/signed-out"],
        "backchannel_logout_uri": f"{base}/backchannel-logout",
        "backchannel_logout_session_required": True,
    }


def seed_emulator(app, provider_issuer: str) -> str:
    """The emulator's citizens and its client for the provider (a new secret at every
    start); returns the secret."""
    from idp.citizens.creation import account_exists, create_citizen
    from idp.demo import seed_client

    with app.app_context():
        for person in CITIZENS:
            if not account_exists(person["id_number"]):
                create_citizen(**person, actor="emulator")
        return seed_client(
            CLIENT_ID, "Cổng Dịch vụ công Quốc gia", provider_addresses(provider_issuer), SCOPE
        )


def configure_provider(app, emulator_issuer: str, secret: str) -> None:
    """Make the emulator the provider's upstream ``vneid`` (or update its issuer and
    secret); discovery is not read now, since the emulator may not listen yet."""
    from idp.extensions import db
    from idp.federation.models import Upstream
    from idp.federation.upstream_client import CLIENT_SECRET
    from idp.federation.upstreams import UpstreamSettings, add_upstream, forget_choices
    from idp.sealed_secrets import seal

    with app.app_context():
        existing = db.session.get(Upstream, NAME)
        if existing is not None:
            existing.issuer = emulator_issuer
            existing.client_secret_sealed = seal(secret, CLIENT_SECRET)
            db.session.commit()
            forget_choices()
            return
        add_upstream(
            UpstreamSettings(
                name=NAME,
                label=LABEL,
                issuer=emulator_issuer,
                client_id=CLIENT_ID,
                client_secret=secret,
                scope=SCOPE,
                id_number_claim="citizen_id",
                name_claim="name",
                birthdate_claim="birthdate",
                phone_claim="phone_number",
                acr="LoA2",
                create_accounts=True,
                logout_upstream=True,
            ),
            actor="demo",
            discover=False,
        )
