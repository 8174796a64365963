"""The provider as a relying party of an upstream: discovery, keys, the code flow, logout.

Every request to the upstream goes through the outbound policy (``idp.outbound``: no
redirects, short timeouts, a size cap, non-public addresses only where allowed), and every
JSON answer is parsed within ``webapp.json_limits``. What is checked on the way back is
the relying-party module's own validation (``relying_party``): RFC 9207 ``iss``, the ID
token (signature against the upstream's JWK Set, ``iss``, ``aud``, ``azp``, ``exp``,
``iat``, ``nonce``, ``at_hash``) and logout tokens. Written here: the requests themselves,
which go through our outbound policy rather than ``requests``, and their caches.
"""

from __future__ import annotations

import base64
import logging
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import current_app

from idp.errors import DomainError, Problem
from idp.federation.models import Upstream
from idp.outbound import OutboundError, outbound_http
from idp.sealed_secrets import unseal
from idp.services import clock
from relying_party.callback import check_issuer
from relying_party.errors import RelyingPartyError
from relying_party.id_token import ExpectedIdToken, validate_id_token
from relying_party.logout_token import ExpectedLogoutToken, validate_logout_token
from relying_party.signed_jwt import TokenRejected
from webapp import json_limits

log = logging.getLogger(__name__)

CLIENT_SECRET = b"idp upstream client secret"  # the sealed secret's HKDF label
METADATA_SECONDS = 3600
JWKS_SECONDS = 3600
JWKS_REFETCH_SECONDS = 5.0  # made-up key ids must not become a flood of fetches
SIGNING_ALGS = ("RS256", "PS256", "ES256")

UNREACHABLE = Problem(
    "upstream.unreachable",
    "Không kết nối được tới {label}. Vui lòng thử lại sau ít phút hoặc chọn cách đăng nhập khác.",
)
MISCONFIGURED = Problem(
    "upstream.misconfigured",
    "Cấu hình kết nối tới {label} không đúng. Vui lòng chọn cách đăng nhập khác "
    "hoặc liên hệ bộ phận hỗ trợ.",
)
ANSWER_INVALID = Problem(
    "upstream.answer_invalid",
    "Phản hồi đăng nhập từ {label} không hợp lệ. Vì an toàn, yêu cầu đã bị hủy. Vui lòng thử lại.",
)
DENIED = Problem(
    "upstream.denied",
    "Đăng nhập bằng {label} chưa hoàn tất (đã bị hủy hoặc bị từ chối). "
    "Vui lòng thử lại hoặc chọn cách đăng nhập khác.",
)


def client_secret(upstream: Upstream) -> str:
    """The client secret in clear (sent to the upstream's token endpoint)."""
    return unseal(upstream.client_secret_sealed, CLIENT_SECRET) or ""


@dataclass
class _Documents:
    """Per-process caches of upstream discovery documents and JWK Sets."""

    metadata: dict[str, tuple[float, dict]] = field(default_factory=dict)
    jwks: dict[str, tuple[float, dict]] = field(default_factory=dict)
    refetched_at: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _documents() -> _Documents:
    return current_app.extensions.setdefault("upstream_documents", _Documents())


