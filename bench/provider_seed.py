"""Seed the provider's fresh bench database (run in the provider's own environment).

``python -m bench.provider_seed --citizens N --redirect-uri URI`` creates the tables,
the signing keys, one confidential client (client_secret_basic, allowed
authorization_code and client_credentials, first-party so there is no consent page) and
N citizens, then prints ``{"client_id", "client_secret", "password", "citizens": [...]}``.
"""

from __future__ import annotations

import argparse
import json
from unittest import mock

PASSWORD = "matkhau2026"
CLIENT_ID = "bench-client"


def citizen_details(index: int) -> dict[str, str]:
    """A valid male citizen born in 1990 in Đắk Lắk (CCCD 066 0 90 ...) with his own phone."""
    return {
        "id_number": f"066090{100000 + index:06d}",
        "full_name": "Nguyễn Văn An",
        "date_of_birth": "1990-05-17",
        "gender": "male",
        "phone": f"0912{100000 + index:06d}",
        "password": PASSWORD,
    }


def seed(citizens: int, redirect_uri: str) -> dict:
    """Create tables, keys, the client and ``citizens`` accounts; returns what the run needs."""
    from idp import create_app
    from idp.citizens import creation
    from idp.citizens.password_policy import hash_password
    from idp.extensions import db
    from idp.oidc.clients import create_client
    from idp.services import services

    app = create_app()
    with app.app_context():
        db.create_all()
        services().keys.generate()
        client_id, secret = create_client(
            name="Bench agency",
            redirect_uris=[redirect_uri],
            scope="openid profile phone",
            trusted=True,
            client_id=CLIENT_ID,
            actor="bench",
            # No refresh_token: the anchor's client issues none either.
            extra_metadata={"grant_types": ["authorization_code", "client_credentials"]},
        )
        # Every bench citizen has the same password; one argon2id hash (with the
        # production parameters) serves them all, so seeding takes seconds, and each
        # login still verifies it at full cost.
        shared_hash = hash_password(PASSWORD)
        with mock.patch.object(creation, "hash_password", lambda _password: shared_hash):
            accounts = []
            for index in range(citizens):
                details = citizen_details(index)
                citizen = creation.create_citizen(**details, actor="bench")
                accounts.append({"username": details["id_number"], "phone": citizen.phone})
    return {
        "client_id": client_id,
        "client_secret": secret,
        "password": PASSWORD,
        "citizens": accounts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--citizens", type=int, required=True)
    parser.add_argument("--redirect-uri", required=True)
    args = parser.parse_args()
    print(json.dumps(seed(args.citizens, args.redirect_uri)))


if __name__ == "__main__":
    main()
