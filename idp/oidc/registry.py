"""Creating and changing OAuth clients (used by the CLI, the console and RFC 7591)."""

from __future__ import annotations

import secrets
import time

from idp import audit
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.oidc.models import Client

PUBLIC_CLIENT_NEEDS_PKCE = Problem(
    "client.public_needs_pkce",
    "Ứng dụng công khai (xác thực none) luôn phải dùng PKCE; không thể miễn PKCE cho ứng dụng này.",
)


def new_client_secret() -> str:
    """A 256-bit random secret (stored only as a keyed hash)."""
    return secrets.token_urlsafe(32)


def create_client(
    *,
    name: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str] | None = None,
    backchannel_logout_uri: str | None = None,
    auth_method: str = "client_secret_basic",
    scope: str = "openid profile phone",
    trusted: bool = False,
    vn_claims: bool = False,
    alg: str = "RS256",
    client_id: str | None = None,
    actor: str = "cli",
    extra_metadata: dict | None = None,
    status: str = "active",
    pkce_exempt: bool = False,
) -> tuple[str, str | None]:
    """Register a client; returns its id and (for confidential clients) its secret.

    ``pkce_exempt``: the operator's exemption from PKCE for a legacy agency; a public
    client cannot have it (``DomainError``)."""
    if pkce_exempt and auth_method == "none":
        raise DomainError(PUBLIC_CLIENT_NEEDS_PKCE)
    client = Client(
        client_id=client_id or secrets.token_urlsafe(16),
        client_id_issued_at=int(time.time()),
        trusted=trusted,
        status=status,
        pkce_exempt=pkce_exempt,
    )
    secret = None
    if auth_method in ("client_secret_basic", "client_secret_post"):
        secret = new_client_secret()
        client.set_secret(secret)
    grant_types = ["authorization_code"]
    if trusted or "offline_access" in scope.split():
        grant_types.append("refresh_token")
    metadata = {
        "client_name": name,
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": post_logout_redirect_uris or [],
        "grant_types": grant_types,
        "response_types": ["code"],
        "scope": scope,
        "token_endpoint_auth_method": auth_method,
        "id_token_signed_response_alg": alg,
        "vn_claims": vn_claims,
    }
    if backchannel_logout_uri:
        metadata["backchannel_logout_uri"] = backchannel_logout_uri
        metadata["backchannel_logout_session_required"] = True
    metadata.update(extra_metadata or {})
    client.set_client_metadata(metadata)
    db.session.add(client)
    db.session.commit()
    audit.record(
        "client.created",
        client_id=client.client_id,
        actor=actor,
        name=name,
        **({"pkce_exempt": True} if pkce_exempt else {}),
    )
    return client.client_id, secret
