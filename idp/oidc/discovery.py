"""OpenID Provider Metadata (OIDC Discovery 1.0 §3, RFC 8414), built once per app."""

from __future__ import annotations

import hashlib
import json

from flask import Flask

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
        "scopes_supported": SUPPORTED_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": CLAIMS_SUPPORTED,
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "acr_values_supported": ["LoA1"],
        "prompt_values_supported": ["none", "login"],
        "ui_locales_supported": ["vi"],
        "claims_locales_supported": ["vi"],
        "authorization_response_iss_parameter_supported": True,
        "frontchannel_logout_supported": False,
        "backchannel_logout_supported": False,
    }


class PrecomputedJson:
    """A JSON body serialised once, with its strong ETag."""

    def __init__(self, data: dict):
        self.body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        self.etag = hashlib.sha256(self.body).hexdigest()[:32]
