"""Registered clients: creating them (the CLI, the console and RFC 7591) and changing
them: approve, suspend, reactivate, rotate the secret, exempt from PKCE (or require it
again), delete.

A client that stops being active (suspended or deleted) also loses every token it holds,
so an agency that is cut off is cut off at once, not when its tokens expire. Every change
is audited with who made it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from idp import audit
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.oidc import security_profiles as profiles
from idp.oidc.access_tokens import group_key, revoke_group
from idp.oidc.models import Client, Token
from idp.oidc.registration_tokens import revoke_registration_access
from idp.services import clock

ACTIVE = "active"
PENDING = "pending"
SUSPENDED = "suspended"
DELETED = "deleted"
SECRET_AUTH_METHODS = ("client_secret_basic", "client_secret_post")

CLIENT_NOT_FOUND = Problem("client.not_found", "Không tìm thấy ứng dụng (client) này.")
CLIENT_WRONG_STATUS = Problem(
    "client.wrong_status", "Không thể thực hiện thao tác này ở trạng thái hiện tại của ứng dụng."
)
CLIENT_HAS_NO_SECRET = Problem(
    "client.no_secret",
    "Ứng dụng này không xác thực bằng client secret nên không có secret để cấp lại.",
)

FAPI2_NEEDS_PRIVATE_KEY_JWT = Problem(
    "client.fapi2_needs_private_key_jwt",
    "Hồ sơ FAPI 2.0 chỉ dành cho ứng dụng xác thực bằng private_key_jwt (khoá riêng của cơ quan).",
)
FAPI2_NEVER_EXEMPT = Problem(
    "client.fapi2_needs_pkce",
    "Ứng dụng theo hồ sơ FAPI 2.0 luôn phải dùng PKCE; không thể miễn PKCE cho ứng dụng này.",
)
PUBLIC_CLIENT_NEEDS_PKCE = Problem(
    "client.public_needs_pkce",
    "Ứng dụng công khai (xác thực none) luôn phải dùng PKCE; không thể miễn PKCE cho ứng dụng này.",
)


def new_client_secret() -> str:
    """A 256-bit random secret (stored only as a keyed hash)."""
    return secrets.token_urlsafe(32)


def new_client_id() -> str:
    """A 128-bit random client id that never starts with ``-``, so an operator can pass it
    to ``idp clients update`` like any argument (one in 64 would read as an option)."""
    while True:
        client_id = secrets.token_urlsafe(16)
        if not client_id.startswith("-"):
            return client_id


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
        client_id=client_id or new_client_id(),
        client_id_issued_at=int(clock().now()),
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
    audit.record(
        "client.created",
        client_id=client.client_id,
        actor=actor,
        name=name,
        **({"pkce_exempt": True} if pkce_exempt else {}),
    )
    db.session.commit()  # the client and its audit row together
    return client.client_id, secret


def create_client_from_metadata(metadata: dict[str, Any], **options: Any) -> tuple[str, str | None]:
    """``create_client`` from metadata checked by the registration rules (RFC 7591), as
    dynamic registration and ``idp clients create`` have it; ``options`` are the rest of
    ``create_client``'s keywords."""
    return create_client(
        name=metadata.get("client_name", ""),
        redirect_uris=metadata.get("redirect_uris", []),
        post_logout_redirect_uris=metadata.get("post_logout_redirect_uris"),
        backchannel_logout_uri=metadata.get("backchannel_logout_uri"),
        auth_method=metadata["token_endpoint_auth_method"],
        scope=metadata["scope"],
        alg=metadata["id_token_signed_response_alg"],
        **options,
    )


@dataclass(frozen=True)
class StatusChange:
    """One operator action on a client's status: from which states, to which, its event."""

    name: str
    from_states: tuple[str, ...]
    to_state: str
    event: str


APPROVE = StatusChange("approve", (PENDING,), ACTIVE, "client.approved")
SUSPEND = StatusChange("suspend", (ACTIVE, PENDING), SUSPENDED, "client.suspended")
REACTIVATE = StatusChange("reactivate", (SUSPENDED,), ACTIVE, "client.reactivated")
STATUS_CHANGES = {change.name: change for change in (APPROVE, SUSPEND, REACTIVATE)}


def find_client(client_id: str) -> Client:
    """The client with this id (any status but deleted), or DomainError."""
    client = None
    if client_id and len(client_id) <= 64:
        client = db.session.scalar(db.select(Client).filter_by(client_id=client_id))
    if client is None or client.status == DELETED:
        raise DomainError(CLIENT_NOT_FOUND)
    return client


