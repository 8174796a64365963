"""Client metadata rules for dynamic registration, as Authlib claims classes.

Authlib's RFC 7591 (``ClientMetadataClaims``) and OIDC Registration 1.0 classes check the
shapes the specifications define; the subclasses here narrow them to this provider:

- URIs are absolute, without user info or fragment; https only in production (or with
  ``REGISTRATION_REQUIRE_HTTPS``), http allowed on loopback hosts in development and
  tests (RFC 8252 §7.3). Redirect and post-logout URIs fail as ``invalid_redirect_uri``.
- URIs the provider itself requests (``jwks_uri``, ``sector_identifier_uri``,
  ``backchannel_logout_uri``) must pass the outbound policy (``idp.outbound``): in
  production their host must be and resolve to public addresses only.
- ``token_endpoint_auth_method``: client_secret_basic, client_secret_post, none, or
  private_key_jwt with the client's ``jwks`` or ``jwks_uri``.
- ``grant_types`` ⊆ authorization_code, refresh_token, client_credentials;
  ``response_types`` is ``["code"]``; ``scope`` ⊆ the provider's scopes.
- ``id_token_signed_response_alg`` RS256 or ES256; ``subject_type`` public or pairwise;
  no encrypted or signed userinfo/ID token variants (not offered).

Descriptions are ASCII English (RFC 6749 §5.2 forbids other characters in
``error_description``) and never echo the client's values.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.claims import BaseClaims
from authlib.oauth2.rfc7591 import ClientMetadataClaims
from authlib.oauth2.rfc9101 import ClientMetadataClaims as SignedRequestMetadata
from authlib.oidc.registration import ClientMetadataClaims as OidcClientMetadataClaims
from flask import current_app

from idp.errors import DomainError, Problem
from idp.oidc import security_profiles as profiles
from idp.oidc.claims import SUPPORTED_SCOPES
from idp.outbound import OutboundRefused, outbound_http

AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
SECRET_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"]
ID_TOKEN_ALGS = ["RS256", "ES256"]
SUBJECT_TYPES = ["public", "pairwise"]
DEFAULT_SCOPE = "openid profile phone"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
REDIRECT_FIELDS = {"redirect_uris", "post_logout_redirect_uris"}
# The URIs this provider requests itself: each must pass the outbound policy.
FETCHED_FIELDS = {"jwks_uri", "sector_identifier_uri", "backchannel_logout_uri"}
UNSUPPORTED_FIELDS = (
    "id_token_encrypted_response_alg",
    "id_token_encrypted_response_enc",
    "userinfo_signed_response_alg",
    "userinfo_encrypted_response_alg",
    "userinfo_encrypted_response_enc",
)
MAX_STRING = 2000
MAX_NAME = 200
MAX_ITEMS = 20

STRING_FIELDS = (
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "jwks_uri",
    "software_id",
    "software_version",
    "scope",
    "token_endpoint_auth_method",
    "token_endpoint_auth_signing_alg",
    "id_token_signed_response_alg",
    "subject_type",
    "sector_identifier_uri",
    "backchannel_logout_uri",
    "application_type",
    "initiate_login_uri",
)
LIST_FIELDS = (
    "redirect_uris",
    "post_logout_redirect_uris",
    "grant_types",
    "response_types",
    "contacts",
    "default_acr_values",
    "request_uris",
)

METADATA = "invalid_client_metadata"
REDIRECT = "invalid_redirect_uri"

NOT_A_STRING = Problem(METADATA, "{field} must be a string of at most {limit} characters.")
NOT_A_LIST = Problem(METADATA, "{field} must be an array of at most {limit} strings.")
NOT_A_KEY_SET = Problem(METADATA, "{field} must be a JWK Set: an object with a keys array.")
NOT_A_BOOLEAN = Problem(METADATA, "{field} must be true or false.")
URI_INVALID = Problem(METADATA, "{field} must hold absolute http(s) URIs without user info.")
URI_FRAGMENT = Problem(METADATA, "{field} must not contain a fragment (#).")
URI_HTTPS_REQUIRED = Problem(METADATA, "{field} must use https.")
URI_HTTP_NOT_LOOPBACK = Problem(
    METADATA, "{field} may use http only on 127.0.0.1 or localhost; use https."
)
ADDRESS_REFUSED = Problem(
    METADATA, "{field} must reach a public internet address; refused because {reason}."
)
REDIRECT_URIS_REQUIRED = Problem(
    REDIRECT, "redirect_uris is required (a non-empty array) for the authorization_code grant."
)
AUTH_METHOD_UNKNOWN = Problem(
    METADATA, "token_endpoint_auth_method must be one of: " + ", ".join(AUTH_METHODS) + "."
)
KEYS_REQUIRED = Problem(METADATA, "private_key_jwt needs the client's jwks or jwks_uri.")
GRANT_TYPE_UNSUPPORTED = Problem(
    METADATA, "grant_types may contain only: " + ", ".join(GRANT_TYPES) + "."
)
RESPONSE_TYPES_UNSUPPORTED = Problem(
    METADATA,
    "response_types must be exactly code with the authorization_code grant, else empty.",
)
PUBLIC_CLIENT_CREDENTIALS = Problem(
    METADATA, "A client with token_endpoint_auth_method none cannot use client_credentials."
)
SCOPE_UNSUPPORTED = Problem(METADATA, "scope may contain only: " + " ".join(SUPPORTED_SCOPES) + ".")
ALG_UNSUPPORTED = Problem(
    METADATA, "id_token_signed_response_alg must be one of: " + ", ".join(ID_TOKEN_ALGS) + "."
)
SUBJECT_TYPE_UNSUPPORTED = Problem(METADATA, "subject_type must be public or pairwise.")
FIELD_UNSUPPORTED = Problem(METADATA, "{field} is not supported by this provider.")


def refusal(problem: Problem, **values: Any) -> DomainError:
    """The DomainError for ``problem`` with ``values`` filled into its description."""
    return DomainError(problem.format(**values))


def https_only() -> bool:
    """Whether metadata URIs must use https (always in production)."""
    config = current_app.config
    return config["IDP_ENV"] == "production" or config["REGISTRATION_REQUIRE_HTTPS"]


def check_uri(field: str, uri: Any, *, loopback_http: bool = True) -> str:
    """One metadata URI: absolute, no user info or fragment, https (or loopback http);
    one the provider requests itself also under the outbound policy.

    ``loopback_http=False`` allows http to any host outside production (informational
    pages such as ``logo_uri``); in production every URI must be https.
    """
    code = REDIRECT if field in REDIRECT_FIELDS else METADATA
    if not isinstance(uri, str) or not uri or len(uri) > MAX_STRING:
        raise refusal(replace(URI_INVALID, code=code), field=field)
    if "#" in uri:
        raise refusal(replace(URI_FRAGMENT, code=code), field=field)
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        raise refusal(replace(URI_INVALID, code=code), field=field) from None
    if parts.scheme not in ("https", "http") or not host or "@" in parts.netloc:
        raise refusal(replace(URI_INVALID, code=code), field=field)
    if parts.scheme == "http":
        if https_only():
            raise refusal(replace(URI_HTTPS_REQUIRED, code=code), field=field)
        if loopback_http and host not in LOOPBACK_HOSTS:
            raise refusal(replace(URI_HTTP_NOT_LOOPBACK, code=code), field=field)
    if field in FETCHED_FIELDS:
        try:
            outbound_http().check(uri)
        except OutboundRefused as exc:
            raise refusal(ADDRESS_REFUSED, field=field, reason=exc.reason) from None
    return uri


def check_types(data: dict[str, Any]) -> None:
    """JSON types and sizes of every field this provider reads, before any other rule."""
    for field in STRING_FIELDS:
        limit = MAX_NAME if field == "client_name" else MAX_STRING
        value = data.get(field)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise refusal(NOT_A_STRING, field=field, limit=limit)
    for field in LIST_FIELDS:
        value = data.get(field)
        if value is None:
            continue
        if not isinstance(value, list) or len(value) > MAX_ITEMS:
            raise refusal(NOT_A_LIST, field=field, limit=MAX_ITEMS)
        if not all(isinstance(item, str) and len(item) <= MAX_STRING for item in value):
            raise refusal(NOT_A_LIST, field=field, limit=MAX_ITEMS)
    jwks = data.get("jwks")
    if jwks is not None and not (isinstance(jwks, dict) and isinstance(jwks.get("keys"), list)):
        raise refusal(NOT_A_KEY_SET, field="jwks")
    for field in (
        "backchannel_logout_session_required",
        "require_auth_time",
        "require_pushed_authorization_requests",
        "dpop_bound_access_tokens",
    ):
        if data.get(field) is not None and not isinstance(data[field], bool):
            raise refusal(NOT_A_BOOLEAN, field=field)


class ProviderClientMetadata(ClientMetadataClaims):
    """RFC 7591 §2 metadata under this provider's rules."""

    def validate(self, now=None, leeway=0) -> None:
        check_types(self)
        super().validate(now, leeway)
        grants = self["grant_types"]
        if "authorization_code" in grants and not self.get("redirect_uris"):
            raise DomainError(REDIRECT_URIS_REQUIRED)
        method = self["token_endpoint_auth_method"]
        if method == "private_key_jwt" and not (self.get("jwks") or self.get("jwks_uri")):
            raise DomainError(KEYS_REQUIRED)
        if method == "none" and "client_credentials" in grants:
            raise DomainError(PUBLIC_CLIENT_CREDENTIALS)

    def validate_redirect_uris(self) -> None:
        for uri in self.get("redirect_uris") or []:
            check_uri("redirect_uris", uri)

    def validate_token_endpoint_auth_method(self) -> None:
        self.setdefault("token_endpoint_auth_method", "client_secret_basic")
        if self["token_endpoint_auth_method"] not in AUTH_METHODS:
            raise DomainError(AUTH_METHOD_UNKNOWN)

    def validate_grant_types(self) -> None:
        self.setdefault("grant_types", ["authorization_code"])
        grants = self["grant_types"]
        if not grants or not set(grants) <= set(GRANT_TYPES):
            raise DomainError(GRANT_TYPE_UNSUPPORTED)
        self["grant_types"] = list(dict.fromkeys(grants))

    def validate_response_types(self) -> None:
        code_flow = "authorization_code" in self.get("grant_types", ["authorization_code"])
        self.setdefault("response_types", ["code"] if code_flow else [])
        if self["response_types"] != (["code"] if code_flow else []):
            raise DomainError(RESPONSE_TYPES_UNSUPPORTED)

    def validate_scope(self) -> None:
        self.setdefault("scope", DEFAULT_SCOPE)
        scopes = self["scope"].split()
        if not scopes or not set(scopes) <= set(SUPPORTED_SCOPES):
            raise DomainError(SCOPE_UNSUPPORTED)
        self["scope"] = " ".join(dict.fromkeys(scopes))

    def _validate_uri(self, key, uri=None) -> None:
        value = self.get(key) if uri is None else uri
        if value is not None:
            check_uri(key, value, loopback_http=key == "jwks_uri")


