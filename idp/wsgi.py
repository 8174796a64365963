"""WSGI entry point for gunicorn: ``idp.wsgi:app``."""

from idp import create_app

app = create_app()
