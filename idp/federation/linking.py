"""Which citizen an upstream identity is: the link, the proof, a new account, or a refusal.

An upstream identity ``(issuer, sub)`` is linked to at most one citizen, and a citizen to
at most one identity at each upstream (``UpstreamLink``'s unique constraints). The first
sign-in with an identity that has no link is decided by ``decide``:

- an account with the identity number exists: the citizen proves it once with password +
  SMS OTP (``PROVE``), unless the upstream is trusted to link on the number alone
  (``--link-without-password``: ``LINK``);
- no account: ``CREATE`` from the upstream's claims when the upstream may create accounts
  (``ASK_PHONE`` first when it gave no usable phone number), else ``REGISTER_FIRST``.

The identity number must pass the registration rules (CCCD/CMND, agreeing with the date of
birth and gender when given).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

from idp import audit
from idp.citizens.birth_date import parse_date_of_birth
from idp.citizens.creation import create_citizen, has_password, phone_used_by_another
from idp.citizens.identity_number import validate_identity_number
from idp.citizens.models import Citizen
from idp.citizens.names import normalize_full_name
from idp.citizens.phone import normalize_phone
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.federation.models import Upstream, UpstreamLink

T = TypeVar("T")

ID_NUMBER_INVALID = Problem(
    "upstream.id_number_invalid",
    "{label} không gửi về số định danh (CCCD/CMND) hợp lệ, nên chưa thể đăng nhập. "
    "Vui lòng chọn cách đăng nhập khác.",
)
CLAIMS_MISSING = Problem(
    "upstream.claims_missing",
    "{label} không gửi đủ họ tên, ngày sinh và giới tính để tạo tài khoản. "
    "Vui lòng đăng ký tài khoản trên Cổng Dịch vụ công Quốc gia.",
)
LINKED_ELSEWHERE = Problem(
    "upstream.linked_elsewhere",
    "Tài khoản có số định danh này đã được liên kết với một tài khoản {label} khác. "
    "Vui lòng đăng nhập bằng mật khẩu, hoặc gửi khiếu nại nếu đây không phải là bạn.",
)
ACCOUNT_DISABLED = Problem(
    "upstream.account_disabled",
    "Tài khoản đang bị khóa. Vui lòng liên hệ bộ phận hỗ trợ hoặc gửi khiếu nại.",
)
LAST_WAY_IN = Problem(
    "upstream.last_way_in",
    "Không thể hủy liên kết này: tài khoản của bạn chưa có mật khẩu, nên đây là cách đăng "
    "nhập duy nhất. Vui lòng đặt mật khẩu trước.",
)
LINK_NOT_FOUND = Problem("upstream.link_not_found", "Không tìm thấy liên kết này.")


class Outcome(enum.Enum):
    SIGNED_IN = "signed_in"  # a linked identity
    LINK = "link"  # link on the identity number alone (--link-without-password)
    PROVE = "prove"  # the citizen proves the local account once
    CREATE = "create"  # a new account from the upstream's claims
    ASK_PHONE = "ask_phone"  # a new account, once the citizen confirms a phone number
    REGISTER_FIRST = "register_first"  # no account and the upstream may not create one


@dataclass(frozen=True, kw_only=True)
class UpstreamIdentity:
    """What an upstream said about the citizen, checked by our rules: who they are there
    (and in which of its sessions), then their details."""

    upstream: str
    issuer: str
    subject: str
    sid: str | None = None  # for the upstream's back-channel logout
    id_number: str
    full_name: str | None = None
    date_of_birth: str | None = None  # ISO 8601
    gender: str | None = None
    phone: str | None = None  # E.164, only a valid Vietnamese mobile number

    def to_dict(self) -> dict[str, Any]:
        """The identity as a flow keeps it."""
        return asdict(self)


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    citizen: Citizen | None = None
    link: UpstreamLink | None = None  # the identity's link, when it has one


def _text(claims: dict[str, Any], name: str | None) -> str | None:
    value = claims.get(name) if name else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _if_valid(rule: Callable[[str], T], value: str | None) -> T | None:
    """An optional claim by our rule, or None when it is missing or breaks the rule (a
    claim we cannot use is left out, not refused)."""
    if value is None:
        return None
    try:
        return rule(value)
    except DomainError:
        return None


def identity_from_claims(
    upstream: Upstream, claims: dict[str, Any], sid: str | None = None
) -> UpstreamIdentity:
    """The identity in ``claims`` (ID token and userinfo, merged), checked; DomainError
    when the identity number does not pass our rules."""
    born = _if_valid(parse_date_of_birth, _text(claims, upstream.birthdate_claim))
    gender = claims.get("gender") if claims.get("gender") in ("male", "female") else None
    try:
        checked = validate_identity_number(
            _text(claims, upstream.id_number_claim) or "", date_of_birth=born, gender=gender
        )
    except DomainError:
        raise DomainError(ID_NUMBER_INVALID.format(label=upstream.label)) from None
    name = _if_valid(normalize_full_name, _text(claims, upstream.name_claim))
    phone = _if_valid(normalize_phone, _text(claims, upstream.phone_claim))
    return UpstreamIdentity(
        upstream=upstream.name,
        issuer=upstream.issuer,
        subject=str(claims["sub"]),
        id_number=checked.number,
        sid=sid,
        full_name=name,
        date_of_birth=born.isoformat() if born else None,
        gender=gender or checked.gender,
        phone=phone,
    )


def link_to(issuer: str, subject: str) -> UpstreamLink | None:
    """The link of the upstream identity ``(issuer, subject)``, if any."""
    return db.session.scalar(db.select(UpstreamLink).filter_by(issuer=issuer, subject=subject))


def decide(upstream: Upstream, identity: UpstreamIdentity) -> Decision:
    """What this sign-in leads to (see the module docstring); DomainError for a refusal."""
    link = link_to(identity.issuer, identity.subject)
    if link is not None:
        citizen = db.session.get(Citizen, link.citizen_id)
        if not citizen.is_active:
            raise DomainError(ACCOUNT_DISABLED)
        return Decision(Outcome.SIGNED_IN, citizen, link)
    citizen = db.session.scalar(db.select(Citizen).filter_by(id_number=identity.id_number))
    if citizen is not None:
        if not citizen.is_active:
            raise DomainError(ACCOUNT_DISABLED)
        if link_of(citizen.id, upstream.name) is not None:
            raise DomainError(LINKED_ELSEWHERE.format(label=upstream.label))
        outcome = Outcome.LINK if upstream.link_without_password else Outcome.PROVE
        return Decision(outcome, citizen)
    if not upstream.create_accounts:
        return Decision(Outcome.REGISTER_FIRST)
    if not identity.full_name or not identity.date_of_birth or not identity.gender:
        raise DomainError(CLAIMS_MISSING.format(label=upstream.label))
    if identity.phone is None or phone_used_by_another(identity.phone, 0):
        return Decision(Outcome.ASK_PHONE)
    return Decision(Outcome.CREATE)


def link_of(citizen_id: int, upstream: str) -> UpstreamLink | None:
    """The citizen's link at ``upstream``, if any."""
    return db.session.scalar(
        db.select(UpstreamLink).filter_by(citizen_id=citizen_id, upstream=upstream)
    )


