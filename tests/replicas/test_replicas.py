"""Two replicas behave as one provider: whichever replica a request lands on, the citizen's
flow, OTP tries, authorization codes and rate limits are the same (docs/architecture.md,
"Storage")."""

from __future__ import annotations

import itertools
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from tests.conftest import REDIRECT_URI, authorization_params, csrf_of
from tests.replicas.cluster import Cluster, Replica

pytestmark = pytest.mark.servers

ISSUER = "http://127.0.0.1:5000"  # the load balancer's address, the same for both replicas
_addresses = (f"198.51.100.{n}" for n in itertools.count(10))


class Citizen:
    """A browser (one cookie jar) whose requests reach the replica each call names."""

    def __init__(self):
        self.http = requests.Session()
        # Each test is a different citizen to the rate limits (replicas trust 127.0.0.1).
        self.http.headers["X-Forwarded-For"] = next(_addresses)

    def get(self, replica: Replica, path: str) -> requests.Response:
        return self.http.get(replica.url + path, allow_redirects=False, timeout=10)

    def post_form(
        self, replica: Replica, path: str, data: dict, action: str | None = None
    ) -> requests.Response:
        """Open the page at ``path`` and submit its form (to ``action``, default ``path``)."""
        page = self.get(replica, path)
        assert page.status_code == 200, page.text[:500]
        form = {"csrf_token": csrf_of(page.text), **data}
        url = replica.url + (action or path)
        return self.http.post(url, data=form, allow_redirects=False, timeout=10)

    def to_password_step(self, replica: Replica, client_id: str) -> tuple[str, dict]:
        """Authorize and choose the portal account on ``replica``; the password page path."""
        params, verifier = authorization_params(client_id, state="st-replicas", nonce="n-replicas")
        resp = self.get(replica, "/oauth2/authorize?" + urlencode(params))
        assert resp.status_code == 302, resp.text[:500]
        choose = path_of(resp.headers["Location"])
        flow = parse_qs(urlsplit(choose).query)["flow"][0]
        resp = self.post_form(
            replica, choose, {"flow": flow, "method": "password"}, action="/login/method"
        )
        assert resp.status_code == 302, resp.text[:500]
        return path_of(resp.headers["Location"]), {"verifier": verifier}

    def to_otp_step(self, replica: Replica, client_id: str, citizen: dict) -> tuple[str, dict]:
        password_path, request = self.to_password_step(replica, client_id)
        resp = self.post_form(
            replica,
            password_path,
            {"username": citizen["id_number"], "password": citizen["password"]},
        )
        assert resp.status_code == 302, resp.text[:500]
        return path_of(resp.headers["Location"]), request