def _json(body: bytes) -> dict[str, Any]:
    try:
        document = json_limits.loads(body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    return document


def _get_json(url: str, label: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    try:
        response = outbound_http().get(url, headers=headers)
    except OutboundError as exc:
        log.warning("upstream request %s failed: %s", url, exc)
        raise DomainError(UNREACHABLE.format(label=label)) from None
    if response.status != 200:
        log.warning("upstream request %s answered %s", url, response.status)
        raise DomainError(MISCONFIGURED.format(label=label))
    try:
        return _json(response.body)
    except ValueError:
        raise DomainError(MISCONFIGURED.format(label=label)) from None


def discover(issuer: str, label: str | None = None) -> dict[str, Any]:
    """The issuer's discovery document, read now; DomainError unless it names ``issuer``
    exactly and the endpoints the code flow needs (OIDC Discovery 1.0 §4.3)."""
    label = label or issuer
    metadata = _get_json(f"{issuer.rstrip('/')}/.well-known/openid-configuration", label)
    endpoints = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    if metadata.get("issuer") != issuer or not all(
        isinstance(metadata.get(name), str) for name in endpoints
    ):
        log.warning("upstream %s: discovery document does not fit its issuer", issuer)
        raise DomainError(MISCONFIGURED.format(label=label))
    return metadata


def metadata(upstream: Upstream) -> dict[str, Any]:
    """The upstream's discovery document, cached for ``METADATA_SECONDS``."""
    documents, now = _documents(), clock().monotonic()
    cached = documents.metadata.get(upstream.issuer)
    if cached is not None and cached[0] > now:
        return cached[1]
    found = discover(upstream.issuer, upstream.label)
    documents.metadata[upstream.issuer] = (now + METADATA_SECONDS, found)
    return found


def key_set(upstream: Upstream, force: bool = False) -> dict[str, Any]:
    """The upstream's JWK Set, cached; ``force`` re-fetches it unless that was just done
    (an unknown ``kid``: the upstream rotated its keys)."""
    documents, now = _documents(), clock().monotonic()
    with documents.lock:
        if force and now - documents.refetched_at.get(upstream.issuer, -1e9) < JWKS_REFETCH_SECONDS:
            force = False
        if force:
            documents.refetched_at[upstream.issuer] = now
    cached = documents.jwks.get(upstream.issuer)
    if cached is not None and cached[0] > now and not force:
        return cached[1]
    jwks = _get_json(metadata(upstream)["jwks_uri"], upstream.label)
    documents.jwks[upstream.issuer] = (now + JWKS_SECONDS, jwks)
    return jwks


def authorization_url(
    upstream: Upstream,
    redirect_uri: str,
    *,
    state: str,
    nonce: str,
    code_verifier: str,
    prompt: str | None = None,
    max_age: str | None = None,
) -> str:
    """The upstream's authorization URL for a code flow with PKCE S256, state and nonce;
    ``prompt=login`` and ``max_age`` when the agency asked us for them, so the upstream's
    own single sign-on does not stand in for the fresh login the agency wants."""
    params = {
        "response_type": "code",
        "client_id": upstream.client_id,
        "redirect_uri": redirect_uri,
        "scope": upstream.scope,
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(code_verifier),
        "code_challenge_method": "S256",
    }
    if prompt:
        params["prompt"] = prompt
    if max_age is not None:
        params["max_age"] = max_age
    endpoint = metadata(upstream)["authorization_endpoint"]
    separator = "&" if "?" in endpoint else "?"
    return endpoint + separator + urlencode(params)


def check_response_issuer(upstream: Upstream, iss: str | None) -> None:
    """RFC 9207 §2.4 on the authorization response (the relying-party module's check)."""
    try:
        check_issuer(iss, upstream.issuer, metadata(upstream))
    except RelyingPartyError:
        raise DomainError(ANSWER_INVALID.format(label=upstream.label)) from None


def _basic(upstream: Upstream) -> str:
    # RFC 6749 §2.3.1: each part form-encoded before joining.
    pair = f"{quote(upstream.client_id, safe='')}:{quote(client_secret(upstream), safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def redeem(upstream: Upstream, redirect_uri: str, code: str, code_verifier: str) -> dict[str, Any]:
    """The token response for ``code`` (client_secret_basic, or _post when that is all
    the upstream offers); DomainError when it is refused or has no ID token."""
    document = metadata(upstream)
    fields = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    headers = {"Accept": "application/json"}
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_basic" not in methods and "client_secret_post" in methods:
        fields.update(client_id=upstream.client_id, client_secret=client_secret(upstream))
    else:
        headers["Authorization"] = _basic(upstream)
    try:
        response = outbound_http().post_form(document["token_endpoint"], fields, headers=headers)
    except OutboundError as exc:
        log.warning("upstream %s token request failed: %s", upstream.name, exc)
        raise DomainError(UNREACHABLE.format(label=upstream.label)) from None
    try:
        token = _json(response.body)
    except ValueError:
        token = {}
    if response.status != 200 or not isinstance(token.get("id_token"), str):
        log.warning(
            "upstream %s refused the code: %s %s",
            upstream.name,
            response.status,
            str(token.get("error", ""))[:64],
        )
        raise DomainError(ANSWER_INVALID.format(label=upstream.label))
    return token


def validated_id_token(upstream: Upstream, token: dict[str, Any], nonce: str) -> dict[str, Any]:
    """The upstream ID token's claims once every OIDC Core §3.1.3.7 check passed."""
    offered = metadata(upstream).get("id_token_signing_alg_values_supported") or ["RS256"]
    access_token = token.get("access_token")
    try:
        return validate_id_token(
            token["id_token"],
            lambda force: key_set(upstream, force),
            ExpectedIdToken(
                issuer=upstream.issuer,
                client_id=upstream.client_id,
                nonce=nonce,
                acr_values=(),
                algorithms=tuple(alg for alg in offered if alg in SIGNING_ALGS),
                access_token=access_token if isinstance(access_token, str) else None,
            ),
            now=int(clock().now()),
        )
    except TokenRejected as exc:
        log.warning("upstream %s ID token refused: %s", upstream.name, exc.reason)
        raise DomainError(ANSWER_INVALID.format(label=upstream.label)) from None


def userinfo(upstream: Upstream, token: dict[str, Any], sub: str) -> dict[str, Any]:
    """The upstream's userinfo for the token, which must be about ``sub`` (OIDC Core
    §5.3.2); empty when the upstream has no userinfo endpoint."""
    endpoint = metadata(upstream).get("userinfo_endpoint")
    access_token = token.get("access_token")
    if not isinstance(endpoint, str) or not isinstance(access_token, str):
        return {}
    found = _get_json(endpoint, upstream.label, {"Authorization": f"Bearer {access_token}"})
    if found.get("sub") != sub:
        raise DomainError(ANSWER_INVALID.format(label=upstream.label))
    return found


def validated_logout_token(upstream: Upstream, token: str) -> dict[str, Any]:
    """A logout token from the upstream, checked (Back-Channel Logout 1.0 §2.6);
    TokenRejected otherwise (its ``reason`` says which check)."""
    offered = metadata(upstream).get("id_token_signing_alg_values_supported") or ["RS256"]
    return validate_logout_token(
        token,
        lambda force: key_set(upstream, force),
        ExpectedLogoutToken(
            issuer=upstream.issuer,
            client_id=upstream.client_id,
            algorithms=tuple(alg for alg in offered if alg in SIGNING_ALGS),
        ),
        now=int(clock().now()),
    )


def end_session_url(
    upstream: Upstream, id_token_hint: str, post_logout_redirect_uri: str, state: str
) -> str | None:
    """The upstream's RP-Initiated Logout URL, or None when it offers none."""
    try:
        endpoint = metadata(upstream).get("end_session_endpoint")
    except DomainError:
        return None
    if not isinstance(endpoint, str):
        return None
    params = {
        "id_token_hint": id_token_hint,
        "client_id": upstream.client_id,
        "post_logout_redirect_uri": post_logout_redirect_uri,
        "state": state,
    }
    separator = "&" if "?" in endpoint else "?"
    return endpoint + separator + urlencode(params)
