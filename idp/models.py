"""Every database model, imported in one place so metadata and migrations see them all."""

from idp.accounts.models import Citizen
from idp.audit import AuditEvent
from idp.oidc.models import Client, Token

__all__ = ["AuditEvent", "Citizen", "Client", "Token"]
