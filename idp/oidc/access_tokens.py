"""Access tokens: issued without a database row, checked with one store round trip.

Two formats, chosen per client (``access_token_format``):

- opaque (default): 256 random bits. The store keeps a record under ``at:<keyed hash>``
  for the token's lifetime with what introspection and userinfo need.
- ``jwt``: RFC 9068 (``typ: at+jwt``), signed with ES256; nothing is written at issuance.
  Its private claim ``idp`` is sealed (AES-GCM under a key derived from ``SECRET_KEY``):
  the citizen, refresh family and code it came from stay unreadable to resource servers.

Revocation is kept in the store too, shared by every replica:

- one token: ``at-deny:<keyed hash>`` for the rest of its lifetime (an opaque token's
  record is also deleted);
- a group (a login session, a citizen, a client, a citizen at one client, a refresh
  family, an authorization code): ``at-revoked:<keyed group ref>`` holding the time of the
  revocation in milliseconds, kept one access-token lifetime. A token issued at or before
  that time is revoked.

Checking a token is its signature or record plus ONE store round trip: ``get_linked`` of
the record and its group markers (opaque) or ``get_many`` of the deny entry and the markers
(JWT). A store outage raises ``ServiceUnavailable``: the endpoint answers 503.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import TokenMixin, scope_to_list
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError

from idp.oidc.claims import subject_for
from idp.oidc.models import keyed_hash
from idp.services import clock, services, store

JWT_ALG = "ES256"
RECORD = "at:"
DENY = "at-deny:"
MARKER = "at-revoked:"
_SEAL_INFO = b"idp access token context"
MAX_TOKEN_LENGTH = 4096


def _now_ms() -> int:
    return int(clock().now() * 1000)


def _lifetime() -> int:
    return current_app.config["ACCESS_TOKEN_SECONDS"]


def group_key(kind: str, value: str | int) -> str:
    """The store key of the revocation marker of one group (keyed: it names no one)."""
    return MARKER + keyed_hash(f"{kind}:{value}")[:32]


def pair_key(citizen_id: int, client_id: str) -> str:
    """The marker of one citizen's tokens at one client (``revoke_agency``)."""
    return group_key("pair", f"{citizen_id}|{client_id}")


@dataclass
class AccessToken(TokenMixin):
    """A live access token as introspection, userinfo and revocation see it."""

    token_hash: str
    client_id: str
    scope: str
    issued_at: int
    expires_at: int
    citizen_id: int | None = None
    subject: str | None = None
    sid: str | None = None
    family: str | None = None
    code_hash: str | None = None
    auth_time: int | None = None
    acr: str | None = None
    amr: list[str] = field(default_factory=list)
    userinfo_claims: list[str] | None = None
    iat_ms: int = 0
    jkt: str | None = None  # RFC 9449: the key the token is bound to (DPoP), if any

    @property
    def token_type(self) -> str:
        return "DPoP" if self.jkt else "Bearer"

    # -- Authlib's TokenMixin ----------------------------------------------------------
    def check_client(self, client) -> bool:
        return self.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_at - self.issued_at

    def is_expired(self) -> bool:
        return self.expires_at < clock().now()

    def is_revoked(self) -> bool:
        return False  # a revoked token is never returned by check_access_token

    def get_user(self):
        """The citizen (read in autocommit), or None for client_credentials."""
        from idp.citizens.models import Citizen
        from idp.oidc.reads import autocommit_get

        if self.citizen_id is None:
            return None
        return autocommit_get(Citizen, self.citizen_id)

    def get_client(self):
        from idp.oidc.client_cache import cached_client

        return cached_client(self.client_id)

    def marker_keys(self) -> list[str]:
        """Every group marker that can revoke this token."""
        keys = [group_key("client", self.client_id)]
        if self.sid:
            keys.append(group_key("sid", self.sid))
        if self.citizen_id is not None:
            keys.append(group_key("citizen", self.citizen_id))
            keys.append(pair_key(self.citizen_id, self.client_id))
        if self.family:
            keys.append(group_key("family", self.family))
        if self.code_hash:
            keys.append(group_key("code", self.code_hash))
        return keys


# -- issuance ---------------------------------------------------------------------------


