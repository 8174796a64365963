"""WSGI entry point for the server (granian, ``idp.server``): ``idp.portal.wsgi:app``
(settings from the environment)."""

from idp.logging_setup import AccessLog
from idp.portal import create_portal_app

app = AccessLog(create_portal_app())
