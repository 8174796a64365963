"""OIDC Core §3.1.2.1 request parameters beyond RFC 6749, one rule per function.

- ``refuse_request_objects``: §6 ``request_uri`` by reference to another host is refused
  with ``request_uri_not_supported`` (pushed requests are resolved before, RFC 9126), and
  a ``request`` still present here (signed request objects are resolved before, RFC 9101:
  ``idp.oidc.request_objects``) with ``request_not_supported``.
- ``requested_claims``: §5.5 the ``claims`` parameter (JSON), kept per target.
- ``id_token_hint_subject``: the ``sub`` of a previously issued ID token (signature and
  issuer checked; expiry ignored, as §3.1.2.1 allows an expired hint).
- ``preferred_locale``: ``ui_locales`` narrowed to the languages the pages speak.
Unknown parameters are ignored (§3.1.2.1).
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oidc.core.errors import RequestNotSupportedError, RequestURINotSupportedError
from flask import current_app
from joserfc import jws, jwt
from joserfc.errors import JoseError

from idp.services import services
from webapp import json_limits

SUPPORTED_LOCALES = ("vi", "en")
CLAIM_TARGETS = ("userinfo", "id_token")


def refuse_request_objects(params: dict[str, str], redirect_uri: str) -> None:
    if "request" in params:
        raise RequestNotSupportedError(redirect_uri=redirect_uri)
    if "request_uri" in params:
        raise RequestURINotSupportedError(redirect_uri=redirect_uri)


def requested_claims(params: dict[str, str], redirect_uri: str) -> dict[str, dict]:
    """The ``claims`` parameter as ``{"userinfo": {...}, "id_token": {...}}``."""
    raw = params.get("claims")
    if not raw:
        return {}
    try:
        data = json_limits.loads(raw)
    except json_limits.JsonRefused as refused:
        raise InvalidRequestError(f"'claims': {refused}", redirect_uri=redirect_uri) from None
    if not isinstance(data, dict) or not set(data) <= set(CLAIM_TARGETS):
        raise InvalidRequestError(
            "'claims' must be an object with 'userinfo' and/or 'id_token' members.",
            redirect_uri=redirect_uri,
        )
    result = {}
    for target, members in data.items():
        if members is None:
            continue
        if not isinstance(members, dict):
            raise InvalidRequestError(
                f"'claims.{target}' must be an object.", redirect_uri=redirect_uri
            )
        result[target] = {
            str(k)[:64]: v if isinstance(v, dict) else None for k, v in members.items()
        }
    return result


def id_token_hint_subject(hint: str, client_id: str) -> str | None:
    """The ``sub`` of an ID token this provider issued to ``client_id``, else None."""
    if not hint or len(hint) > 8192:
        return None
    keys = services().keys
    try:
        header = jws.extract_compact(hint.encode()).headers()
        key = keys.public_key(str(header.get("kid", "")))
        if key is None or header.get("alg") not in ("RS256", "ES256"):
            return None
        token = jwt.decode(hint, key, algorithms=[header["alg"]])
    except (JoseError, ValueError, TypeError):
        return None
    claims = token.claims
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if claims.get("iss") != current_app.config["IDP_ISSUER"] or client_id not in audiences:
        return None
    return claims.get("sub") if isinstance(claims.get("sub"), str) else None


def preferred_locale(params: dict[str, str]) -> str | None:
    """The first of ``ui_locales`` (space-separated BCP 47 tags) the pages support."""
    for tag in (params.get("ui_locales") or "").split():
        language = tag.split("-")[0].lower()
        if language in SUPPORTED_LOCALES:
            return language
    return None