def context_for(request, client, user, scope: str) -> AccessToken:
    """What the token being issued carries: from the code (``request.authorization_code``)
    or the refresh token (``request.refresh_token``) the token request redeems, bound to
    the key of its DPoP proof (``request.dpop_jkt``), if any."""
    now_ms = _now_ms()
    now = now_ms // 1000
    token = AccessToken(
        token_hash="",
        client_id=client.client_id,
        scope=" ".join(scope_to_list(scope) or []),
        issued_at=now,
        expires_at=now + _lifetime(),
        iat_ms=now_ms,
        jkt=getattr(request, "dpop_jkt", None),
    )
    if user is not None:
        token.citizen_id = user.id
        token.subject = subject_for(user, client)
    code = getattr(request, "authorization_code", None)
    parent = getattr(request, "refresh_token", None)
    if parent is not None:
        token.sid, token.family, token.code_hash = parent.sid, parent.family, parent.code_hash
        token.auth_time, token.acr = parent.auth_time, parent.acr
        token.amr = (parent.amr or "").split()
        token.userinfo_claims = parent.userinfo_claims
    elif code is not None:
        token.sid, token.code_hash = code.sid, code.code_hash
        token.auth_time, token.acr, token.amr = code.auth_time, code.acr, list(code.amr)
        token.userinfo_claims = sorted((code.claims or {}).get("userinfo") or {}) or None
        token.family = secrets.token_urlsafe(16)  # used if a refresh token goes with it
    return token


def token_value(client, context: AccessToken) -> str:
    """The access token for ``context``: 256 random bits (``save_token`` stores its
    record), or a signed JWT for a client registered with ``access_token_format: jwt``."""
    if client.client_metadata.get("access_token_format") != "jwt":
        return secrets.token_urlsafe(32)
    return _jwt_access_token(client, context)


def _jwt_access_token(client, context: AccessToken) -> str:
    from idp.oidc.grants import sign_jwt

    issuer = current_app.config["IDP_ISSUER"]
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": client.client_metadata.get("access_token_audience") or issuer,
        "exp": context.expires_at,
        "iat": context.issued_at,
        "jti": secrets.token_urlsafe(16),
        "client_id": client.client_id,
        "scope": context.scope,
        # RFC 9068 §2.2: for client_credentials, sub is the client itself.
        "sub": context.subject or client.client_id,
    }
    if context.sid:
        claims["sid"] = context.sid
    for name in ("auth_time", "acr"):
        if getattr(context, name) is not None:
            claims[name] = getattr(context, name)
    if context.amr:
        claims["amr"] = context.amr
    if context.jkt:
        claims["cnf"] = {"jkt": context.jkt}  # RFC 9449 §6.1
    claims["idp"] = seal_context(
        {"c": context.citizen_id, "f": context.family, "k": context.code_hash, "t": context.iat_ms}
        | ({"u": context.userinfo_claims} if context.userinfo_claims else {})
    )
    return sign_jwt({"typ": "at+jwt"}, claims, JWT_ALG)


def save_access_token(value: str, context: AccessToken) -> str:
    """Store an opaque token's record (a JWT needs none); returns the token's hash."""
    token_hash = keyed_hash(value)
    if not _looks_like_jwt(value):
        context.token_hash = token_hash
        record = _record_of(context)
        store().set(RECORD + token_hash, record, _lifetime())
    return token_hash


# The store record's keys, by AccessToken field: short, since the record is read on every
# API call (opaque tokens).
_RECORD_KEYS = {
    "client_id": "c",
    "citizen_id": "u",
    "subject": "sub",
    "scope": "s",
    "issued_at": "iat",
    "iat_ms": "t",
    "expires_at": "exp",
    "sid": "sid",
    "family": "f",
    "code_hash": "k",
    "auth_time": "at",
    "acr": "acr",
    "amr": "amr",
    "userinfo_claims": "uc",
    "jkt": "j",
}


def _record_of(token: AccessToken) -> dict[str, Any]:
    record = {key: getattr(token, name) for name, key in _RECORD_KEYS.items()}
    record["g"] = token.marker_keys()
    return record


def _token_of(token_hash: str, record: dict[str, Any]) -> AccessToken:
    fields = {name: record[key] for name, key in _RECORD_KEYS.items() if key in record}
    fields["amr"] = fields.get("amr") or []
    return AccessToken(token_hash=token_hash, **fields)


# -- sealing the JWT's private context ----------------------------------------------------


