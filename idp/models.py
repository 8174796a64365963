"""Every database model, imported in one place so metadata and migrations see them all."""

from idp.account.models import AuthenticatorApp, RecoveryCode
from idp.audit import AuditEvent
from idp.citizens.models import Citizen
from idp.complaints.models import Complaint, ComplaintEvidence
from idp.console.models import Operator
from idp.federation.models import Upstream, UpstreamLink
from idp.oidc.models import Client, Consent, Token
from idp.oidc.registration_tokens import InitialAccessToken, RegistrationAccessToken
from idp.subscribers.models import Subscriber

__all__ = [
    "AuditEvent",
    "AuthenticatorApp",
    "Citizen",
    "Client",
    "Complaint",
    "ComplaintEvidence",
    "Consent",
    "InitialAccessToken",
    "Operator",
    "RecoveryCode",
    "RegistrationAccessToken",
    "Subscriber",
    "Token",
    "Upstream",
    "UpstreamLink",
]
