"""WSGI entry point for the server (granian, ``idp.server``): ``idp.wsgi:app``."""

from idp import create_app
from idp.server import served

app = served(create_app())
