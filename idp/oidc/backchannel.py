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

Each request goes through the outbound policy (``idp.outbound``: public addresses only in
production, no redirects). A URI that failed recently is in back-off: it still gets
its logout token, but with one try instead of ``BACKCHANNEL_LOGOUT_TRIES``, so a dead
or hostile endpoint cannot make every logout wait for all the retries.
"""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from flask import current_app

from idp import audit
from idp.citizens.models import Citizen
from idp.extensions import db
from idp.login_session import LoginSession
from idp.oidc.claims import subject_for
from idp.oidc.grants import sign_jwt
from idp.oidc.server import query_client
from idp.outbound import (
    FailureBackoff,
    OutboundError,
    OutboundHttp,
    outbound_backoff,
    outbound_http,
)
from idp.services import clock

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
    now = int(clock().now())
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


def _deliver(
    delivery: Delivery, http: OutboundHttp, backoff: FailureBackoff, tries: int, timeout: float
) -> Delivery:
    backoff_key = f"backchannel_logout_uri {delivery.uri}"
    if backoff.waiting(backoff_key):
        tries = 1
    for attempt in range(tries):
        delivery.attempts = attempt + 1
        try:
            response = http.post_form(
                delivery.uri, {"logout_token": delivery.logout_token}, timeout=timeout
            )
        except OutboundError as exc:
            delivery.error = f"{type(exc).__name__}: {exc}"
        else:
            if response.status in (200, 204):
                delivery.ok = True
                backoff.succeeded(backoff_key)
                return delivery
            delivery.error = f"HTTP {response.status}"
            if 400 <= response.status < 500 and response.status != 429:
                # The client answered and refused this token: another try cannot help,
                # and its endpoint is up, so no back-off.
                return delivery
        if attempt + 1 < tries:
            time.sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)])
    backoff.failed(backoff_key)
    return delivery


def send_backchannel_logouts(login: LoginSession) -> list[Delivery]:
    """Tell every client of ``login`` that it ended; returns each delivery's outcome."""
    deliveries = _deliveries(login)
    if not deliveries:
        return []
    tries = current_app.config["BACKCHANNEL_LOGOUT_TRIES"]  # at least 1 (idp.settings)
    timeout = current_app.config["BACKCHANNEL_LOGOUT_TIMEOUT"]
    http, backoff = outbound_http(), outbound_backoff()  # the threads have no app context
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(deliveries))) as pool:
        done = list(pool.map(lambda d: _deliver(d, http, backoff, tries, timeout), deliveries))
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
