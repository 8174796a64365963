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


def test_every_response_carries_a_request_id(app):
    """docs/deploy.md: every access-log line has the request id. Discovery and the JWKS
    are answered before Flask, and an input-limit refusal before the id was chosen: their
    responses had no X-Request-Id."""
    http = app.test_client()
    etag = http.get("/oauth2/jwks").headers["ETag"]
    responses = {
        "discovery": http.get("/.well-known/openid-configuration"),
        "jwks": http.get("/oauth2/jwks"),
        "jwks 304": http.get("/oauth2/jwks", headers={"If-None-Match": etag}),
        "discovery HEAD": http.head("/.well-known/openid-configuration"),
        "input limits": http.post("/oauth2/token", data={"grant_type": "a\x01"}),
        "page": http.get("/login"),
        "not found": http.get("/no-such-page"),
    }
    ids = {name: resp.headers.get("X-Request-Id") for name, resp in responses.items()}
    assert all(ids.values()), ids
    assert len(set(ids.values())) == len(ids)
    assert responses["input limits"].status_code == 400
    echoed = http.get("/oauth2/jwks", headers={"X-Request-Id": "nginx-req-42"})
    assert echoed.headers.getlist("X-Request-Id") == ["nginx-req-42"]
    forged = http.get("/login", headers={"X-Request-Id": "bad id\twith spaces"})
    assert forged.headers["X-Request-Id"] not in ("", "bad id\twith spaces")
