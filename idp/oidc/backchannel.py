"""Sending Back-Channel Logout (OpenID Connect Back-Channel Logout 1.0 §2.4-2.5, 2.8).

When a login session ends, every client that received tokens in it (``LoginSession.
clients``) and registered a ``backchannel_logout_uri`` gets a logout token: a JWT typed
``logout+jwt`` with ``iss``, ``aud``, ``iat``, a short ``exp``, ``jti``, ``sid``, ``sub``
and the back-channel ``events`` member, and never a ``nonce`` (§2.4).

Delivery is synchronous, to all clients in parallel, each with a few quick tries
(``BACKCHANNEL_LOGOUT_TRIES`` of ``BACKCHANNEL_LOGOUT_TIMEOUT`` seconds, short backoff):
when the citizen sees "you are logged out", every reachable portal has already ended its
session, which matters on a shared computer; and it needs no job queue, so it behaves the
same on any number of replicas. An unreachable client delays the logout page by at most
the bounded retry time. Each failure is written to the audit trail.
"""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
from flask import current_app

from idp import audit
from idp.accounts.models import Citizen
from idp.extensions import db
from idp.login_session import LoginSession
from idp.oidc.claims import subject_for
from idp.oidc.grants import sign_jwt
from idp.oidc.server import query_client

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_SECONDS = 120
BACKOFF_SECONDS = (0.2, 0.5, 1.0)
MAX_PARALLEL = 8


@dataclass
class Delivery:
    client_id: str
    uri: str
    logout_token: str
    ok: bool = False
    attempts: int = 0
    error: str = ""


def logout_token(login: LoginSession, citizen: Citizen, client) -> str:
    """The signed logout token for ``client`` about ``login`` (§2.4)."""
    now = int(time.time())
    claims = {
        "iss": current_app.config["IDP_ISSUER"],
        "aud": client.client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_SECONDS,
        "jti": secrets.token_urlsafe(18),
        "sid": login.sid,
        "sub": subject_for(citizen, client),
        "events": {BACKCHANNEL_EVENT: {}},
    }
    return sign_jwt({"typ": "logout+jwt"}, claims, client.id_token_signed_response_alg)


def _deliveries(login: LoginSession) -> list[Delivery]:
    citizen = db.session.get(Citizen, login.citizen_id)
    if citizen is None:
        return []
    found = []
    for client_id in login.clients:
        client = query_client(client_id)
        uri = client.client_metadata.get("backchannel_logout_uri") if client else None
        if uri:
            found.append(Delivery(client_id, uri, logout_token(login, citizen, client)))
    return found


def _deliver(delivery: Delivery, tries: int, timeout: float) -> Delivery:
    for attempt in range(tries):
        delivery.attempts = attempt + 1
        try:
            response = requests.post(
                delivery.uri,
                data={"logout_token": delivery.logout_token},
                timeout=timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            delivery.error = type(exc).__name__
        else:
            if response.status_code in (200, 204):
                delivery.ok = True
                return delivery
            delivery.error = f"HTTP {response.status_code}"
            if 400 <= response.status_code < 500 and response.status_code != 429:
                return delivery  # the client refused this token: another try cannot help
        if attempt + 1 < tries:
            time.sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)])
    return delivery


def send_backchannel_logouts(login: LoginSession) -> list[Delivery]:
    """Tell every client of ``login`` that it ended; returns each delivery's outcome."""
    deliveries = _deliveries(login)
    if not deliveries:
        return []
    tries = max(1, int(current_app.config["BACKCHANNEL_LOGOUT_TRIES"]))
    timeout = float(current_app.config["BACKCHANNEL_LOGOUT_TIMEOUT"])
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(deliveries))) as pool:
        done = list(pool.map(lambda d: _deliver(d, tries, timeout), deliveries))
    for delivery in done:
        audit.record(
            "logout.backchannel_sent" if delivery.ok else "logout.backchannel_failed",
            citizen_id=login.citizen_id,
            client_id=delivery.client_id,
            sid=login.sid,
            attempts=delivery.attempts,
            error=delivery.error,
        )
    return done
