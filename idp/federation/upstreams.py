"""Configuring upstream providers: add, list, suspend, resume, remove (CLI and console).

An upstream is added only after its discovery document was read from its issuer and
names that issuer exactly (OIDC Discovery 1.0 §4.3); the client secret is sealed at rest
(``idp.sealed_secrets``). Every change is audited.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from idp import audit
from idp.assurance import LEVELS
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.federation import upstream_client
from idp.federation.models import Upstream, UpstreamLink
from idp.sealed_secrets import seal
from idp.services import clock

log = logging.getLogger(__name__)

CHOICE_CACHE_SECONDS = 30

NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
CLAIM = re.compile(r"[A-Za-z0-9_.:-]{1,64}")

NAME_INVALID = Problem(
    "upstream.name_invalid",
    "Tên nhà cung cấp định danh chỉ gồm chữ thường, chữ số và dấu gạch ngang (tối đa 32 ký tự).",
)
NAME_TAKEN = Problem("upstream.name_taken", "Đã có nhà cung cấp định danh tên {name}.")
NOT_FOUND = Problem("upstream.not_found", "Không có nhà cung cấp định danh tên {name}.")
CLAIM_INVALID = Problem("upstream.claim_invalid", "Tên claim {claim} không hợp lệ.")
ACR_INVALID = Problem("upstream.acr_invalid", "Mức đảm bảo phải là một trong: LoA1, LoA2, LoA3.")
LABEL_INVALID = Problem("upstream.label_invalid", "Vui lòng nhập nhãn hiển thị (tối đa 120 ký tự).")
SCOPE_INVALID = Problem("upstream.scope_invalid", "Phạm vi (scope) phải gồm openid.")
CLIENT_INVALID = Problem(
    "upstream.client_invalid", "Vui lòng nhập client_id và client_secret do nhà cung cấp cấp."
)


@dataclass(frozen=True)
class UpstreamSettings:
    """What ``idp upstreams add`` takes."""

    name: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    id_number_claim: str
    scope: str = "openid profile phone"
    name_claim: str | None = None
    birthdate_claim: str | None = None
    phone_claim: str | None = None
    acr: str = "LoA2"
    create_accounts: bool = False
    link_without_password: bool = False
    logout_upstream: bool = False


def redirect_uri(name: str) -> str:
    """Where the upstream sends the browser back: ``{issuer}/upstream/{name}/callback``."""
    return addresses(name)["redirect_uri"]


ISSUER_INVALID = Problem(
    "upstream.issuer_invalid",
    "Địa chỉ issuer phải là một URL https không có query hay fragment.",
)


def _check_issuer(issuer: str) -> None:
    parts = urlsplit(issuer)
    plain_allowed = current_app.config["OUTBOUND_ALLOW_PRIVATE_ADDRESSES"]
    schemes = ("https", "http") if plain_allowed else ("https",)
    if (
        parts.scheme not in schemes
        or not parts.hostname
        or parts.query
        or parts.fragment
        or len(issuer) > 255
    ):
        raise DomainError(ISSUER_INVALID)


def _check(settings: UpstreamSettings) -> None:
    if not NAME.fullmatch(settings.name):
        raise DomainError(NAME_INVALID)
    if not settings.label.strip() or len(settings.label) > 120:
        raise DomainError(LABEL_INVALID)
    _check_issuer(settings.issuer)
    if not settings.client_id or not settings.client_secret or len(settings.client_id) > 255:
        raise DomainError(CLIENT_INVALID)
    if "openid" not in settings.scope.split() or len(settings.scope) > 255:
        raise DomainError(SCOPE_INVALID)
    for claim in (
        settings.id_number_claim,
        settings.name_claim,
        settings.birthdate_claim,
        settings.phone_claim,
    ):
        if claim is not None and not CLAIM.fullmatch(claim):
            raise DomainError(CLAIM_INVALID.format(claim=claim[:64]))
    if settings.acr not in LEVELS:
        raise DomainError(ACR_INVALID)


def add_upstream(settings: UpstreamSettings, *, actor: str, discover: bool = True) -> Upstream:
    """Check ``settings`` (and, with ``discover``, the issuer's discovery document) and store
    the upstream; DomainError on any broken rule."""
    _check(settings)
    if db.session.get(Upstream, settings.name) is not None:
        raise DomainError(NAME_TAKEN.format(name=settings.name))
    if discover:
        upstream_client.discover(settings.issuer)
    columns = asdict(settings)
    secret = columns.pop("client_secret")
    columns["label"] = settings.label.strip()
    upstream = Upstream(
        **columns, client_secret_sealed=seal(secret, upstream_client.CLIENT_SECRET), active=True
    )
    db.session.add(upstream)
    audit.record("upstream.added", actor=actor, upstream=settings.name, issuer=settings.issuer)
    db.session.commit()
    forget_choices()
    return upstream


def all_upstreams() -> list[Upstream]:
    """Every configured upstream, by name."""
    return list(db.session.scalars(db.select(Upstream).order_by(Upstream.name)))


@dataclass(frozen=True)
class UpstreamChoice:
    """An active upstream as the login choice shows it."""

    name: str
    label: str
    acr: str


def active_upstreams() -> list[UpstreamChoice]:
    """The upstreams citizens may sign in with now, by name.

    Kept per process for ``CHOICE_CACHE_SECONDS`` (a change made here is seen at once,
    one made on another replica within that time), so the login choice reads no database
    and still renders while the database is down (the password step then says so).
    """
    cache = current_app.extensions.setdefault("upstream_choices", {})
    now = clock().monotonic()
    if cache.get("until", float("-inf")) > now:
        return cache["choices"]
    query = db.select(Upstream).where(Upstream.active.is_(True)).order_by(Upstream.name)
    try:
        choices = [UpstreamChoice(u.name, u.label, u.acr) for u in db.session.scalars(query)]
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("upstream providers cannot be read; the login choice shows none")
        return cache.get("choices", [])
    cache.update(choices=choices, until=now + CHOICE_CACHE_SECONDS)
    return choices


def forget_choices() -> None:
    """Drop this process's list of active upstreams (after a change)."""
    current_app.extensions.pop("upstream_choices", None)


def find_upstream(name: str, *, active_only: bool = True) -> Upstream | None:
    """The upstream called ``name`` (only if active, unless ``active_only`` is False)."""
    if not NAME.fullmatch(name or ""):
        return None
    upstream = db.session.get(Upstream, name)
    if upstream is None or (active_only and not upstream.active):
        return None
    return upstream


def _existing(name: str) -> Upstream:
    upstream = find_upstream(name, active_only=False)
    if upstream is None:
        raise DomainError(NOT_FOUND.format(name=(name or "")[:32]))
    return upstream


def set_active(name: str, active: bool, *, actor: str) -> Upstream:
    """Suspend (no button, no callback accepted) or resume an upstream."""
    upstream = _existing(name)
    upstream.active = active
    audit.record("upstream.resumed" if active else "upstream.suspended", actor=actor, upstream=name)
    db.session.commit()
    forget_choices()
    return upstream


def remove_upstream(name: str, *, actor: str) -> int:
    """Remove an upstream and every identity linked through it; how many links went."""
    upstream = _existing(name)
    links = db.session.scalars(db.select(UpstreamLink).filter_by(upstream=name)).all()
    for link in links:
        db.session.delete(link)
    db.session.delete(upstream)
    audit.record("upstream.removed", actor=actor, upstream=name, links=len(links))
    db.session.commit()
    forget_choices()
    return len(links)


def describe(upstream: Upstream) -> dict:
    """An upstream as ``idp upstreams list`` prints it (no secret)."""
    return {
        "name": upstream.name,
        "label": upstream.label,
        "issuer": upstream.issuer,
        "client_id": upstream.client_id,
        "scope": upstream.scope,
        "id_number_claim": upstream.id_number_claim,
        "name_claim": upstream.name_claim,
        "birthdate_claim": upstream.birthdate_claim,
        "phone_claim": upstream.phone_claim,
        "acr": upstream.acr,
        "create_accounts": upstream.create_accounts,
        "link_without_password": upstream.link_without_password,
        "logout_upstream": upstream.logout_upstream,
        "active": upstream.active,
        **addresses(upstream.name),
    }


def addresses(name: str) -> dict[str, str]:
    """The provider's addresses to register at the upstream for this client."""
    base = f"{current_app.config['IDP_ISSUER']}/upstream/{name}"
    return {
        "redirect_uri": f"{base}/callback",
        "backchannel_logout_uri": f"{base}/backchannel-logout",
        "post_logout_redirect_uri": f"{base}/signed-out",
    }
