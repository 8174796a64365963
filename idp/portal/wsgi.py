"""WSGI entry point for the server (granian, ``idp.server``): ``idp.portal.wsgi:app``
(settings from the environment)."""

from idp.portal import create_portal_app
from idp.server import served

app = served(create_portal_app())
