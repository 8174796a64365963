"""OpenID Provider Metadata (OIDC Discovery 1.0 §3, RFC 8414), built once per app."""

from __future__ import annotations

from flask import Flask

from idp.assurance import LEVELS
from idp.oidc.claims import CLAIMS_SUPPORTED, SUPPORTED_SCOPES


def provider_metadata(app: Flask) -> dict:
    """The discovery document; every URL is built from the issuer byte for byte."""
    iss = app.config["IDP_ISSUER"]
    return {
        "issuer": iss,
        "authorization_endpoint": f"{iss}/oauth2/authorize",
        "token_endpoint": f"{iss}/oauth2/token",
        "userinfo_endpoint": f"{iss}/oauth2/userinfo",
        "jwks_uri": f"{iss}/oauth2/jwks",
        "end_session_endpoint": f"{iss}/oauth2/logout",
        "registration_endpoint": f"{iss}/oauth2/register",
        "introspection_endpoint": f"{iss}/oauth2/introspect",
        "revocation_endpoint": f"{iss}/oauth2/revoke",
        "pushed_authorization_request_endpoint": f"{iss}/oauth2/par",
        "require_pushed_authorization_requests": app.config[
            "REQUIRE_PUSHED_AUTHORIZATION_REQUESTS"
        ],
        "scopes_supported": SUPPORTED_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ],
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": ["ES256", "PS256", "RS256"],
        "claims_supported": CLAIMS_SUPPORTED,
        "claims_parameter_supported": True,
        "request_parameter_supported": True,
        "request_object_signing_alg_values_supported": ["ES256", "PS256", "RS256"],
        "require_signed_request_object": False,
        "request_uri_parameter_supported": False,
        "acr_values_supported": list(LEVELS),
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": ["vi", "en"],
        "claims_locales_supported": ["vi"],
        "authorization_response_iss_parameter_supported": True,
        "frontchannel_logout_supported": False,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
    }