@functools.lru_cache(maxsize=4)
def _aead(secret: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO).derive(
        secret.encode()
    )
    return AESGCM(key)


def seal_context(data: dict[str, Any]) -> str:
    """``data`` encrypted and authenticated for this provider only (random nonce)."""
    nonce = os.urandom(12)
    raw = json.dumps(data, separators=(",", ":")).encode()
    sealed = nonce + _aead(current_app.config["SECRET_KEY"]).encrypt(nonce, raw, b"at+jwt")
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()


def open_context(sealed: Any) -> dict[str, Any] | None:
    """The sealed context, or None if it was not sealed by this provider."""
    if not isinstance(sealed, str) or len(sealed) > 1024:
        return None
    try:
        blob = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
        raw = _aead(current_app.config["SECRET_KEY"]).decrypt(blob[:12], blob[12:], b"at+jwt")
        data = json.loads(raw)
    except (InvalidTag, ValueError):
        return None
    return data if isinstance(data, dict) else None


# -- checking -----------------------------------------------------------------------------


def _looks_like_jwt(value: str) -> bool:
    return value.count(".") == 2


def _revoked(token: AccessToken, markers: list) -> bool:
    return any(m is not None and int(m.get("t", 0)) >= token.iat_ms for m in markers)


def check_access_token(value: str) -> AccessToken | None:
    """The live access token with this value, or None (unknown, expired or revoked)."""
    if not value or len(value) > MAX_TOKEN_LENGTH:
        return None
    token = _verify_jwt(value) if _looks_like_jwt(value) else _check_opaque(value)
    if token is None or token.is_expired():
        return None
    return token


def _check_opaque(value: str) -> AccessToken | None:
    token_hash = keyed_hash(value)
    record, markers = store().get_linked(RECORD + token_hash, "g")
    if record is None:
        return None
    token = _token_of(token_hash, record)
    return None if _revoked(token, markers) else token


def _verify_jwt(value: str) -> AccessToken | None:
    try:
        header = json.loads(base64.urlsafe_b64decode(value.split(".", 1)[0] + "=="))
        key = services().keys.public_key(str(header.get("kid")))
        if header.get("typ") != "at+jwt" or header.get("alg") != JWT_ALG or key is None:
            return None
        claims = jwt.decode(value, key, algorithms=[JWT_ALG]).claims
    except (JoseError, ValueError, TypeError, AttributeError):
        return None
    private = open_context(claims.get("idp"))
    if private is None or claims.get("iss") != current_app.config["IDP_ISSUER"]:
        return None
    try:
        token = AccessToken(
            token_hash=keyed_hash(value),
            client_id=str(claims["client_id"]),
            scope=str(claims.get("scope", "")),
            issued_at=int(claims["iat"]),
            expires_at=int(claims["exp"]),
            citizen_id=private.get("c"),
            subject=claims.get("sub") if private.get("c") is not None else None,
            sid=claims.get("sid"),
            family=private.get("f"),
            code_hash=private.get("k"),
            auth_time=claims.get("auth_time"),
            acr=claims.get("acr"),
            amr=list(claims.get("amr") or []),
            userinfo_claims=private.get("u"),
            iat_ms=int(private["t"]),
            jkt=_jkt_of(claims.get("cnf")),
        )
    except (KeyError, ValueError, TypeError):
        return None
    deny, *markers = store().get_many([DENY + token.token_hash, *token.marker_keys()])
    if deny is not None or _revoked(token, markers):
        return None
    return token


def _jkt_of(cnf: Any) -> str | None:
    jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
    return jkt if isinstance(jkt, str) else None


# -- revoking -----------------------------------------------------------------------------


def revoke_access_token(token_hash: str | None) -> None:
    """Revoke one access token (of either format) by its keyed hash."""
    if not token_hash:
        return
    store().delete(RECORD + token_hash)
    store().set(DENY + token_hash, {"t": 1}, _lifetime())


def revoke_group(marker: str) -> None:
    """Revoke every access token of a group (``group_key``/``pair_key``) issued until now."""
    store().set(marker, {"t": _now_ms()}, _lifetime())


def generate_refresh_token(client, grant_type: str, user, scope: str) -> str:
    """Authlib's refresh token generator hook: 384 random bits."""
    return secrets.token_urlsafe(48)
