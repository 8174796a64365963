"""Live servers for the federation tests: the provider under test on 127.0.0.1, an agency
(a recording receiver) registered with it, and an upstream OpenID provider that the
provider is a client of: node-oidc-provider here, this project's own emulator elsewhere."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.conftest import CITIZEN, Outbox, authorization_params
from tests.federation.node_upstream import NodeUpstream, ensure_node_oidc_provider
from tests.federation.receiver import Receiver
from tests.federation.wiring import (
    AGENCY_SCOPE,
    UPSTREAM_CLIENT_ID,
    UPSTREAM_CLIENT_SECRET,
    add_test_upstream,
    register_agency,
)
from tests.live import LiveServer, free_port

#: The upstream's people: a citizen who has an account here (CITIZEN), and newcomers.
KNOWN = {
    "citizen_id": CITIZEN["id_number"],
    "name": CITIZEN["full_name"],
    "birthdate": CITIZEN["date_of_birth"],
    "phone_number": "+84912345678",
    "phone_number_verified": True,
}
NEWCOMER = {
    "citizen_id": "066195004321",
    "name": "Lê Thị Hoa",
    "birthdate": "1995-07-21",
    "phone_number": "+84905123456",
    "phone_number_verified": True,
}
NEWCOMER_NO_PHONE = {
    "citizen_id": "066088007777",
    "name": "Phạm Văn Cường",
    "birthdate": "1988-02-03",
}
BAD_NUMBER = {"citizen_id": "12345", "name": "Không Hợp Lệ", "birthdate": "1990-01-01"}
ACCOUNTS = {
    "known": KNOWN,
    "newcomer": NEWCOMER,
    "newcomer-no-phone": NEWCOMER_NO_PHONE,
    "bad-number": BAD_NUMBER,
}


@dataclass
class Federation:
    """The provider, its agency and the upstream, wired together."""

    app: object
    url: str
    agency: LiveServer
    agency_id: str
    agency_secret: str
    upstream: object
    outbox: Outbox
    browser: requests.Session = field(default_factory=requests.Session)

    def add_upstream(self, name: str = "node", **flags) -> None:
        """Configure the upstream at the provider (``idp upstreams add``'s function)."""
        add_test_upstream(self.app, self.upstream.issuer, name, **flags)

    def authorize(self, **extra) -> tuple[requests.Response, str]:
        """The agency's authorization request in the browser: the login choice page."""
        params, verifier = authorization_params(
            self.agency_id,
            redirect_uri=f"{self.agency.url}/callback",
            scope=AGENCY_SCOPE,
            **extra,
        )
        page = self.browser.get(f"{self.url}/oauth2/authorize?{urlencode(params)}")
        return page, verifier

    def choose(self, page: requests.Response, name: str = "node") -> requests.Response:
        """Press the upstream's button on the login choice."""
        return self.browser.post(
            f"{self.url}/login/upstream",
            data={"csrf_token": csrf_of(page.text), "flow": flow_of(page), "upstream": name},
        )

    def redeem(self, callback_url: str, verifier: str) -> dict:
        """The agency redeems the code it got: the token response."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(callback_url).query).items()}
        assert "code" in query, callback_url
        answer = requests.post(
            f"{self.url}/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": query["code"],
                "redirect_uri": f"{self.agency.url}/callback",
                "code_verifier": verifier,
            },
            auth=(self.agency_id, self.agency_secret),
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def id_token_claims(self, token: dict) -> dict:
        from joserfc import jwt
        from joserfc.jwk import KeySet

        keys = KeySet.import_key_set(requests.get(f"{self.url}/oauth2/jwks", timeout=10).json())
        return jwt.decode(token["id_token"], keys).claims


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def flow_of(page: requests.Response) -> str:
    match = re.search(r'name="flow" value="([^"]+)"', page.text)
    if match:
        return match.group(1)
    return parse_qs(urlsplit(page.url).query)["flow"][0]


@pytest.fixture
def federation(app_factory):
    """The provider and its agency on 127.0.0.1, and node-oidc-provider as the upstream
    with a client for the provider; the upstream still to be configured (``add_upstream``)."""
    ensure_node_oidc_provider()
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    app = app_factory(IDP_ISSUER=issuer)
    receiver = Receiver()
    with LiveServer(receiver) as agency, LiveServer(app, port):
        agency.app = receiver
        agency_id, agency_secret = register_agency(app, agency.url)
        client = {
            "client_id": UPSTREAM_CLIENT_ID,
            "client_secret": UPSTREAM_CLIENT_SECRET,
            "redirect_uris": [f"{issuer}/upstream/node/callback"],
            "post_logout_redirect_uris": [f"{issuer}/upstream/node/signed-out"],
            "backchannel_logout_uri": f"{issuer}/upstream/node/backchannel-logout",
        }
        with NodeUpstream([client], ACCOUNTS) as upstream:
            yield Federation(
                app, issuer, agency, agency_id, agency_secret, upstream, Outbox(app_factory.outbox)
            )
