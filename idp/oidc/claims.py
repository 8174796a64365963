"""Which citizen data each scope releases, as standard OIDC claims and as the national
portal's Vietnamese claims (``SoDinhDanh``, ``HoVaTen``, ...), and the subject identifier.
"""

from __future__ import annotations

import hashlib
from typing import Any

from authlib.oauth2.rfc6749 import scope_to_list
from flask import current_app

from idp.citizens.models import Citizen

# Scope -> the standard claims it releases (OIDC Core §5.4, plus ``citizen_id``).
SCOPE_CLAIMS: dict[str, list[str]] = {
    "profile": ["name", "birthdate", "gender"],
    "phone": ["phone_number", "phone_number_verified"],
    "email": ["email", "email_verified"],
    "citizen_id": ["citizen_id"],
}

# The national portal's claim names and the scope that must allow each.
VN_CLAIM_SCOPES: dict[str, str | None] = {
    "SoDinhDanh": "citizen_id",
    "SoCMND": "citizen_id",
    "HoVaTen": "profile",
    "NgayThangNamSinh": "profile",
    "GioiTinh": "profile",
    "SoDienThoai": "phone",
    "ThuDienTu": "email",
    "LoaiTaiKhoan": None,
    "loAs": None,
}

SUPPORTED_SCOPES = ["openid", "profile", "phone", "email", "citizen_id", "offline_access"]
CLAIMS_SUPPORTED = sorted(
    {"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid"}
    | {claim for claims in SCOPE_CLAIMS.values() for claim in claims}
    | set(VN_CLAIM_SCOPES)
)


def subject_for(citizen: Citizen, client: Any) -> str:
    """``sub`` for this client: the citizen's opaque id, or a pairwise value per sector."""
    metadata = client.client_metadata if client is not None else {}
    if metadata.get("subject_type") == "pairwise":
        sector = metadata.get("sector_identifier") or client.client_id
        salt = current_app.config["SECRET_KEY"]
        digest = hashlib.sha256(f"{sector}|{citizen.subject}|{salt}".encode()).hexdigest()
        return digest
    return citizen.subject


def _standard_claim(citizen: Citizen, name: str) -> Any:
    return {
        "name": citizen.full_name,
        "birthdate": citizen.date_of_birth.isoformat(),
        "gender": citizen.gender,
        "phone_number": citizen.phone,
        "phone_number_verified": bool(citizen.phone_verified),
        "email": citizen.email,
        "email_verified": False,
        "citizen_id": citizen.id_number,
    }[name]


def _vn_claim(citizen: Citizen, name: str) -> Any:
    is_cccd = len(citizen.id_number) == 12
    return {
        "SoDinhDanh": citizen.id_number if is_cccd else "",
        "SoCMND": "" if is_cccd else citizen.id_number,
        "HoVaTen": citizen.full_name,
        "NgayThangNamSinh": citizen.date_of_birth.strftime("%d/%m/%Y"),
        "GioiTinh": "Nam" if citizen.gender == "male" else "Nữ",
        "SoDienThoai": "0" + citizen.phone[3:],
        "ThuDienTu": citizen.email or "",
        "LoaiTaiKhoan": 1,
        "loAs": ["LoA1"],
    }[name]


def user_claims(
    citizen: Citizen, client: Any, scope: str, requested: list[str] | None = None
) -> dict[str, Any]:
    """The userinfo claims for a token: by scope, plus Vietnamese claims if the client
    was registered for them (``vn_claims``), plus individually ``requested`` claims that
    the granted scopes allow."""
    scopes = set(scope_to_list(scope) or [])
    claims: dict[str, Any] = {"sub": subject_for(citizen, client)}
    for name, members in SCOPE_CLAIMS.items():
        if name in scopes:
            for claim in members:
                value = _standard_claim(citizen, claim)
                if value is not None:
                    claims[claim] = value
    wants_vn = bool(client is not None and client.client_metadata.get("vn_claims"))
    for claim, needed in VN_CLAIM_SCOPES.items():
        if (wants_vn or claim in (requested or [])) and (needed is None or needed in scopes):
            claims[claim] = _vn_claim(citizen, claim)
    return claims


def allowed_claim(claim: str, scope: str) -> bool:
    """Whether a claim named in a ``claims`` request is covered by the granted scope."""
    scopes = set(scope_to_list(scope) or [])
    for name, members in SCOPE_CLAIMS.items():
        if claim in members:
            return name in scopes
    if claim in VN_CLAIM_SCOPES:
        needed = VN_CLAIM_SCOPES[claim]
        return needed is None or needed in scopes
    return False