class ProviderOidcMetadata(OidcClientMetadataClaims):
    """OIDC Registration 1.0 §2 metadata under this provider's rules."""

    def validate(self, now=None, leeway=0) -> None:
        for field in UNSUPPORTED_FIELDS:
            if self.get(field) is not None:
                raise refusal(FIELD_UNSUPPORTED, field=field)
        super().validate(now, leeway)

    def validate_id_token_signed_response_alg(self) -> None:
        self.setdefault("id_token_signed_response_alg", "RS256")
        if self["id_token_signed_response_alg"] not in ID_TOKEN_ALGS:
            raise DomainError(ALG_UNSUPPORTED)

    def validate_subject_type(self) -> None:
        self.setdefault("subject_type", "public")
        if self["subject_type"] not in SUBJECT_TYPES:
            raise DomainError(SUBJECT_TYPE_UNSUPPORTED)

    def _validate_uri(self, key) -> None:
        value = self.get(key)
        for uri in value if isinstance(value, list) else [value]:
            if uri is not None:
                check_uri(key, uri)


class LogoutMetadata(BaseClaims):
    """OIDC RP-Initiated Logout §3.1 and Back-Channel Logout §2.2 client metadata."""

    REGISTERED_CLAIMS = [
        "post_logout_redirect_uris",
        "backchannel_logout_uri",
        "backchannel_logout_session_required",
    ]

    def validate(self, now=None, leeway=0) -> None:
        super().validate(now, leeway)
        for uri in self.get("post_logout_redirect_uris") or []:
            check_uri("post_logout_redirect_uris", uri)
        if self.get("backchannel_logout_uri") is not None:
            check_uri("backchannel_logout_uri", self["backchannel_logout_uri"])
        if self.get("backchannel_logout_uri"):
            self.setdefault("backchannel_logout_session_required", True)