def path_of(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def alert_of(html: str) -> str:
    match = re.search(r'role="alert"[^>]*>([^<]+)<', html)
    return match.group(1) if match else ""


def test_login_started_on_one_replica_finishes_on_the_other(cluster: Cluster):
    citizen, browser = cluster.citizens[0], Citizen()
    # Authorize, choice and password on A ...
    otp_path, request = browser.to_otp_step(cluster.a, cluster.client["client_id"], citizen)
    # ... the OTP page, the code and the resumed authorization request on B.
    resp = browser.post_form(cluster.b, otp_path, {"otp": cluster.last_otp(citizen["phone_e164"])})
    assert resp.status_code == 302, resp.text[:500]
    resp = browser.get(cluster.b, path_of(resp.headers["Location"]))
    assert resp.status_code == 302
    callback = resp.headers["Location"]
    assert callback.startswith(REDIRECT_URI)
    params = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    assert params["state"] == "st-replicas" and params["iss"] == ISSUER

    # The code B issued is redeemed at A.
    client = (cluster.client["client_id"], cluster.client["client_secret"])
    token_request = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "redirect_uri": REDIRECT_URI,
        "code_verifier": request["verifier"],
    }
    resp = requests.post(cluster.a.url + "/oauth2/token", data=token_request, auth=client)
    assert resp.status_code == 200, resp.text
    tokens = resp.json()

    # The ID token verifies with B's JWKS (one key folder), userinfo answers on B.
    jwks = requests.get(cluster.b.url + "/oauth2/jwks").json()
    header = jwt.get_unverified_header(tokens["id_token"])
    key = jwt.PyJWK.from_dict(next(k for k in jwks["keys"] if k["kid"] == header["kid"]))
    claims = jwt.decode(
        tokens["id_token"],
        key.key,
        algorithms=[header["alg"]],
        audience=cluster.client["client_id"],
        issuer=ISSUER,
    )
    assert claims["sub"] == citizen["sub"] and claims["nonce"] == "n-replicas"
    info = requests.get(
        cluster.b.url + "/oauth2/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert info.status_code == 200 and info.json()["name"] == citizen["full_name"]

    # A second redemption, on B, is refused and revokes what the first one issued at A.
    again = requests.post(cluster.b.url + "/oauth2/token", data=token_request, auth=client)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    info = requests.get(
        cluster.a.url + "/oauth2/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert info.status_code == 401

    # B's granian workers report the login together (PROMETHEUS_MULTIPROC_DIR).
    metrics = requests.get(cluster.b.url + "/metrics").text
    assert re.search(r'^idp_logins_total\{result="success"\} [1-9]', metrics, re.M)


def test_wrong_otps_on_both_replicas_add_up_to_the_limit(cluster: Cluster):
    citizen, browser = cluster.citizens[1], Citizen()
    otp_path, _ = browser.to_otp_step(cluster.b, cluster.client["client_id"], citizen)
    code = cluster.last_otp(citizen["phone_e164"])
    wrong = "000000" if code != "000000" else "111111"
    for replica, tries_left in zip(
        (cluster.a, cluster.b, cluster.a, cluster.b), (4, 3, 2, 1), strict=True
    ):
        resp = browser.post_form(replica, otp_path, {"otp": wrong})
        assert resp.status_code == 400
        assert alert_of(resp.text) == f"Mã OTP không đúng. Bạn còn {tries_left} lần thử."
    resp = browser.post_form(cluster.a, otp_path, {"otp": wrong})
    assert "Bạn đã nhập sai mã OTP 5 lần" in alert_of(resp.text)
    # The code is gone everywhere: the right one no longer works on B either.
    resp = browser.post_form(cluster.b, otp_path, {"otp": code})
    assert resp.status_code == 400
    assert "hết hạn hoặc không còn hiệu lực" in alert_of(resp.text)


def test_rate_limits_are_counted_across_replicas(cluster: Cluster):
    browser = Citizen()  # 4 password POSTs an hour per client address (replica_env)
    password_path, _ = browser.to_password_step(cluster.a, cluster.client["client_id"])
    wrong = {"username": "066090009999", "password": "khongdung123"}
    for replica in (cluster.a, cluster.b, cluster.a, cluster.b):
        assert browser.post_form(replica, password_path, wrong).status_code == 400
    for replica in (cluster.a, cluster.b):
        resp = browser.post_form(replica, password_path, wrong)
        assert resp.status_code == 429
        assert "Bạn thao tác quá nhiều lần" in resp.text
    # Another citizen behind the same load balancer is not affected.
    other = Citizen()
    password_path, _ = other.to_password_step(cluster.b, cluster.client["client_id"])
    assert other.post_form(cluster.b, password_path, wrong).status_code == 400


def _sign_in_for_tokens(cluster: Cluster, citizen: dict, replica: Replica) -> dict:
    """The whole code flow on ``replica``; the token response."""
    browser = Citizen()
    otp_path, request = browser.to_otp_step(replica, cluster.client["client_id"], citizen)
    resp = browser.post_form(replica, otp_path, {"otp": cluster.last_otp(citizen["phone_e164"])})
    assert resp.status_code == 302, resp.text[:500]
    callback = browser.get(replica, path_of(resp.headers["Location"])).headers["Location"]
    code = parse_qs(urlsplit(callback).query)["code"][0]
    token_request = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": request["verifier"],
    }
    auth = (cluster.client["client_id"], cluster.client["client_secret"])
    resp = requests.post(replica.url + "/oauth2/token", data=token_request, auth=auth)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_a_revocation_on_one_replica_is_seen_at_once_by_the_other(cluster: Cluster):
    tokens = _sign_in_for_tokens(cluster, cluster.citizens[1], cluster.a)
    auth = (cluster.client["client_id"], cluster.client["client_secret"])
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert requests.get(cluster.b.url + "/oauth2/userinfo", headers=bearer).status_code == 200
    # RFC 7009 on B: revoking the refresh token revokes its access token too, on A as well.
    resp = requests.post(
        cluster.b.url + "/oauth2/revoke", data={"token": tokens["refresh_token"]}, auth=auth
    )
    assert resp.status_code == 200
    assert requests.get(cluster.a.url + "/oauth2/userinfo", headers=bearer).status_code == 401
    resp = requests.post(
        cluster.a.url + "/oauth2/introspect", data={"token": tokens["access_token"]}, auth=auth
    )
    assert resp.json() == {"active": False}
