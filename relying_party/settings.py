"""The relying party's client registration: what the provider knows this client by
(client_secret_basic, client_secret_post or private_key_jwt).

One frozen value, built by the mounting application (from its own settings file or
environment) and handed to ``relying_party.mount``.
"""

from __future__ import annotations

from dataclasses import dataclass

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")


def accepted_acr_values(asked: str, levels: str) -> tuple[str, ...]:
    """The ``acr`` values an ID token may carry: those asked for, and every level above
    the weakest one asked for."""
    wanted, ordered = asked.split(), levels.split()
    known = [ordered.index(value) for value in wanted if value in ordered]
    above = ordered[min(known) :] if known else []
    return tuple(dict.fromkeys([*wanted, *above]))


@dataclass(frozen=True)
class ClientSettings:
    """A client of the provider: issuer, credentials, redirect URIs, scope and checks."""

    issuer: str
    client_id: str
    #: Empty with ``private_key_jwt``.
    client_secret: str
    #: The application's own base URL; the routes below are under it.
    base_url: str
    scope: str = "openid"
    acr_values: str = "LoA1"
    #: The provider's levels of assurance, weakest first: an ID token at a level above the
    #: one asked for (a login through an upstream identity provider) is accepted too.
    acr_levels: str = "LoA1 LoA2 LoA3"
    token_endpoint_auth_method: str = "client_secret_basic"
    http_timeout: int = 5
    clock_leeway: int = 60
    session_seconds: int = 28800
    callback_path: str = "/callback"
    post_logout_path: str = "/"
    #: For ``private_key_jwt`` (RFC 7523 §2.2): the private key, a PEM or a JWK as JSON
    #: text (its public half registered at the provider), and its signing algorithm.
    private_key: str = ""
    private_key_alg: str = "RS256"
    #: Push each authorization request to the provider first (RFC 9126); the browser then
    #: carries only the client id and the reference the provider returned.
    use_par: bool = False
    #: DPoP (RFC 9449): the private key proofs are signed with (a PEM or a JWK as JSON
    #: text; empty: no DPoP, bearer tokens) and its algorithm.
    dpop_key: str = ""
    dpop_alg: str = "ES256"

    def __post_init__(self) -> None:
        object.__setattr__(self, "issuer", self.issuer.rstrip("/"))
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if self.token_endpoint_auth_method not in AUTH_METHODS:
            raise ValueError(f"token_endpoint_auth_method must be one of {AUTH_METHODS}")
        if (self.token_endpoint_auth_method == "private_key_jwt") != bool(self.private_key):
            raise ValueError("private_key is for token_endpoint_auth_method private_key_jwt")
        if self.dpop_alg not in ("ES256", "PS256", "RS256"):
            raise ValueError("dpop_alg must be ES256, PS256 or RS256")

    @property
    def redirect_uri(self) -> str:
        """The redirect URI registered at the provider (the callback route)."""
        return self.base_url + self.callback_path

    @property
    def post_logout_redirect_uri(self) -> str:
        """Where the provider sends the browser after RP-Initiated Logout."""
        return self.base_url + self.post_logout_path