class PushedRequestMetadata(BaseClaims):
    """RFC 9126 §6: ``require_pushed_authorization_requests`` (default false)."""

    REGISTERED_CLAIMS = ["require_pushed_authorization_requests"]

    def validate(self, now=None, leeway=0) -> None:
        super().validate(now, leeway)
        self.setdefault("require_pushed_authorization_requests", False)


class DPoPMetadata(BaseClaims):
    """RFC 9449 §5.2: ``dpop_bound_access_tokens`` (default false): the client always sends
    a DPoP proof to the token endpoint, and a token request without one is refused."""

    REGISTERED_CLAIMS = ["dpop_bound_access_tokens"]

    def validate(self, now=None, leeway=0) -> None:
        super().validate(now, leeway)
        self.setdefault("dpop_bound_access_tokens", False)


PROFILE_UNKNOWN = Problem(
    METADATA, "security_profile must be one of: " + ", ".join(profiles.PROFILES) + "."
)
PROFILE_BROKEN = Problem(METADATA, "{reason}")


class SecurityProfileMetadata(BaseClaims):
    """``security_profile`` (this provider's): ``standard`` or ``fapi2`` (the FAPI 2.0
    Security Profile, ``idp.oidc.security_profiles``), whose metadata must fit it."""

    REGISTERED_CLAIMS = ["security_profile"]

    def validate(self, now=None, leeway=0) -> None:
        super().validate(now, leeway)
        self.setdefault("security_profile", profiles.STANDARD)
        if self["security_profile"] not in profiles.PROFILES:
            raise refusal(PROFILE_UNKNOWN)
        if self["security_profile"] == profiles.FAPI2:
            reason = profiles.fapi2_metadata_problem(self)
            if reason:
                raise refusal(PROFILE_BROKEN, reason=reason)


CLAIMS_CLASSES = [
    ProviderClientMetadata,
    ProviderOidcMetadata,
    LogoutMetadata,
    PushedRequestMetadata,
    SignedRequestMetadata,  # RFC 9101 require_signed_request_object (Authlib's)
    DPoPMetadata,
    SecurityProfileMetadata,
]
