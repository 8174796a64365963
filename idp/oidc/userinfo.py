"""The UserInfo endpoint (OIDC Core §5.3): claims by the token's scope."""

from __future__ import annotations

from authlib.consts import default_json_headers
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oidc.core import UserInfoEndpoint
from flask import current_app

from idp.oidc import client_limits
from idp.oidc.claims import user_claims


class UserInfo(UserInfoEndpoint):
    def __call__(self, request):
        try:
            token = self.resource_protector.acquire_token("openid")
            citizen = token.get_user()
            client = token.get_client()
            if citizen is None or not citizen.is_active or client is None:
                raise InvalidTokenError()
        except OAuth2Error:
            client_limits.count_failure()  # counted per address
            raise
        client_limits.charge(client)  # per the access token's client
        claims = user_claims(citizen, client, token.scope, token.userinfo_claims)
        return 200, claims, default_json_headers

    def get_issuer(self) -> str:
        return current_app.config["IDP_ISSUER"]
