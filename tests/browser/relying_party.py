"""A tiny relying party for browser tests: Authlib's Flask client against the live provider.

It starts the authorization code flow with PKCE (S256), state and nonce, checks the RFC 9207
``iss`` parameter by hand (Authlib's client does not), redeems the code, validates the ID
token (Authlib) and shows the citizen's name from the userinfo endpoint.
"""

from __future__ import annotations

import secrets

from authlib.integrations.flask_client import OAuth
from flask import Flask, abort, render_template_string, request, session, url_for

SIGNED_IN = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cổng thử nghiệm</title>
<style>body{font-family:sans-serif;margin:1rem}dt{font-weight:bold}</style></head>
<body><h1>Cổng thử nghiệm</h1>
<p id="greeting">Xin chào <strong id="name">{{ name }}</strong></p>
<dl>
  <dt>acr</dt><dd id="acr">{{ claims.acr }}</dd>
  <dt>amr</dt><dd id="amr">{{ claims.amr|join(' ') }}</dd>
  <dt>sub</dt><dd id="sub">{{ claims.sub }}</dd>
</dl></body></html>
"""


def create_relying_party(
    provider_url: str, client_id: str, client_secret: str, scope: str = "openid profile phone"
) -> Flask:
    """A Flask app with ``/login`` (start the flow) and ``/callback`` (finish it)."""
    rp = Flask("tiny_relying_party")
    rp.secret_key = secrets.token_hex(16)
    # Cookies are per host, not per port: keep clear of the provider's cookie names.
    rp.config["SESSION_COOKIE_NAME"] = "tiny_rp"
    oauth = OAuth(rp)
    oauth.register(
        "dvc",
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=f"{provider_url}/.well-known/openid-configuration",
        client_kwargs={"scope": scope, "code_challenge_method": "S256"},
    )

    @rp.get("/login")
    def login():
        return oauth.dvc.authorize_redirect(url_for("callback", _external=True))

    @rp.get("/callback")
    def callback():
        if request.args.get("iss") != oauth.dvc.load_server_metadata()["issuer"]:
            abort(400, "RFC 9207: the iss parameter does not name the provider")
        token = oauth.dvc.authorize_access_token()
        info = oauth.dvc.userinfo(token=token)
        session["sub"] = token["userinfo"]["sub"]
        return render_template_string(SIGNED_IN, name=info["name"], claims=token["userinfo"])

    return rp
