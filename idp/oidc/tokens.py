"""Issued tokens: access tokens go to the store (``access_tokens``), refresh tokens are
rows of ``oauth_token`` (hashed), found by value and revoked with their access tokens."""

from __future__ import annotations

from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator, InvalidTokenError
from flask import current_app
from sqlalchemy import text

from idp import audit, metrics
from idp.extensions import db
from idp.oidc import dpop
from idp.oidc.access_tokens import (
    AccessToken,
    check_access_token,
    context_for,
    generate_refresh_token,
    group_key,
    revoke_access_token,
    revoke_group,
    save_access_token,
    token_value,
)
from idp.oidc.models import Token, keyed_hash


class TokensFromTheRequest:
    """Grant mixin: the tokens are Authlib's ``BearerTokenGenerator``'s, with the access
    token made from this request (``access_tokens.context_for``: the code or refresh token
    it redeems, its DPoP key), the context kept on the request for ``save_token``."""

    def generate_token(
        self, user=None, scope=None, grant_type=None, expires_in=None, include_refresh_token=True
    ):
        request = self.request

        def access_token(client, grant_type, user, scope) -> str:
            request.access_token_context = context_for(request, client, user, scope)
            return token_value(client, request.access_token_context)

        generator = BearerTokenGenerator(
            access_token,
            generate_refresh_token,
            expires_generator=lambda client, grant_type: current_app.config["ACCESS_TOKEN_SECONDS"],
        )
        return generator.generate(
            grant_type=grant_type or self.GRANT_TYPE,
            client=request.client,
            user=user,
            scope=scope,
            expires_in=expires_in,
            include_refresh_token=include_refresh_token,
        )


def save_token(token: dict, request) -> Token | None:
    """Authlib's ``save_token``: the access token's record in the store (opaque tokens
    only) and, with a refresh token, its row. A refresh grant's new row is committed with
    the old one's revocation (``RotatingRefreshGrant.revoke_old_credential``)."""
    context: AccessToken = request.access_token_context
    access_hash = save_access_token(token["access_token"], context)
    token["token_type"] = context.token_type  # RFC 9449 §5: "DPoP" for a bound token
    row = None
    if token.get("refresh_token"):
        row = Token(
            client_id=context.client_id,
            citizen_id=context.citizen_id,
            token_type=token.get("token_type", "Bearer"),
            access_token_hash=access_hash,
            refresh_token_hash=keyed_hash(token["refresh_token"]),
            scope=context.scope,
            issued_at=context.issued_at,
            expires_in=context.get_expires_in(),
            sid=context.sid,
            code_hash=context.code_hash,
            family=context.family,
            auth_time=context.auth_time,
            acr=context.acr,
            amr=" ".join(context.amr),
            userinfo_claims=context.userinfo_claims,
            # RFC 9449 §5.8: a public client's refresh token is bound to its DPoP key (a
            # confidential client's is bound to its credentials already).
            dpop_jkt=context.jkt if request.client.token_endpoint_auth_method == "none" else None,
        )
        row.refresh_expires_at = row.issued_at + current_app.config["REFRESH_TOKEN_SECONDS"]
        db.session.add(row)
        if request.refresh_token is None:  # not a rotation (revoke_old_credential commits)
            commit_token_write()
    metrics.token_issued(request.payload.grant_type)
    return row


def commit_token_write() -> None:
    """Commit a transaction that only issues or rotates refresh tokens.

    With ``TOKEN_SYNCHRONOUS_COMMIT`` false (the default) PostgreSQL acknowledges it before
    its WAL reaches the disk (``SET LOCAL synchronous_commit = off``, this transaction
    only). A database crash can then forget the last fraction of a second of issued
    tokens, never half of one: the client's next call gets ``invalid_grant`` and it signs
    the citizen in again. Accounts, consents, complaints and audit rows keep the fully
    durable commit.
    """
    if (
        not current_app.config["TOKEN_SYNCHRONOUS_COMMIT"]
        and db.session.get_bind().dialect.name == "postgresql"
    ):
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    db.session.commit()


def find_access_token(value: str) -> AccessToken | None:
    """The live access token with this value (store only), or None."""
    return check_access_token(value)


def find_refresh_token(value: str) -> Token | None:
    """The refresh-token row with this value (revoked or not), or None."""
    if not value or len(value) > 4096:
        return None
    return db.session.scalar(db.select(Token).filter_by(refresh_token_hash=keyed_hash(value)))


def revoke_rows(rows: list[Token]) -> None:
    """Revoke refresh-token rows and the access token issued with each (the caller
    commits)."""
    for row in rows:
        row.revoke()
        revoke_access_token(row.access_token_hash)


def revoke_tokens_from_code(code_hash: str) -> int:
    """RFC 6749 §4.1.2: a code used twice revokes what the first use issued."""
    revoke_group(group_key("code", code_hash))
    rows = db.session.scalars(db.select(Token).filter_by(code_hash=code_hash)).all()
    revoke_rows(list(rows))
    client_id = rows[0].client_id if rows else None
    audit.record("token.revoked_code_reuse", client_id=client_id, count=len(rows))
    db.session.commit()
    return len(rows)


class OpaqueBearerValidator(BearerTokenValidator):
    """RFC 6750 bearer tokens of either format; expired or revoked ones fail."""

    def authenticate_token(self, token_string: str) -> AccessToken | None:
        return find_access_token(token_string)

    def validate_token(self, token, scopes, request) -> None:
        """Authlib's checks, then RFC 9449 §7: a DPoP-bound token only with a proof by its
        key (``BearerProtector`` checked the proof), and a bearer token only as one."""
        super().validate_token(token, scopes, request)
        presented = getattr(request, "dpop_jkt", None)
        if token.jkt is None and presented is not None:
            raise InvalidTokenError(description="This access token is not bound to a DPoP key.")
        if token.jkt is not None and presented is None:
            raise InvalidTokenError(
                description="A DPoP-bound access token must be sent with the DPoP scheme."
            )
        if token.jkt is not None and presented != token.jkt:
            raise dpop.InvalidDPoPProofAtResource(
                "The DPoP proof is not signed by the key the access token is bound to."
            )
