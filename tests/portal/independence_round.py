"""Run as a script (``python independence_round.py portal|agency``) with ``idp`` made
unimportable: build an app on the relying party and go once through login and callback
against a fake provider served on 127.0.0.1. Prints ``OK <modules>`` when it worked."""

from __future__ import annotations

import base64
import hashlib
import importlib.abc
import json
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit


class NoProvider(importlib.abc.MetaPathFinder):
    """Refuses the provider's package: an import of it is a failure of the test."""

    def find_spec(self, name, path, target=None):
        if name == "idp" or name.startswith("idp."):
            raise ImportError(f"{name} imported by the relying party or the portal")
        return None


sys.meta_path.insert(0, NoProvider())

from flask import Blueprint, Flask, jsonify, request  # noqa: E402
from joserfc import jwt  # noqa: E402
from joserfc.jwk import RSAKey  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

CLIENT_ID, SECRET = "agency-1", "agency-secret"
KEY = RSAKey.generate_key(2048, private=True, parameters={"kid": "k1"})
CLIENT_KEY = RSAKey.generate_key(2048, private=True, parameters={"kid": "client-1"})
requests_seen: dict[str, dict] = {}


def fake_provider(issuer: str) -> Flask:
    """Discovery, JWKS, token (checks the client, the code and the PKCE verifier), userinfo."""
    app = Flask("fake_provider")

    @app.get("/.well-known/openid-configuration")
    def discovery():
        return jsonify(
            issuer=issuer,
            authorization_endpoint=f"{issuer}/authorize",
            token_endpoint=f"{issuer}/token",
            userinfo_endpoint=f"{issuer}/userinfo",
            jwks_uri=f"{issuer}/jwks",
            end_session_endpoint=f"{issuer}/logout",
            id_token_signing_alg_values_supported=["RS256"],
            authorization_response_iss_parameter_supported=True,
        )

    @app.get("/jwks")
    def jwks():
        return jsonify(keys=[KEY.as_dict(private=False)])

    def client_authenticated() -> bool:
        """client_secret_basic, or private_key_jwt (RFC 7523 §3) with the client's key."""
        assertion = request.form.get("client_assertion")
        if assertion is None:
            basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
            return request.headers.get("Authorization") == f"Basic {basic}"
        claims = jwt.decode(assertion, CLIENT_KEY, algorithms=["RS256"]).claims
        return (
            request.form.get("client_assertion_type")
            == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            and claims["iss"] == claims["sub"] == CLIENT_ID
            and claims["aud"] == f"{issuer}/token"
            and claims["exp"] > time.time()
        )

    @app.post("/token")
    def token():
        saved = requests_seen.pop(request.form.get("code", ""), None)
        if not client_authenticated() or saved is None:
            return jsonify(error="invalid_grant"), 400
        verifier = request.form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if challenge.decode() != saved["code_challenge"]:
            return jsonify(error="invalid_grant"), 400
        now = int(time.time())
        claims = {
            "iss": issuer,
            "sub": "citizen-1",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": saved["nonce"],
            "acr": "LoA1",
            "amr": ["pwd", "sms"],
            "sid": "sid-1",
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, KEY)
        return jsonify(access_token="at-1", token_type="Bearer", expires_in=300, id_token=id_token)

    @app.get("/userinfo")
    def userinfo():
        if request.headers.get("Authorization") != "Bearer at-1":
            return jsonify(error="invalid_token"), 401
        return jsonify(sub="citizen-1", name="Nguyễn Văn A", citizen_id="001099012345")

    return app


def serve_fake_provider() -> str:
    """The fake provider on a free port; its issuer is its URL."""
    server = make_server("127.0.0.1", 0, Flask("placeholder"), threaded=True)
    issuer = f"http://127.0.0.1:{server.server_port}"
    server.app = fake_provider(issuer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return issuer


def agency_app(issuer: str, private_key_jwt: bool = False) -> Flask:
    """An agency's own app: Flask, a blueprint with home and login, the relying party
    (authenticated by its secret, or by a private key JWT)."""
    from relying_party import ClientSettings, MemoryStore, mount
    from relying_party.signed_in import current_citizen

    app = Flask("agency")
    bp = Blueprint("site", __name__)
    bp.add_url_rule("/", "home", lambda: (current_citizen() or {}).get("name", "anonymous"))
    bp.add_url_rule("/login", "login", lambda: "login page")
    settings = ClientSettings(issuer, CLIENT_ID, SECRET, base_url="http://agency.example")
    if private_key_jwt:
        settings = ClientSettings(
            issuer,
            CLIENT_ID,
            "",
            base_url="http://agency.example",
            token_endpoint_auth_method="private_key_jwt",
            private_key=json.dumps(CLIENT_KEY.as_dict(private=True)),
        )
    mount(app, bp, settings, MemoryStore())
    app.register_blueprint(bp)
    return app


def portal_app(issuer: str) -> Flask:
    """The provincial portal, configured for the fake provider."""
    from portal import create_portal_app

    return create_portal_app(
        {
            "IDP_ENV": "test",
            "PORTAL_ISSUER": issuer,
            "PORTAL_CLIENT_ID": CLIENT_ID,
            "PORTAL_CLIENT_SECRET": SECRET,
            "PORTAL_BASE_URL": "http://portal.example",
            "PORTAL_SECRET_KEY": "k" * 64,
            "REDIS_URL": "",
        }
    )


def main(kind: str) -> None:
    issuer = serve_fake_provider()
    if kind == "portal":
        app = portal_app(issuer)
    else:
        app = agency_app(issuer, private_key_jwt=kind == "agency-private-key-jwt")
    browser = app.test_client()
    start = browser.get("/login/national?next=/")
    assert start.status_code == 302, start.status_code
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.location).query).items()}
    assert start.location.startswith(f"{issuer}/authorize?"), start.location
    assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"]
    requests_seen["code-1"] = query
    wrong_iss = browser.get(f"/callback?code=x&state={query['state']}&iss=https://evil")
    assert wrong_iss.status_code == 400, wrong_iss.status_code
    again = browser.get("/login/national?next=/")
    query = {k: v[0] for k, v in parse_qs(urlsplit(again.location).query).items()}
    requests_seen["code-2"] = query
    done = browser.get(f"/callback?code=code-2&state={query['state']}&iss={issuer}")
    assert done.status_code == 302 and done.location == "/", (done.status_code, done.data[:300])
    home = browser.get("/").get_data(as_text=True)
    assert "Nguyễn Văn A" in home, home[:500]
    assert not [name for name in sys.modules if name == "idp" or name.startswith("idp.")]
    loaded = sorted(m for m in ("portal", "webapp", "flask_wtf") if m in sys.modules)
    print(" ".join(["OK", *loaded]))


if __name__ == "__main__":
    main(sys.argv[1])