def _link_row(identity: UpstreamIdentity, citizen_id: int) -> UpstreamLink:
    return UpstreamLink(
        upstream=identity.upstream,
        issuer=identity.issuer,
        subject=identity.subject,
        citizen_id=citizen_id,
        last_used_at=datetime.now(UTC),
    )


def link(identity: UpstreamIdentity, citizen: Citizen, how: str, label: str) -> None:
    """Link the identity to ``citizen`` (``how``: ``proof`` or ``identity_number``;
    ``label``: the upstream's, for the refusal); DomainError when either side is linked
    already (a concurrent sign-in won)."""
    db.session.add(_link_row(identity, citizen.id))
    try:
        db.session.flush()  # a link made meanwhile fails here, before any audit row
        audit.record(
            "upstream.linked",
            citizen_id=citizen.id,
            upstream=identity.upstream,
            how=how,
            if_committed=True,
        )
        db.session.commit()  # one commit: the link and its audit row
    except IntegrityError:
        db.session.rollback()
        raise DomainError(LINKED_ELSEWHERE.format(label=label)) from None


def create_account(identity: UpstreamIdentity, phone: str) -> Citizen:
    """A new account from the identity's verified claims, with no password, linked to it
    in the same transaction; DomainError if the number got an account meanwhile."""
    citizen = create_citizen(
        id_number=identity.id_number,
        full_name=identity.full_name or "",
        date_of_birth=identity.date_of_birth or "",
        gender=identity.gender or "",
        phone=phone,
        password=None,
        actor=f"upstream:{identity.upstream}",
        with_rows=lambda created: db.session.add(_link_row(identity, created.id)),
    )
    audit.record(
        "upstream.linked", citizen_id=citizen.id, upstream=identity.upstream, how="created"
    )
    db.session.commit()
    return citizen


def touch(link: UpstreamLink) -> None:
    """Record that the linked identity was just used to sign in."""
    link.last_used_at = datetime.now(UTC)
    db.session.commit()


def links_of(citizen_id: int) -> list[tuple[UpstreamLink, Upstream]]:
    """The citizen's linked identities with their upstreams, oldest first."""
    query = (
        db.select(UpstreamLink, Upstream)
        .join(Upstream, Upstream.name == UpstreamLink.upstream)
        .where(UpstreamLink.citizen_id == citizen_id)
        .order_by(UpstreamLink.created_at, UpstreamLink.id)
    )
    return [(row[0], row[1]) for row in db.session.execute(query)]


def unlink(citizen: Citizen, link_id: int) -> UpstreamLink:
    """Remove one of the citizen's links; refused when it would leave no way to sign in
    (no password and no other active link)."""
    found = db.session.get(UpstreamLink, link_id)
    if found is None or found.citizen_id != citizen.id:
        raise DomainError(LINK_NOT_FOUND)
    others = [
        row for row, upstream in links_of(citizen.id) if row.id != found.id and upstream.active
    ]
    if not has_password(citizen) and not others:
        raise DomainError(LAST_WAY_IN)
    db.session.delete(found)
    audit.record("upstream.unlinked", citizen_id=citizen.id, upstream=found.upstream)
    db.session.commit()
    return found
