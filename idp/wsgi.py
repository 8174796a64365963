"""WSGI entry point for the server (granian, ``idp.server``): ``idp.wsgi:app``."""

from idp import create_app
from idp.logging_setup import AccessLog

app = AccessLog(create_app())
