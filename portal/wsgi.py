"""WSGI entry point for the server (granian, ``webapp.server``): ``portal.wsgi:app``
(settings from the environment)."""

from portal import create_portal_app
from webapp.server import served

app = served(create_portal_app())
