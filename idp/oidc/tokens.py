"""Issued tokens: saving them (hashed), finding them by value, revoking them."""

from __future__ import annotations

import secrets
import time

from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import current_app, g
from sqlalchemy import text

from idp import audit, metrics
from idp.extensions import db
from idp.oidc.models import Token, keyed_hash


def save_token(token: dict, request) -> Token:
    """Authlib's ``save_token``: store hashes of the new tokens with their context."""
    code = request.authorization_code
    citizen = request.user
    row = Token(
        client_id=request.client.client_id,
        citizen_id=citizen.id if citizen is not None else None,
        token_type=token.get("token_type", "Bearer"),
        access_token_hash=keyed_hash(token["access_token"]),
        scope=token.get("scope", ""),
        issued_at=int(time.time()),
        expires_in=int(token.get("expires_in", 0)),
    )
    if token.get("refresh_token"):
        row.refresh_token_hash = keyed_hash(token["refresh_token"])
        row.refresh_expires_at = row.issued_at + int(current_app.config["REFRESH_TOKEN_SECONDS"])
    if code is not None:
        row.sid = code.sid
        row.code_hash = code.code_hash
        row.auth_time = code.auth_time
        row.acr = code.acr
        row.amr = " ".join(code.amr)
        row.userinfo_claims = sorted((code.claims or {}).get("userinfo") or {}) or None
    parent = g.get("token_family")
    if parent is not None:
        # A rotated refresh token inherits its family and the original authentication.
        row.family, row.sid, row.code_hash = parent.family, parent.sid, parent.code_hash
        row.auth_time, row.acr, row.amr = parent.auth_time, parent.acr, parent.amr
        row.userinfo_claims = parent.userinfo_claims
    elif row.refresh_token_hash:
        row.family = secrets.token_urlsafe(16)
    db.session.add(row)
    commit_token_write()
    metrics.token_issued(request.payload.grant_type)
    return row


def commit_token_write() -> None:
    """Commit a transaction that only issues or rotates tokens.

    With ``TOKEN_SYNCHRONOUS_COMMIT`` false (the default) PostgreSQL acknowledges it before
    its WAL reaches the disk (``SET LOCAL synchronous_commit = off``, this transaction
    only). A database crash can then forget the last fraction of a second of issued
    tokens, never half of one: the client's next call gets ``invalid_token`` and it asks
    again. Accounts, consents, complaints and audit rows keep the fully durable commit.
    """
    if (
        not current_app.config["TOKEN_SYNCHRONOUS_COMMIT"]
        and db.session.get_bind().dialect.name == "postgresql"
    ):
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    db.session.commit()


def find_access_token(value: str) -> Token | None:
    if not value or len(value) > 4096:
        return None
    return db.session.scalar(db.select(Token).filter_by(access_token_hash=keyed_hash(value)))


def find_refresh_token(value: str) -> Token | None:
    if not value or len(value) > 4096:
        return None
    return db.session.scalar(db.select(Token).filter_by(refresh_token_hash=keyed_hash(value)))


def revoke_tokens_from_code(code_hash: str) -> int:
    """RFC 6749 §4.1.2: a code used twice revokes what the first use issued."""
    rows = db.session.scalars(db.select(Token).filter_by(code_hash=code_hash)).all()
    for row in rows:
        row.revoke()
    db.session.commit()
    if rows:
        audit.record("token.revoked_code_reuse", client_id=rows[0].client_id, count=len(rows))
    return len(rows)


class OpaqueBearerValidator(BearerTokenValidator):
    """RFC 6750 bearer tokens: looked up by keyed hash; expired or revoked ones fail."""

    def authenticate_token(self, token_string: str) -> Token | None:
        return find_access_token(token_string)
