"""The relying party's client registration: what the provider knows this client by.

One frozen value, built by the mounting application (from its own settings file or
environment) and handed to ``relying_party.mount``.
"""

from __future__ import annotations

from dataclasses import dataclass

AUTH_METHODS = ("client_secret_basic", "client_secret_post")


@dataclass(frozen=True)
class ClientSettings:
    """A client of the provider: issuer, credentials, redirect URIs, scope and checks."""

    issuer: str
    client_id: str
    client_secret: str
    #: The application's own base URL; the routes below are under it.
    base_url: str
    scope: str = "openid"
    acr_values: str = "LoA1"
    token_endpoint_auth_method: str = "client_secret_basic"
    http_timeout: int = 5
    clock_leeway: int = 60
    session_seconds: int = 28800
    callback_path: str = "/callback"
    post_logout_path: str = "/"

    def __post_init__(self) -> None:
        object.__setattr__(self, "issuer", self.issuer.rstrip("/"))
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if self.token_endpoint_auth_method not in AUTH_METHODS:
            raise ValueError(f"token_endpoint_auth_method must be one of {AUTH_METHODS}")

    @property
    def redirect_uri(self) -> str:
        """The redirect URI registered at the provider (the callback route)."""
        return self.base_url + self.callback_path

    @property
    def post_logout_redirect_uri(self) -> str:
        """Where the provider sends the browser after RP-Initiated Logout."""
        return self.base_url + self.post_logout_path
