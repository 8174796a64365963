"""The authorization response at the relying party's redirect URI, checked step by step.

1. ``state`` must name a request this browser started (RFC 6749 §10.12); it works once.
2. ``iss`` must be the provider's issuer; a missing ``iss`` is refused when the provider
   advertises ``authorization_response_iss_parameter_supported`` (RFC 9207 §2.4).
3. An ``error`` response becomes its own Problem (access_denied, login_required, ...).
4. The code is redeemed with the PKCE verifier (Authlib), the ID token is validated
   (``id_token.validate_id_token``) and userinfo must be about the same ``sub``
   (OIDC Core §5.3.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError

from relying_party.errors import Problem, RelyingPartyError
from relying_party.id_token import ExpectedIdToken, validate_id_token
from relying_party.provider_client import ProviderClient
from relying_party.settings import accepted_acr_values

STATE_INVALID = Problem(
    "portal.state_invalid",
    "Yêu cầu đăng nhập không hợp lệ hoặc đã hết hạn (tham số state không khớp). "
    "Vui lòng đăng nhập lại.",
)
ISSUER_MISMATCH = Problem(
    "portal.issuer_mismatch",
    "Phản hồi đăng nhập không đến từ Cổng Dịch vụ công Quốc gia (tham số iss không khớp). "
    "Vì an toàn, yêu cầu đã bị hủy. Vui lòng đăng nhập lại.",
)
ACCESS_DENIED = Problem(
    "portal.access_denied",
    "Bạn đã từ chối cho phép cổng dịch vụ công tỉnh sử dụng thông tin tài khoản, "
    "nên chưa thể đăng nhập.",
)
LOGIN_REQUIRED = Problem(
    "portal.login_required",
    "Bạn chưa đăng nhập tại Cổng Dịch vụ công Quốc gia. Vui lòng đăng nhập.",
)
AUTHORIZATION_FAILED = Problem(
    "portal.authorization_failed",
    "Cổng Dịch vụ công Quốc gia không thực hiện được yêu cầu đăng nhập. Vui lòng thử lại.",
)
CALLBACK_INVALID = Problem(
    "portal.callback_invalid",
    "Phản hồi đăng nhập từ Cổng Dịch vụ công Quốc gia không hợp lệ. Vui lòng thử lại.",
)
TOKEN_REQUEST_FAILED = Problem(
    "portal.token_request_failed",
    "Không hoàn tất được đăng nhập với Cổng Dịch vụ công Quốc gia "
    "(mã xác thực không hợp lệ hoặc đã hết hạn). Vui lòng thử lại.",
)
USERINFO_MISMATCH = Problem(
    "portal.userinfo_mismatch",
    "Thông tin tài khoản nhận được không khớp với phiên đăng nhập. Vui lòng đăng nhập lại.",
)

ERROR_PROBLEMS = {
    "access_denied": ACCESS_DENIED,
    "login_required": LOGIN_REQUIRED,
    "interaction_required": LOGIN_REQUIRED,
    "consent_required": ACCESS_DENIED,
}


@dataclass
class SignIn:
    """A completed sign-in: the validated ID token, the tokens, userinfo, the saved request."""

    claims: dict[str, Any]
    token: dict[str, Any]
    userinfo: dict[str, Any]
    saved: dict[str, Any]


def check_issuer(iss: str | None, issuer: str, metadata: Mapping[str, Any]) -> None:
    """RFC 9207 §2.4: ``iss`` equals the issuer; absent only if the provider never sends it."""
    if iss is None:
        if metadata.get("authorization_response_iss_parameter_supported"):
            raise RelyingPartyError(ISSUER_MISMATCH)
        return
    if iss != issuer:
        raise RelyingPartyError(ISSUER_MISMATCH)


def _redeem(provider: ProviderClient, saved: dict[str, Any], code: str) -> dict[str, Any]:
    try:
        token = provider.call(
            "fetch_access_token",
            redirect_uri=saved["redirect_uri"],
            code=code,
            code_verifier=saved["code_verifier"],
        )
    except OAuthError as exc:
        raise RelyingPartyError(TOKEN_REQUEST_FAILED) from exc
    if not token.get("id_token") or not token.get("access_token"):
        raise RelyingPartyError(TOKEN_REQUEST_FAILED)
    return dict(token)


def _userinfo(provider: ProviderClient, token: dict[str, Any], sub: str) -> dict[str, Any]:
    try:
        userinfo = dict(provider.call("userinfo", token=token))
    except (requests.HTTPError, OAuthError) as exc:
        raise RelyingPartyError(TOKEN_REQUEST_FAILED) from exc
    if userinfo.get("sub") != sub:
        raise RelyingPartyError(USERINFO_MISMATCH)
    return userinfo


def complete_authorization(provider: ProviderClient, args: Mapping[str, str]) -> SignIn:
    """Check the authorization response in ``args`` and finish the sign-in it carries."""
    saved = provider.take_authorization(args.get("state"))
    if saved is None:
        raise RelyingPartyError(STATE_INVALID)
    check_issuer(args.get("iss"), provider.issuer, provider.metadata())
    if args.get("error"):
        raise RelyingPartyError(ERROR_PROBLEMS.get(args["error"], AUTHORIZATION_FAILED))
    code = args.get("code")
    if not code or len(code) > 512:
        raise RelyingPartyError(CALLBACK_INVALID)
    token = _redeem(provider, saved, code)
    claims = validate_id_token(
        token["id_token"],
        provider.fetch_jwks,
        ExpectedIdToken(
            issuer=provider.issuer,
            client_id=provider.client_id,
            nonce=saved.get("nonce", ""),
            acr_values=accepted_acr_values(
                provider.settings.acr_values, provider.settings.acr_levels
            ),
            algorithms=tuple(provider.id_token_algorithms()),
            access_token=token["access_token"],
            leeway=provider.settings.clock_leeway,
        ),
    )
    return SignIn(claims, token, _userinfo(provider, token, claims["sub"]), saved)
