"""The UserInfo endpoint (OIDC Core §5.3): claims by the token's scope."""

from __future__ import annotations

from authlib.consts import default_json_headers
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oidc.core import UserInfoEndpoint
from flask import current_app

from idp.oidc.claims import user_claims


class UserInfo(UserInfoEndpoint):
    def __call__(self, request):
        token = self.resource_protector.acquire_token("openid")
        citizen = token.get_user()
        if citizen is None or not citizen.is_active:
            raise InvalidTokenError()
        claims = user_claims(citizen, token.get_client(), token.scope, token.userinfo_claims)
        return 200, claims, default_json_headers

    def get_issuer(self) -> str:
        return current_app.config["IDP_ISSUER"]
