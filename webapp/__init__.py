"""What the provider (``idp``) and the portal (``portal``) both run on, and nothing of
either: bounded JSON, request ids, security headers, static files, logging (with its
redaction), the two-language pages and the granian command line."""

from pathlib import Path

#: The repository (templates/, static/, translations/, config/).
ROOT = Path(__file__).resolve().parent.parent
