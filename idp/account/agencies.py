"""Connected agencies: every client that received the citizen's data, and revoking it.

What a client received and when comes from the authorization codes it was given (the
``authorization.code_issued`` audit rows: scope, time), its refresh tokens
(``oauth_token``) and the remembered consent (``consent``); access tokens live only in the
store. Revoking ends every token the client holds for the citizen (the refresh rows, and
the access tokens through a per citizen-and-client marker in the store) and deletes the
consent, so the next sign-in to that agency asks for consent again. Revoking again changes
nothing and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from authlib.oauth2.rfc6749 import scope_to_list
from flask import current_app
from sqlalchemy import delete

from idp import audit
from idp.audit import AuditEvent
from idp.errors import DomainError, Problem
from idp.extensions import db
from idp.oidc.access_tokens import pair_key, revoke_group
from idp.oidc.consent import data_items
from idp.oidc.models import Client, Consent, Token
from idp.oidc.tokens import revoke_rows
from idp.services import clock

CODE_ISSUED = "authorization.code_issued"
CONSENT_REVOKED = "consent.revoked"

MAX_CLIENT_ID_LENGTH = 48

AGENCY_NOT_FOUND = Problem(
    "agency.not_found",
    "Không tìm thấy cơ quan này trong danh sách cơ quan đã nhận thông tin của bạn.",
)


@dataclass
class Agency:
    """One client as the connected-agencies page shows it."""

    client_id: str
    name: str
    scopes: set[str] = field(default_factory=set)
    first_at: datetime | None = None
    last_at: datetime | None = None
    consent_at: datetime | None = None
    active: bool = False

    @property
    def items(self) -> list[str]:
        """The labels of the data this agency received."""
        return data_items(" ".join(sorted(self.scopes)))

    def _seen(self, moment: datetime) -> None:
        self.first_at = min(self.first_at or moment, moment)
        self.last_at = max(self.last_at or moment, moment)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _is_live(token: Token, now: float) -> bool:
    return (
        token.refresh_token_hash is not None
        and not token.refresh_token_revoked_at
        and token.refresh_expires_at > now
    )


def _codes(citizen_id: int, client_id: str | None = None) -> list[AuditEvent]:
    """The codes issued to the citizen's agencies and the revocations, oldest first."""
    query = db.select(AuditEvent).where(
        AuditEvent.citizen_id == citizen_id, AuditEvent.event.in_((CODE_ISSUED, CONSENT_REVOKED))
    )
    if client_id is not None:
        query = query.where(AuditEvent.client_id == client_id)
    return list(db.session.scalars(query.order_by(AuditEvent.at, AuditEvent.id)))


def _access_may_be_live(events: list[AuditEvent], client_id: str, now: float) -> bool:
    """Whether an access token from a code to this client may still work: a code issued
    within one access-token lifetime and after the last revocation at this agency."""
    lifetime = current_app.config["ACCESS_TOKEN_SECONDS"] + current_app.config["AUTH_CODE_SECONDS"]
    live = False
    for event in events:
        if event.client_id != client_id:
            continue
        if event.event == CONSENT_REVOKED:
            live = False
        else:
            live = _aware(event.at).timestamp() > now - lifetime
    return live


def agencies_of(citizen_id: int) -> list[Agency]:
    """Every agency that received the citizen's data or holds a consent, latest first."""
    now = clock().now()
    found: dict[str, Agency] = {}
    events = _codes(citizen_id)
    for event in events:
        if event.event != CODE_ISSUED or not event.client_id:
            continue
        agency = found.setdefault(event.client_id, Agency(event.client_id, event.client_id))
        agency.scopes |= set(scope_to_list((event.details or {}).get("scope", "")) or [])
        agency._seen(_aware(event.at))
    for client_id, agency in found.items():
        agency.active = _access_may_be_live(events, client_id, now)
    tokens = db.session.scalars(db.select(Token).where(Token.citizen_id == citizen_id))
    for token in tokens:
        agency = found.setdefault(token.client_id, Agency(token.client_id, token.client_id))
        agency.scopes |= set(scope_to_list(token.scope) or [])
        agency._seen(datetime.fromtimestamp(token.issued_at, UTC))
        agency.active = agency.active or _is_live(token, now)
    for consent in db.session.scalars(db.select(Consent).filter_by(citizen_id=citizen_id)):
        agency = found.setdefault(consent.client_id, Agency(consent.client_id, consent.client_id))
        agency.consent_at = _aware(consent.granted_at)
        agency.active = True
        if not agency.scopes:
            agency.scopes = set(consent.scopes.split())
            agency._seen(agency.consent_at)
    for client in db.session.scalars(db.select(Client).where(Client.client_id.in_(list(found)))):
        found[client.client_id].name = client.client_name or client.client_id
    epoch = datetime.fromtimestamp(0, UTC)
    return sorted(found.values(), key=lambda a: a.last_at or epoch, reverse=True)


def revoke_agency(citizen_id: int, client_id: str) -> bool:
    """End the agency's tokens and consent; False if there was nothing left to revoke."""
    if not client_id or len(client_id) > MAX_CLIENT_ID_LENGTH:
        raise DomainError(AGENCY_NOT_FOUND)
    tokens = db.session.scalars(
        db.select(Token).filter_by(citizen_id=citizen_id, client_id=client_id)
    ).all()
    events = _codes(citizen_id, client_id)
    consent_deleted = db.session.execute(
        delete(Consent).where(Consent.citizen_id == citizen_id, Consent.client_id == client_id)
    ).rowcount
    if not tokens and not events and not consent_deleted:
        db.session.rollback()
        raise DomainError(AGENCY_NOT_FOUND)
    live = [t for t in tokens if _refresh_unrevoked(t)]
    access_live = _access_may_be_live(events, client_id, clock().now())
    if not live and not access_live and not consent_deleted:
        db.session.rollback()
        return False
    revoke_group(pair_key(citizen_id, client_id))
    revoke_rows(live)
    audit.record(
        CONSENT_REVOKED,
        citizen_id=citizen_id,
        client_id=client_id,
        revoked_tokens=len(live),
        consent_deleted=bool(consent_deleted),
    )
    db.session.commit()
    return True


def _refresh_unrevoked(token: Token) -> bool:
    return token.refresh_token_hash is not None and not token.refresh_token_revoked_at
