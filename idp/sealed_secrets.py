"""Secrets kept encrypted at rest: authenticator-app (TOTP) secrets of citizens and operators.

Unlike a password such a secret cannot be hashed, because every code check needs it in
clear; but a copy of the database alone (a backup, a replica) must not let anyone
generate codes. Each is a Fernet token under a key derived from ``SECRET_KEY`` with HKDF,
one key per purpose (the ``info`` label), so a token sealed for one purpose does not open
for another. Changing ``SECRET_KEY`` makes every sealed secret unreadable.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

#: The HKDF label of each purpose; changing one makes its sealed secrets unreadable.
CITIZEN_TOTP = b"idp authenticator-app secret"
OPERATOR_TOTP = b"idp operator authenticator-app secret"


def _fernet(purpose: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        current_app.config["SECRET_KEY"].encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str, purpose: bytes) -> str:
    """The secret as a Fernet token (text) under the key of ``purpose``."""
    return _fernet(purpose).encrypt(secret.encode()).decode()


def unseal(sealed: str, purpose: bytes) -> str | None:
    """The secret in clear, or None if the token does not open under this key."""
    try:
        return _fernet(purpose).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None
