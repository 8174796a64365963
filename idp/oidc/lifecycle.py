"""Token lifecycle beyond the code grant (RFC 9700 §2.2.2, §4.14):

- ``RotatingRefreshGrant``: RFC 6749 §6 with rotation on every use; presenting a refresh
  token that was already rotated away revokes its whole family (every token descended
  from the same authorization), because only a thief or a broken client does that.
- ``AgencyClientCredentials``: RFC 6749 §4.4 for agency back-ends; the token carries no
  citizen and no citizen scope.
- ``Introspection``: RFC 7662, answering details only to the token's own client or to a
  client registered as a resource server (``resource_server: true``).
- ``Revocation``: RFC 7009; revoking either token of a pair revokes both.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import scope_to_list
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant, RefreshTokenGrant
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import current_app

from idp import audit
from idp.extensions import db
from idp.oidc import dpop
from idp.oidc.access_tokens import AccessToken, group_key, revoke_access_token, revoke_group
from idp.oidc.claims import SUPPORTED_SCOPES, subject_for
from idp.oidc.client_cache import cached_client
from idp.oidc.models import Token
from idp.oidc.tokens import (
    TokensFromTheRequest,
    commit_token_write,
    find_access_token,
    find_refresh_token,
    revoke_rows,
)
from idp.services import clock

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
CITIZEN_SCOPES = set(SUPPORTED_SCOPES)


def revoke_family(family: str | None, reason: str) -> int:
    """Revoke every token of a refresh-token family."""
    if not family:
        return 0
    revoke_group(group_key("family", family))
    rows = db.session.scalars(db.select(Token).filter_by(family=family)).all()
    revoke_rows(list(rows))
    if rows:
        audit.record(
            "token.family_revoked",
            client_id=rows[0].client_id,
            citizen_id=rows[0].citizen_id,
            reason=reason,
            count=len(rows),
        )
    db.session.commit()
    return len(rows)


class RotatingRefreshGrant(TokensFromTheRequest, RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [*CLIENT_AUTH_METHODS, "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        token = find_refresh_token(refresh_token)
        if token is None:
            return None
        if token.refresh_token_revoked_at:
            # A rotated-away token came back: treat the family as stolen.
            revoke_family(token.family, "refresh_token_reuse")
            return None
        if token.refresh_expires_at and token.refresh_expires_at < clock().now():
            return None
        return token  # Authlib keeps it as request.refresh_token (context_for reads it)

    def authenticate_user(self, refresh_token: Token):
        citizen = refresh_token.citizen
        return citizen if citizen is not None and citizen.is_active else None

    def revoke_old_credential(self, refresh_token: Token) -> None:
        """The old row's revocation and the new row (``save_token``): one commit."""
        revoke_rows([refresh_token])
        commit_token_write()


class AgencyClientCredentials(TokensFromTheRequest, ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def validate_token_request(self) -> None:
        super().validate_token_request()
        asked = set(scope_to_list(self.request.payload.scope) or [])
        if asked & CITIZEN_SCOPES:
            from authlib.oauth2.rfc6749 import InvalidScopeError

            raise InvalidScopeError("Citizen scopes need a citizen: use the code flow.")


AnyToken = AccessToken | Token


def _looks_like_refresh_token(value: str) -> bool:
    # generate_refresh_token: 48 random bytes, 64 characters; access tokens are 43 or a JWT.
    return len(value) == 64 and "." not in value


def _find_any(token_string: str, hint: str | None) -> AnyToken | None:
    """The live access token (store) or the refresh-token row (database) of this value.

    The value's shape says which one it can be, so an access token is never looked for
    in the database, nor a refresh token in the store (the hint only orders the search).
    """
    if _looks_like_refresh_token(token_string):
        return find_refresh_token(token_string)
    return find_access_token(token_string)


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> AnyToken | None:
        return _find_any(token_string, token_type_hint)

    def check_permission(self, token: AnyToken, client, request) -> bool:
        return token.client_id == client.client_id or bool(
            client.client_metadata.get("resource_server")
        )

    def create_introspection_payload(self, token: AnyToken | None) -> dict:
        if token is None:
            return {"active": False}
        if isinstance(token, Token):
            expired = bool(token.refresh_expires_at and token.refresh_expires_at < clock().now())
            if token.refresh_token_revoked_at or expired:
                return {"active": False}
        return self.introspect_token(token)

    def introspect_token(self, token: AnyToken) -> dict:
        payload = {
            "active": True,
            "client_id": token.client_id,
            "scope": token.scope,
            "iat": token.issued_at,
            "iss": current_app.config["IDP_ISSUER"],
        }
        if isinstance(token, AccessToken):
            payload.update(token_type=token.token_type, exp=token.expires_at)
            if token.jkt:
                payload["cnf"] = {"jkt": token.jkt}  # RFC 9449 §6.2
            if token.subject is not None:
                payload["sub"] = token.subject
        else:
            payload.update(token_type="refresh_token", exp=token.refresh_expires_at)
            if token.dpop_jkt:
                payload["cnf"] = {"jkt": token.dpop_jkt}
            if token.citizen is not None:
                payload["sub"] = subject_for(token.citizen, cached_client(token.client_id))
        if token.acr:
            payload.update(acr=token.acr, auth_time=token.auth_time)
        return payload


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = [*CLIENT_AUTH_METHODS, "none"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> AnyToken | None:
        return _find_any(token_string, token_type_hint)

    def authenticate_token(self, request, client) -> AnyToken | None:
        """RFC 7009 §2.2: another client's token is answered like an unknown one (200,
        nothing revoked); Authlib's ``invalid_grant`` told a client which tokens are live.

        RFC 9449: a DPoP proof sent here must be valid for this endpoint; a public client
        revokes a token bound to its key only with a proof by that key (a confidential
        client has authenticated already)."""
        self.check_params(request, client)
        proof = dpop.proof_header()
        jkt = None if proof is None else dpop.verify_proof(proof, "POST", dpop.endpoint_url())
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        if token is not None and not token.check_client(client):
            audit.record("token.revocation_refused", client_id=client.client_id)
            return None
        bound = getattr(token, "jkt", None) or getattr(token, "dpop_jkt", None)
        if bound and client.token_endpoint_auth_method == "none" and jkt != bound:
            raise dpop.InvalidDPoPProof("Revoking this token needs a DPoP proof by its key.")
        return token

    def revoke_token(self, token: AnyToken, request) -> None:
        """RFC 7009 §2.1: revoking either token of a pair revokes both."""
        if isinstance(token, AccessToken):
            revoke_access_token(token.token_hash)
            rows = db.session.scalars(
                db.select(Token).filter_by(access_token_hash=token.token_hash)
            ).all()
        else:
            rows = [token]
        revoke_rows(list(rows))
        audit.record("token.revoked", client_id=token.client_id, citizen_id=token.citizen_id)
        db.session.commit()
