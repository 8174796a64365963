"""The provider as the relying party sees it: Authlib's Flask OAuth client, configured by
discovery, plus the checks Authlib's client leaves to the application.

Authlib does: discovery (``server_metadata_url``), the authorization URL with ``state``,
``nonce`` and PKCE S256, keeping that request's data in the (server-side) session, the
token request with client_secret_basic, refresh, userinfo and the RP-Initiated Logout URL.
Written here: the discovery ``issuer`` check (Discovery 1.0 §4.3), a JWK Set fetcher that
re-fetches at most every few seconds, and turning network failures into a Problem.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from authlib.integrations.flask_client import OAuth
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from flask import Flask, session
from joserfc.jwk import import_key

from relying_party import dpop, json_limits
from relying_party.errors import Problem, RelyingPartyError
from relying_party.settings import ClientSettings

log = logging.getLogger("relying_party")

PROVIDER_UNREACHABLE = Problem(
    "portal.provider_unreachable",
    "Không kết nối được tới Cổng Dịch vụ công Quốc gia. Vui lòng thử lại sau ít phút.",
)
PROVIDER_MISCONFIGURED = Problem(
    "portal.provider_misconfigured",
    "Cấu hình kết nối tới Cổng Dịch vụ công Quốc gia không đúng. "
    "Vui lòng liên hệ bộ phận hỗ trợ của cổng tỉnh.",
)

# A flood of tokens with made-up key ids must not become a flood of JWKS requests.
JWKS_REFETCH_SECONDS = 5.0


class BoundedJsonSession(OAuth2Session):
    """Authlib's session whose JSON answers (discovery, JWKS, tokens, userinfo) must parse
    within ``relying_party.json_limits`` first: a deeply nested answer made the parser raise
    RecursionError, which no caller expects; now it is a failed request like any other."""

    def request(self, method, url, *args, **kwargs):
        response = super().request(method, url, *args, **kwargs)
        if "json" in response.headers.get("Content-Type", ""):
            try:
                json_limits.loads(response.content)
            except json_limits.JsonRefused as refused:
                failed = requests.exceptions.InvalidJSONError(str(refused), response=response)
                raise failed from None
        return response


def session_class(settings: ClientSettings) -> type[BoundedJsonSession]:
    """The client session class for ``settings``: with ``private_key_jwt``, one that signs a
    client assertion with the private key (Authlib's ``PrivateKeyJWT``, ``aud`` = the
    endpoint called) for every token request; with a DPoP key, one that sends a DPoP proof
    with every request to the provider that is not a plain read (``relying_party.dpop``)."""
    base: type[BoundedJsonSession] = BoundedJsonSession
    if settings.token_endpoint_auth_method == "private_key_jwt":
        alg = settings.private_key_alg

        class PrivateKeyJwtSession(BoundedJsonSession):
            def __init__(self, *args: Any, **kwargs: Any):
                super().__init__(*args, **kwargs)
                self.register_client_auth_method(PrivateKeyJWT(alg=alg))

        base = PrivateKeyJwtSession
    if not settings.dpop_key:
        return base
    prover = dpop.Prover(settings.dpop_key, settings.dpop_alg)

    class TokenAuth(dpop.DPoPTokenAuth):
        pass

    TokenAuth.prover = prover

    class DPoPSession(base):  # type: ignore[valid-type,misc]
        token_auth_class = TokenAuth

        def request(self, method, url, withhold_token=False, auth=None, **kwargs):
            def send():
                headers = dict(kwargs.get("headers") or {})
                if (
                    method.upper() == "POST"
                    and auth is not None
                    and not isinstance(auth, dpop.OAuth2Auth)
                ):  # a client-authenticated call: the token endpoint, PAR
                    headers["DPoP"] = prover.proof(method, url)
                return super(DPoPSession, self).request(
                    method, url, withhold_token, auth, **{**kwargs, "headers": headers}
                )

            response = send()
            nonce = dpop.wants_a_nonce(response)
            if nonce is not None:
                prover.nonce = nonce
                response = send()
            elif response.headers.get("DPoP-Nonce"):
                prover.nonce = response.headers["DPoP-Nonce"]
            return response

    return DPoPSession


def signing_key(settings: ClientSettings) -> Any:
    """``private_key`` (a JWK as JSON text, or a PEM) as a key object Authlib signs with."""
    text = settings.private_key.strip()
    if text.startswith("{"):
        return import_key(json.loads(text))
    alg = settings.private_key_alg
    key_type = "EC" if alg.startswith("ES") else "OKP" if alg == "EdDSA" else "RSA"
    return import_key(text, key_type)


class ProviderClient:
    """One app's client of the provider (``relying_party.services.rp().provider``)."""

    def __init__(
        self,
        app: Flask,
        settings: ClientSettings,
        ui_locales: Callable[[], str | None] = lambda: None,
    ):
        self.settings = settings
        self.issuer = settings.issuer
        self.client_id = settings.client_id
        self.ui_locales = ui_locales
        self.oauth = OAuth(app)
        self.oauth_app = self.oauth.register(
            "provider",
            client_id=self.client_id,
            client_secret=signing_key(settings) if settings.private_key else settings.client_secret,
            server_metadata_url=f"{self.issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": settings.scope,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": settings.token_endpoint_auth_method,
                "default_timeout": settings.http_timeout,
            },
        )
        self.oauth_app.client_cls = session_class(settings)
        self._lock = threading.Lock()
        self._refetched_at = float("-inf")

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (loaded once), its issuer checked."""
        try:
            metadata = self.oauth_app.load_server_metadata()
        except (requests.RequestException, ValueError) as exc:
            log.warning("discovery failed: %s", exc)
            raise RelyingPartyError(PROVIDER_UNREACHABLE) from exc
        if metadata.get("issuer") != self.issuer:
            log.error("discovery issuer %r is not %r", metadata.get("issuer"), self.issuer)
            self.oauth_app.server_metadata.pop("_loaded_at", None)
            raise RelyingPartyError(PROVIDER_MISCONFIGURED)
        return metadata

    def fetch_jwks(self, force: bool = False) -> dict[str, Any]:
        """The provider's JWK Set; ``force`` re-fetches it unless that was just done."""
        self.metadata()
        with self._lock:
            if force and time.monotonic() - self._refetched_at < JWKS_REFETCH_SECONDS:
                force = False
            if force:
                self._refetched_at = time.monotonic()
        try:
            return self.oauth_app.fetch_jwk_set(force=force)
        except (requests.RequestException, ValueError) as exc:
            log.warning("JWKS fetch failed: %s", exc)
            raise RelyingPartyError(PROVIDER_UNREACHABLE) from exc

    def id_token_algorithms(self) -> list[str]:
        """The signing algorithms the provider advertises, limited to the ones we accept."""
        offered = self.metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
        return [alg for alg in offered if alg in ("RS256", "ES256")]

    def start_authorization(self, redirect_uri: str, **saved: Any) -> str:
        """A new authorization request (state, nonce, PKCE) saved in the session; its URL."""
        self.metadata()
        extra = {"acr_values": self.settings.acr_values} if self.settings.acr_values else {}
        locale = self.ui_locales()
        if locale:
            extra["ui_locales"] = locale  # the provider's pages in the app's language
        try:
            request = self.oauth_app.create_authorization_url(redirect_uri, **extra)
        except requests.RequestException as exc:
            raise RelyingPartyError(PROVIDER_UNREACHABLE) from exc
        self.oauth_app.save_authorize_data(redirect_uri=redirect_uri, **request, **saved)
        if self.settings.use_par:
            return self._pushed(request["url"])
        return request["url"]

    def _pushed(self, url: str) -> str:
        """RFC 9126: push the request ``url`` names, authenticated as at the token
        endpoint; the URL for the browser then names only the client and the reference."""
        metadata = self.metadata()
        endpoint = metadata.get("pushed_authorization_request_endpoint")
        if not endpoint:
            log.error("use_par is set but the provider offers no PAR endpoint")
            raise RelyingPartyError(PROVIDER_MISCONFIGURED)
        params = dict(parse_qsl(urlsplit(url).query))
        try:
            with self.oauth_app._get_oauth_client() as client:
                auth = client.client_auth(client.token_endpoint_auth_method)
                answer = client.post(endpoint, data=params, auth=auth, withhold_token=True)
        except requests.RequestException as exc:
            raise RelyingPartyError(PROVIDER_UNREACHABLE) from exc
        if answer.status_code != 201:
            log.error("the provider refused the pushed request: %s", answer.text[:300])
            raise RelyingPartyError(PROVIDER_MISCONFIGURED)
        reference = answer.json().get("request_uri")
        query = urlencode({"client_id": self.client_id, "request_uri": reference})
        return f"{metadata['authorization_endpoint']}?{query}"

    def take_authorization(self, state: str | None) -> dict[str, Any] | None:
        """The saved request for ``state`` (removed: a state works once), or None."""
        if not state or len(state) > 128:
            return None
        data = self.oauth_app.framework.get_state_data(session, state)
        self.oauth_app.framework.clear_state_data(session, state)
        return data

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Run one of Authlib's client calls, a network failure becoming a Problem."""
        try:
            return getattr(self.oauth_app, method)(*args, **kwargs)
        except requests.RequestException as exc:
            log.warning("%s failed: %s", method, exc)
            raise RelyingPartyError(PROVIDER_UNREACHABLE) from exc
