"""Client security profiles: ``standard`` (the default) and the FAPI 2.0 Security Profile.

A client's profile is its metadata ``security_profile`` (``"fapi2"``), set at registration
or by an operator (``set_security_profile``: console, ``idp clients update --fapi2``).
A FAPI 2.0 client is held, on every request, to what the profile asks of the
authorization server (FAPI 2.0 Security Profile §5.3):

- confidential, authenticated with ``private_key_jwt`` signed ES256 or PS256;
- authorization requests pushed (RFC 9126), with PKCE S256 (never exempt) and an explicit
  ``redirect_uri``; request objects, if any, signed ES256 or PS256;
- sender-constrained tokens: DPoP proofs (RFC 9449) signed ES256 or PS256 with every
  token request;
- ``iss`` in every authorization response (RFC 9207, for every client already);
- authorization codes valid at most 60 seconds;
- ID tokens signed ES256.

Registration and the operator's switch refuse metadata that breaks the profile; the
requests that break it are refused with the RFCs' error codes where they arrive.
"""

from __future__ import annotations

from typing import Any

STANDARD = "standard"
FAPI2 = "fapi2"
PROFILES = (STANDARD, FAPI2)
FAPI2_ALGORITHMS = ("ES256", "PS256")
FAPI2_CODE_SECONDS = 60


def is_fapi2(client) -> bool:
    """Is this client held to the FAPI 2.0 Security Profile?"""
    return client.client_metadata.get("security_profile") == FAPI2


def fapi2_metadata_problem(metadata: dict[str, Any]) -> str | None:
    """What in ``metadata`` (a client's, with ``security_profile: fapi2``) breaks the
    profile, in words for an ``error_description``; None when nothing does."""
    if metadata.get("token_endpoint_auth_method") != "private_key_jwt":
        return "A FAPI 2.0 client authenticates with private_key_jwt."
    if metadata.get("id_token_signed_response_alg", "RS256") not in FAPI2_ALGORITHMS:
        return "A FAPI 2.0 client's ID tokens are signed ES256."
    if metadata.get("require_pushed_authorization_requests") is not True:
        return "A FAPI 2.0 client must push its authorization requests."
    if metadata.get("dpop_bound_access_tokens") is not True:
        return "A FAPI 2.0 client's tokens are DPoP-bound (dpop_bound_access_tokens)."
    alg = metadata.get("request_object_signing_alg")
    if alg is not None and alg not in FAPI2_ALGORITHMS:
        return "A FAPI 2.0 client signs request objects ES256 or PS256."
    return None


def fapi2_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """``metadata`` switched to the profile: what it implies set, ID tokens ES256."""
    return {
        **metadata,
        "security_profile": FAPI2,
        "require_pushed_authorization_requests": True,
        "dpop_bound_access_tokens": True,
        "id_token_signed_response_alg": "ES256",
    }
