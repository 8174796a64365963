"""WSGI entry point for gunicorn: ``idp.portal.wsgi:app`` (settings from the environment)."""

from idp.portal import create_portal_app

app = create_portal_app()
