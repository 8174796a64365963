"""Redis stops in the middle of a citizen's flow: a clear 503 page, no half-made account,
and once Redis is back the citizen starts again and succeeds, the provider never restarted.

The private Redis keeps nothing on disk, so when it comes back every flow, OTP and
session it held is gone, which is the worst case a failover can leave.
"""

from __future__ import annotations

import pytest

from tests.conftest import CITIZEN
from tests.http.driver import Browser
from tests.http.registration_driver import (
    NEWCOMER,
    NEWCOMER_E164,
    PASSWORD,
    RegistrationBrowser,
    citizens_with,
    import_registry,
)

pytestmark = pytest.mark.servers

UNAVAILABLE_TEXT = "Hệ thống đang tạm thời gián đoạn"
FLOW_GONE_TEXT = "Phiên thao tác đã hết hạn hoặc không hợp lệ"


@pytest.fixture
def app(app_factory, private_redis):
    return app_factory(REDIS_URL=private_redis.url)


def _password_url(browser: Browser) -> str:
    choose = browser.get("/login").location
    page = browser.get(choose).get_data(as_text=True)
    flow = choose.split("flow=", 1)[1]
    resp = browser.post_form("/login/method", page, {"flow": flow, "method": "password"})
    assert resp.status_code == 302
    return resp.location


def _login_to_otp(browser: Browser) -> str:
    resp = browser.submit_password(
        _password_url(browser), CITIZEN["id_number"], CITIZEN["password"]
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return resp.location


def test_redis_outage_mid_login_then_a_clean_restart(app, outbox, citizen, private_redis):
    browser = Browser(app, outbox)
    otp_url = _login_to_otp(browser)
    page = browser.get(otp_url).get_data(as_text=True)  # on the citizen's screen

    private_redis.stop()
    resp = browser.post_form(otp_url, page, {"otp": outbox.last_otp(citizen["phone_e164"])})
    assert resp.status_code == 503
    assert UNAVAILABLE_TEXT in resp.get_data(as_text=True)
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["not_ready"] == ["store"]
    assert app.test_client().get("/healthz").status_code == 200

    private_redis.start()  # same port, empty: the flow is gone
    resp = browser.get(otp_url)
    assert resp.status_code == 400
    assert FLOW_GONE_TEXT in resp.get_data(as_text=True)
    assert app.test_client().get("/readyz").status_code == 200

    otp_url = _login_to_otp(browser)
    resp = browser.submit_otp(otp_url, outbox.last_otp(citizen["phone_e164"]))
    assert resp.status_code == 302 and resp.location == "/login/done"
    assert "Nguyễn Văn An" in browser.get("/login/done").get_data(as_text=True)


def test_redis_outage_mid_registration_creates_no_account(app, outbox, private_redis):
    import_registry(app, (NEWCOMER["phone"], NEWCOMER["id_number"]))
    browser = RegistrationBrowser(app, outbox)
    password_url = browser.up_to_password(NEWCOMER, NEWCOMER_E164)
    page = browser.get(password_url).get_data(as_text=True)

    private_redis.stop()
    resp = browser.post(password_url, page, {"password": PASSWORD, "password_confirm": PASSWORD})
    assert resp.status_code == 503
    assert UNAVAILABLE_TEXT in resp.get_data(as_text=True)
    assert citizens_with(app, NEWCOMER["id_number"]) == []

    private_redis.start()
    resp = browser.get(password_url)
    assert resp.status_code == 400
    assert FLOW_GONE_TEXT in resp.get_data(as_text=True)
    assert citizens_with(app, NEWCOMER["id_number"]) == []

    resp = browser.register(NEWCOMER, NEWCOMER_E164)
    assert resp.status_code == 302 and resp.location == "/register/done"
    assert len(citizens_with(app, NEWCOMER["id_number"])) == 1


def test_redis_outage_makes_token_checks_answer_503_never_valid(app, private_redis):
    """Access tokens and their revocations live in the store: while it is down a token
    check cannot tell a revoked token from a live one, so it answers 503 (RFC 6749
    ``temporarily_unavailable``, ``Retry-After``), never 200 and never 500. The Redis
    that comes back empty has lost the opaque token's record: the token is gone (401)."""
    from idp.oidc.clients import create_client

    with app.app_context():
        client_id, secret = create_client(
            name="Cơ quan thử nghiệm",
            redirect_uris=[],
            extra_metadata={"grant_types": ["client_credentials"]},
        )
    http = app.test_client()
    auth = (client_id, secret)
    resp = http.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=auth)
    access = resp.get_json()["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}

    private_redis.stop()
    for resp in (
        http.get("/oauth2/userinfo", headers=bearer),
        http.post("/oauth2/introspect", data={"token": access}, auth=auth),
        http.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=auth),
    ):
        assert resp.status_code == 503
        assert resp.get_json()["error"] == "temporarily_unavailable"
        assert resp.headers["Retry-After"]

    private_redis.start()
    assert http.post("/oauth2/introspect", data={"token": access}, auth=auth).get_json() == {
        "active": False
    }
