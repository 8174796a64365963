"""The six non-interactive paths, described once and built for either server.

A ``Target`` is a running server (the provider or the anchor) with its bench client and
the endpoints its discovery document advertises. Each ``Scenario`` builds the request
wrk will repeat and says how to tell a good answer, so that a server lacking the endpoint
gets a clear "endpoint not available" row instead of a column of errors.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import requests

from bench.browser import PendingCode
from bench.load import http_request

FORM = "application/x-www-form-urlencoded"
# Where the provider serves what its discovery may not (yet) advertise.
FALLBACK_PATHS = {"introspection_endpoint": "/oauth2/introspect"}


@dataclass
class HttpCall:
    """One request: sent once with ``requests`` to probe, or as raw bytes by wrk."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def raw(self) -> bytes:
        return http_request(self.method, self.url, self.headers, self.body)

    def send(self) -> requests.Response:
        return requests.request(
            self.method, self.url, headers=self.headers, data=self.body or None, timeout=30
        )


@dataclass
class Target:
    """A server under test, its bench client, and how to get codes and tokens from it."""

    name: str
    base_url: str
    client_id: str
    client_secret: str
    redirect_uri: str
    mint_codes: Callable[[int], list[PendingCode]]
    worker_pids: Callable[[], list[int]]
    metadata: dict = field(default_factory=dict)
    front: str = "none"  # "nginx" when the load reaches the server through nginx
    access_token: str | None = None
    code_problem: str | None = None  # why codes could not be had, if they could not

    def load_metadata(self) -> None:
        """Read the discovery document (endpoints are mapped onto ``base_url``)."""
        response = requests.get(self.base_url + "/.well-known/openid-configuration", timeout=30)
        response.raise_for_status()
        self.metadata = response.json()

    def endpoint(self, name: str) -> str | None:
        """An advertised endpoint's path on this server (the issuer may be a public name)."""
        advertised = self.metadata.get(name)
        if advertised:
            return self.base_url + urlsplit(advertised).path
        fallback = FALLBACK_PATHS.get(name)
        return self.base_url + fallback if fallback and self.name == "provider" else None

    def basic_auth(self) -> dict[str, str]:
        pair = f"{self.client_id}:{self.client_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def form_post(self, endpoint: str, fields: dict[str, str]) -> HttpCall:
        """A client_secret_basic form POST to ``endpoint``."""
        headers = {**self.basic_auth(), "Content-Type": FORM}
        return HttpCall("POST", endpoint, headers, urlencode(fields).encode())

    def code_exchange(self, code: PendingCode) -> HttpCall:
        return self.form_post(
            self.endpoint("token_endpoint"),
            {
                "grant_type": "authorization_code",
                "code": code.code,
                "code_verifier": code.verifier,
                "redirect_uri": self.redirect_uri,
            },
        )


class Unavailable(Exception):
    """The server does not offer this path (the reason goes into the table)."""


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def check(response: requests.Response, accept: Callable[[dict], bool]) -> None:
    """Raise ``Unavailable`` unless the answer is a 200 whose JSON ``accept`` likes."""
    body = _json(response)
    if response.status_code == 200 and accept(body):
        return
    detail = body.get("error") or response.text[:60].strip()
    raise Unavailable(f"endpoint not available (HTTP {response.status_code} {detail})".strip())


@dataclass
class Scenario:
    """A path under load: its label, how to build its request, what a good answer is."""

    key: str
    label: str
    build: Callable[[Target], HttpCall] | None
    accept: Callable[[dict], bool]
    one_use: bool = False  # each request needs a fresh authorization code


def _endpoint(target: Target, name: str) -> str:
    url = target.endpoint(name)
    if url is None:
        raise Unavailable(f"endpoint not available ({name} not in discovery)")
    return url


def _needs_token(target: Target) -> str:
    if target.access_token is None:
        raise Unavailable(f"no access token: {target.code_problem or 'code exchange failed'}")
    return target.access_token


def _discovery(target: Target) -> HttpCall:
    return HttpCall("GET", target.base_url + "/.well-known/openid-configuration")


def _jwks(target: Target) -> HttpCall:
    return HttpCall("GET", _endpoint(target, "jwks_uri"))


def _client_credentials(target: Target) -> HttpCall:
    return target.form_post(
        _endpoint(target, "token_endpoint"), {"grant_type": "client_credentials"}
    )


def _introspection(target: Target) -> HttpCall:
    token = _needs_token(target)
    return target.form_post(_endpoint(target, "introspection_endpoint"), {"token": token})


def _userinfo(target: Target) -> HttpCall:
    token = _needs_token(target)
    headers = {"Authorization": f"Bearer {token}"}
    return HttpCall("GET", _endpoint(target, "userinfo_endpoint"), headers)


SCENARIOS = [
    Scenario("discovery", "GET discovery", _discovery, lambda body: "issuer" in body),
    Scenario("jwks", "GET JWKS", _jwks, lambda body: bool(body.get("keys"))),
    Scenario(
        "client_credentials",
        "POST token (client_credentials)",
        _client_credentials,
        lambda body: "access_token" in body,
    ),
    Scenario(
        "authorization_code",
        "POST token (authorization_code)",
        None,
        lambda body: "access_token" in body and "id_token" in body,
        one_use=True,
    ),
    Scenario(
        "introspection", "POST introspection", _introspection, lambda b: b.get("active") is True
    ),
    Scenario("userinfo", "GET userinfo", _userinfo, lambda body: "sub" in body),
]