def revoke_client_tokens(client_id: str) -> None:
    """Revoke every live token of the client: its refresh rows (the caller commits) and,
    by the client's marker in the store, its access tokens."""
    revoke_group(group_key("client", client_id))
    db.session.execute(
        update(Token)
        .where(Token.client_id == client_id, Token.refresh_token_revoked_at == 0)
        .values(refresh_token_revoked_at=int(clock().now()))
        .execution_options(synchronize_session=False)
    )


def change_status(client_id: str, change: StatusChange, actor: str) -> Client:
    """Apply ``change`` (APPROVE, SUSPEND, REACTIVATE) if the client's state allows it."""
    client = find_client(client_id)
    if client.status not in change.from_states:
        raise DomainError(CLIENT_WRONG_STATUS)
    previous = client.status
    client.status = change.to_state
    if change.to_state != ACTIVE:
        revoke_client_tokens(client.client_id)
    db.session.commit()
    audit.record(change.event, client_id=client.client_id, actor=actor, previous=previous)
    return client


def rotate_secret(client_id: str, actor: str) -> str:
    """Issue a new secret (the old one stops working at once); returns it, to show once."""
    client = find_client(client_id)
    if client.token_endpoint_auth_method not in SECRET_AUTH_METHODS:
        raise DomainError(CLIENT_HAS_NO_SECRET)
    secret = new_client_secret()
    client.set_secret(secret)
    db.session.commit()
    audit.record("client.secret_rotated", client_id=client.client_id, actor=actor)
    return secret


def set_pkce_exemption(client_id: str, exempt: bool, actor: str) -> Client:
    """Exempt a confidential client from PKCE (a legacy agency that cannot send it), or
    require PKCE of it again; a public client is never exempt."""
    client = find_client(client_id)
    if exempt and client.token_endpoint_auth_method == "none":
        raise DomainError(PUBLIC_CLIENT_NEEDS_PKCE)
    if exempt and profiles.is_fapi2(client):
        raise DomainError(FAPI2_NEVER_EXEMPT)
    client.pkce_exempt = exempt
    db.session.commit()
    event = "client.pkce_exempted" if exempt else "client.pkce_required"
    audit.record(event, client_id=client.client_id, actor=actor)
    return client


def set_security_profile(client_id: str, profile: str, actor: str) -> Client:
    """Hold a client to the FAPI 2.0 Security Profile (``fapi2``: pushed requests, DPoP,
    ES256 ID tokens, set with it; ``private_key_jwt`` required), or to the standard rules
    again (what FAPI set stays set). DomainError when the client cannot take the profile."""
    client = find_client(client_id)
    if profile not in profiles.PROFILES:
        raise DomainError(CLIENT_WRONG_STATUS)
    metadata = dict(client.client_metadata)
    if profile == profiles.FAPI2:
        metadata = profiles.fapi2_metadata(metadata)
        if profiles.fapi2_metadata_problem(metadata):
            raise DomainError(FAPI2_NEEDS_PRIVATE_KEY_JWT)
        client.pkce_exempt = False
    else:
        metadata["security_profile"] = profiles.STANDARD
    client.set_client_metadata(metadata)
    db.session.commit()
    audit.record(
        "client.security_profile", client_id=client.client_id, profile=profile, actor=actor
    )
    return client


def set_par_requirement(client_id: str, required: bool, actor: str) -> Client:
    """Require this client to push its authorization requests (RFC 9126 §6,
    ``require_pushed_authorization_requests``), or accept them on the front channel again."""
    client = find_client(client_id)
    metadata = dict(client.client_metadata)
    metadata["require_pushed_authorization_requests"] = required
    client.set_client_metadata(metadata)
    db.session.commit()
    event = "client.par_required" if required else "client.par_optional"
    audit.record(event, client_id=client.client_id, actor=actor)
    return client


def delete_client(client: Client, actor: str) -> None:
    """RFC 7592 §2.3: the client id, secret and registration access token stop working.

    The row stays (status ``deleted``) so the audit trail and consents still name it.
    """
    client.status = DELETED
    client.client_secret = None
    revoke_registration_access(client.client_id)
    revoke_client_tokens(client.client_id)
    db.session.commit()
    audit.record("client.deleted", client_id=client.client_id, actor=actor)
