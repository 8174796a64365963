"""WSGI entry point for the server (granian, ``webapp.server``): ``idp.wsgi:app``."""

from idp import create_app
from webapp.server import served

app = served(create_app())
