"""Authlib grants and extensions, each holding one protocol rule.

- ``CodeGrant``: the authorization code grant (RFC 6749 §4.1) with codes from ``codes``.
- ``S256Challenge``: PKCE (RFC 7636) with S256 only, mandatory unless an operator exempted
  a confidential client.
- ``IdToken``: the OIDC Core §2 ID token, signed with the client's algorithm.
- ``Issuer``: RFC 9207 ``iss`` in every authorization response.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.util import create_half_hash
from flask import current_app
from joserfc import jwt

from idp.citizens.models import Citizen
from idp.oidc.claims import allowed_claim, subject_for, user_claims
from idp.oidc.codes import AuthorizationCode, CodeReused, hash_code, redeem_code, save_code
from idp.oidc.reads import autocommit_get
from idp.oidc.security_profiles import FAPI2_CODE_SECONDS, is_fapi2
from idp.oidc.tokens import TokensFromTheRequest, revoke_tokens_from_code
from idp.services import clock, services


class CodeGrant(TokensFromTheRequest, AuthorizationCodeGrant):
    """RFC 6749 §4.1 with single-use, short-lived, client-bound codes."""

    TOKEN_ENDPOINT_AUTH_METHODS = [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    ]
    AUTHORIZATION_CODE_LENGTH = 43

    def generate_token(
        self, user=None, scope=None, grant_type=None, expires_in=None, include_refresh_token=True
    ):
        # Refresh tokens only for offline_access or first-party (trusted) clients.
        client = self.request.client
        wants = "offline_access" in (scope or "").split() or client.trusted
        return super().generate_token(
            user=user,
            scope=scope,
            grant_type=grant_type,
            expires_in=expires_in,
            include_refresh_token=include_refresh_token and wants,
        )

    def save_authorization_code(self, code: str, request) -> None:
        """Save the code with the login and ``claims`` its request carries
        (``StoredAuthorizationRequest``), and mark the request as answered with a code."""
        auth = request.auth_context
        data = request.payload.data
        save_code(
            code,
            AuthorizationCode(
                code_hash=hash_code(code),
                client_id=request.client.client_id,
                redirect_uri=request.payload.redirect_uri or "",
                scope=request.scope,
                citizen_id=request.user.id,
                sid=auth["sid"],
                auth_time=auth["auth_time"],
                acr=auth["acr"],
                amr=auth["amr"],
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                claims=request.requested_claims or {},
            ),
            most_seconds=FAPI2_CODE_SECONDS if is_fapi2(request.client) else None,
        )
        request.code_issued = True

    def query_authorization_code(self, code: str, client):
        try:
            record = redeem_code(code)
        except CodeReused as reused:
            revoke_tokens_from_code(reused.code_hash)
            raise InvalidGrantError("The authorization code was already used.") from None
        if record is None or record.client_id != client.client_id:
            return None
        return record  # Authlib keeps it as request.authorization_code (context_for reads it)

    def delete_authorization_code(self, authorization_code) -> None:
        """Nothing to do: ``redeem_code`` already removed it atomically."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Citizen | None:
        # Read in autocommit: without a refresh token the exchange writes nothing at all.
        citizen = autocommit_get(Citizen, authorization_code.citizen_id)
        return citizen if citizen is not None and citizen.is_active else None


class S256Challenge(CodeChallenge):
    """RFC 7636 with ``S256`` only (§4.2; ``plain`` is refused), required for every client
    (RFC 9700 §2.1.1) unless an operator exempted a confidential one (``pkce_exempt``)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant, redirect_uri) -> None:
        data = grant.request.payload.data
        client = grant.request.client
        if not data.get("code_challenge") and client.requires_pkce:
            raise InvalidRequestError("A PKCE 'code_challenge' (S256) is required.")
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be 'S256'.")
        super().validate_code_challenge(grant, redirect_uri)


def sign_jwt(header: dict, claims: dict, alg: str) -> str:
    """Sign claims with the provider's current key for ``alg`` (its kid in the header)."""
    kid, key = services().keys.signing_key(alg)
    return jwt.encode({**header, "alg": alg, "kid": kid}, claims, key, algorithms=[alg])


class IdToken(OpenIDCode):
    """OIDC Core §2/§3.1.3.6: the ID token issued with the code grant's token response."""

    def exists_nonce(self, nonce: str, request) -> bool:
        return False

    def generate_user_info(self, user, scope):  # pragma: no cover - encode_id_token is ours
        raise NotImplementedError

    def encode_id_token(self, token: dict, request) -> str:
        client = request.client
        code: AuthorizationCode = request.authorization_code
        alg = client.id_token_signed_response_alg
        now = int(clock().now())
        claims = {
            "iss": current_app.config["IDP_ISSUER"],
            "sub": subject_for(request.user, client),
            "aud": client.client_id,
            "azp": client.client_id,
            "iat": now,
            "exp": now + current_app.config["ID_TOKEN_SECONDS"],
            "auth_time": code.auth_time,
            "acr": code.acr,
            "amr": code.amr,
            "sid": code.sid,
        }
        if code.nonce:
            claims["nonce"] = code.nonce
        if token.get("access_token"):
            claims["at_hash"] = create_half_hash(token["access_token"], alg).decode()
        wanted = (code.claims or {}).get("id_token") or {}
        if wanted:
            extra = user_claims(request.user, client, code.scope, list(wanted))
            for name in wanted:
                if name in extra and allowed_claim(name, code.scope):
                    claims[name] = extra[name]
        return sign_jwt({"typ": "JWT"}, claims, alg)


class Issuer(IssuerParameter):
    """RFC 9207 §2: ``iss`` in authorization responses, errors included."""

    def get_issuer(self) -> str:
        return current_app.config["IDP_ISSUER"]
