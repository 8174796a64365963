"""Discovery and JWKS served from precomputed bodies in front of Flask."""

from __future__ import annotations


def test_head_and_conditional_requests(app):
    http = app.test_client()
    full = http.get("/oauth2/jwks")
    assert full.status_code == 200 and full.headers["Cache-Control"].startswith("public")
    head = http.head("/oauth2/jwks")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == str(len(full.data))
    again = http.get("/oauth2/jwks", headers={"If-None-Match": full.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_other_methods_reach_flask(app):
    resp = app.test_client().post("/.well-known/openid-configuration")
    assert resp.status_code in (404, 405)


def test_rotation_reaches_the_published_jwks(app):
    from idp.services import services

    http = app.test_client()
    before = {k["kid"] for k in http.get("/oauth2/jwks").get_json()["keys"]}
    with app.app_context():
        keys = services().keys
        # a copy of the session key folder, so other tests keep their keys
        import shutil
        import tempfile

        from idp.oidc.keys import KeyStore

        folder = tempfile.mkdtemp()
        shutil.copytree(keys.directory, folder, dirs_exist_ok=True)
        keys.directory = KeyStore(folder).directory
        keys.refresh(force=True)
        keys.rotate(lead_seconds=60, token_lifetime=60)
    after = {k["kid"] for k in http.get("/oauth2/jwks").get_json()["keys"]}
    assert before < after and len(after - before) == 2
