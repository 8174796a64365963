"""OAuth clients and issued tokens as stored in the database.

Client secrets and tokens are high-entropy random strings, so they are stored only as a
keyed hash (HMAC-SHA256): a stolen database dump reveals neither, and checking one costs
microseconds instead of a password hash's milliseconds.
"""

from __future__ import annotations

import hashlib
import hmac

from authlib.integrations.sqla_oauth2 import OAuth2ClientMixin
from authlib.oauth2.rfc6749 import TokenMixin
from flask import current_app
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from idp.citizens.models import Citizen
from idp.columns import CitizenId, CreatedAt, IntId
from idp.extensions import db
from idp.oidc.security_profiles import is_fapi2
from idp.services import clock


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of a high-entropy secret under the server's SECRET_KEY."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


class Client(db.Model, OAuth2ClientMixin):
    __tablename__ = "oauth_client"

    id: Mapped[IntId]
    # First-party clients (the provincial portal) skip the consent page.
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    # active | pending (waiting for an operator) | suspended | deleted (RFC 7592 delete)
    status: Mapped[str] = mapped_column(String(16), default="active")
    # An operator's exemption from PKCE for a legacy agency (confidential clients only).
    pkce_exempt: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (db.UniqueConstraint("client_id", name="uq_oauth_client_client_id"),)

    def set_secret(self, secret: str) -> None:
        """Store only the keyed hash of a newly issued secret."""
        self.client_secret = keyed_hash(secret)

    def check_client_secret(self, client_secret: str) -> bool:
        if not self.client_secret or not client_secret:
            return False
        return hmac.compare_digest(self.client_secret, keyed_hash(client_secret))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string comparison (RFC 9700 §4.1.3): no prefix or pattern matching.
        return redirect_uri in self.redirect_uris

    @property
    def is_usable(self) -> bool:
        return self.status == "active"

    @property
    def requires_pkce(self) -> bool:
        """RFC 9700 §2.1.1: PKCE for every client, unless an operator exempted this
        confidential one (a public client is never exempt)."""
        if is_fapi2(self):
            return True  # FAPI 2.0: PKCE S256 always
        return not (self.pkce_exempt and self.token_endpoint_auth_method != "none")

    @property
    def id_token_signed_response_alg(self) -> str:
        return self.client_metadata.get("id_token_signed_response_alg", "RS256")


class Token(db.Model, TokenMixin):
    """A refresh token (access tokens live in the store: ``idp.oidc.access_tokens``).

    ``access_token_hash`` names the access token issued with it, so that revoking either
    revokes both (RFC 7009); ``expires_in`` is that access token's lifetime.
    """

    __tablename__ = "oauth_token"

    id: Mapped[IntId]
    client_id: Mapped[str] = mapped_column(String(48), index=True)
    citizen_id: Mapped[int | None] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), index=True
    )
    token_type: Mapped[str] = mapped_column(String(40), default="Bearer")
    access_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[int] = mapped_column(Integer, default=lambda: int(clock().now()))
    expires_in: Mapped[int] = mapped_column(Integer, default=0)
    refresh_expires_at: Mapped[int] = mapped_column(Integer, default=0)
    access_token_revoked_at: Mapped[int] = mapped_column(Integer, default=0)
    refresh_token_revoked_at: Mapped[int] = mapped_column(Integer, default=0)
    # The login session (sid) and the code the token came from (to revoke on code reuse).
    sid: Mapped[str | None] = mapped_column(String(64), index=True)
    code_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # Refresh tokens rotate; all generations share a family, revoked together on reuse.
    family: Mapped[str | None] = mapped_column(String(64), index=True)
    auth_time: Mapped[int | None] = mapped_column(Integer)
    acr: Mapped[str | None] = mapped_column(String(32))
    amr: Mapped[str | None] = mapped_column(String(64))
    # Claims named in the request's ``claims`` parameter for userinfo (OIDC Core §5.5).
    userinfo_claims: Mapped[list[str] | None] = mapped_column(JSON)
    # RFC 9449 §5.8: the DPoP key (RFC 7638 thumbprint) a public client's refresh token is
    # bound to; a refresh needs a proof by that key.
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))

    citizen: Mapped[Citizen | None] = relationship(lazy="joined")

    def check_client(self, client: Client) -> bool:
        return self.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def get_expires_at(self) -> int:
        return self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return bool(self.refresh_token_revoked_at)

    def is_expired(self) -> bool:
        return self.refresh_expires_at < clock().now()

    def get_user(self) -> Citizen | None:
        return self.citizen

    def revoke(self) -> None:
        now = int(clock().now())
        self.access_token_revoked_at = self.access_token_revoked_at or now
        if self.refresh_token_hash:
            self.refresh_token_revoked_at = self.refresh_token_revoked_at or now


class Consent(db.Model):
    """A citizen's consent to share the data of a set of scopes with a client."""

    __tablename__ = "consent"
    __table_args__ = (db.UniqueConstraint("citizen_id", "client_id", name="uq_consent_citizen"),)

    id: Mapped[IntId]
    citizen_id: Mapped[CitizenId]
    client_id: Mapped[str] = mapped_column(String(48), index=True)
    scopes: Mapped[str] = mapped_column(Text, default="")
    granted_at: Mapped[CreatedAt]

    def covers(self, scope: str) -> bool:
        return set(scope.split()) <= set(self.scopes.split())
