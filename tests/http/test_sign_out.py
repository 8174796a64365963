"""Every way the provider ends a citizen's sessions (``idp.sign_out``): the agencies of each
ended session get a back-channel logout token, and the tokens issued in it stop working.

Covered here: RP-initiated logout (only that session's tokens), the password reset, an
operator locking the citizen in the console, a complaint that locks the account.
"""

from __future__ import annotations

from urllib.parse import urlencode

import jwt
import pytest

from tests.conftest import REDIRECT_URI, create_other_citizen, query_of
from tests.http.driver import Browser
from tests.http.test_account_sessions import LogoutReceiver
from tests.http.test_code_flow import redeem
from tests.http.test_console import Console, make_operator
from tests.http.test_console_actions import file_complaint
from tests.http.test_recovery import NEW_PASSWORD, RecoveryBrowser


@pytest.fixture
def receiver():
    receiver = LogoutReceiver()
    with receiver.server:
        yield receiver


@pytest.fixture
def agency(app, receiver) -> dict:
    """A trusted agency with refresh tokens and a back-channel logout endpoint."""
    from idp.oidc.clients import create_client

    with app.app_context():
        client_id, secret = create_client(
            name="Cổng DVC tỉnh Đắk Lắk",
            redirect_uris=[REDIRECT_URI],
            post_logout_redirect_uris=["http://127.0.0.1:5001/"],
            backchannel_logout_uri=f"{receiver.server.url}/backchannel-logout",
            scope="openid profile phone offline_access",
            trusted=True,
        )
    return {"client_id": client_id, "client_secret": secret}


def signed_in_at(app, outbox, citizen, client) -> tuple[Browser, dict]:
    """A browser signed in through ``client``, and the tokens the client got (with sid)."""
    browser = Browser(app, outbox)
    url, req = browser.authorize_url(client["client_id"], scope="openid profile offline_access")
    resp = browser.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    assert resp.location.startswith(REDIRECT_URI), resp.location
    resp = redeem(browser.http, client, query_of(resp.location)["code"], req["verifier"])
    assert resp.status_code == 200, resp.get_data(as_text=True)
    tokens = resp.get_json()
    assert "refresh_token" in tokens
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    return browser, {**tokens, "sid": claims["sid"]}


def refresh(http, client, refresh_token):
    return http.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(client["client_id"], client["client_secret"]),
    )


def introspect(http, client, token) -> dict:
    return http.post(
        "/oauth2/introspect",
        data={"token": token},
        auth=(client["client_id"], client["client_secret"]),
    ).get_json()


def assert_dead(http, client, tokens):
    """Neither token of the pair works any more."""
    assert introspect(http, client, tokens["access_token"]) == {"active": False}
    assert introspect(http, client, tokens["refresh_token"]) == {"active": False}
    resp = refresh(http, client, tokens["refresh_token"])
    assert resp.status_code == 400 and resp.get_json()["error"] == "invalid_grant"
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert http.get("/oauth2/userinfo", headers=auth).status_code == 401


def assert_told(receiver: LogoutReceiver, client: dict, sids: set[str]):
    """The agency received exactly one logout token per ended session."""
    claims = [jwt.decode(t, options={"verify_signature": False}) for t in receiver.tokens]
    assert sorted(c["sid"] for c in claims) == sorted(sids)
    assert {c["aud"] for c in claims} == {client["client_id"]}


def test_rp_initiated_logout_revokes_that_sessions_tokens_only(
    app, outbox, citizen, agency, receiver
):
    browser, tokens = signed_in_at(app, outbox, citizen, agency)
    other_browser, other = signed_in_at(app, outbox, citizen, agency)
    # Rotated once before the logout: the new pair is bound to the same session.
    rotated = refresh(browser.http, agency, tokens["refresh_token"]).get_json()
    rotated["sid"] = tokens["sid"]
    assert introspect(browser.http, agency, rotated["access_token"])["active"] is True

    query = urlencode(
        {
            "id_token_hint": tokens["id_token"],
            "client_id": agency["client_id"],
            "post_logout_redirect_uri": "http://127.0.0.1:5001/",
        }
    )
    resp = browser.get(f"/oauth2/logout?{query}")
    assert resp.status_code == 302 and resp.location.startswith("http://127.0.0.1:5001/")

    assert_dead(browser.http, agency, rotated)
    assert introspect(browser.http, agency, tokens["access_token"]) == {"active": False}
    assert_told(receiver, agency, {tokens["sid"]})
    # The citizen's other browser (another session) and its tokens are untouched.
    assert introspect(other_browser.http, agency, other["access_token"])["active"] is True
    assert refresh(other_browser.http, agency, other["refresh_token"]).status_code == 200


def test_password_reset_tells_the_agencies_of_every_session(app, outbox, citizen, agency, receiver):
    first, tokens = signed_in_at(app, outbox, citizen, agency)
    _second, more = signed_in_at(app, outbox, citizen, agency)

    rec = RecoveryBrowser(app, outbox)
    resp = rec.identify(citizen["id_number"], citizen["phone"])
    resp = rec.submit_otp(resp.location, outbox.last_otp(citizen["phone_e164"]))
    resp = rec.submit_password(resp.location, NEW_PASSWORD)
    assert resp.status_code == 302 and resp.location == "/recovery/done"

    assert_told(receiver, agency, {tokens["sid"], more["sid"]})
    assert_dead(first.http, agency, tokens)
    assert_dead(first.http, agency, more)


def test_locking_a_citizen_in_the_console_tells_the_agencies(
    app, outbox, citizen, agency, receiver
):
    browser, tokens = signed_in_at(app, outbox, citizen, agency)
    console = Console(app)
    assert console.sign_in(make_operator(app)).status_code == 302

    locked = console.post(f"/console/citizens/{citizen['id']}/lock", reason="Yêu cầu của công an")
    assert locked.status_code == 302
    assert_told(receiver, agency, {tokens["sid"]})
    assert_dead(browser.http, agency, tokens)


def test_a_complaint_that_locks_the_account_tells_the_agencies(
    app, outbox, citizen, agency, receiver
):
    browser, tokens = signed_in_at(app, outbox, citizen, agency)
    reference = file_complaint(app, citizen["id_number"])
    console = Console(app)
    assert console.sign_in(make_operator(app)).status_code == 302

    resp = console.post(
        f"/console/complaints/{reference}/resolve", action="lock-account", note="Đã xác minh."
    )
    assert resp.status_code == 302
    assert_told(receiver, agency, {tokens["sid"]})
    assert_dead(browser.http, agency, tokens)


def login_again(browser: Browser, client: dict, person: dict, **extra) -> dict:
    """Sign ``person`` in on ``browser`` through ``client`` again; the new tokens (with sid)."""
    url, req = browser.authorize_url(client["client_id"], scope="openid offline_access", **extra)
    resp = browser.login(url, person["id_number"], person["password"], person["phone_e164"])
    assert resp.location.startswith(REDIRECT_URI), resp.location
    resp = redeem(browser.http, client, query_of(resp.location)["code"], req["verifier"])
    assert resp.status_code == 200, resp.get_data(as_text=True)
    tokens = resp.get_json()
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    return {**tokens, "sid": claims["sid"]}


def test_prompt_login_on_a_signed_in_browser_ends_the_old_session_with_its_tokens(
    app, outbox, citizen, agency, receiver
):
    from idp.login_session import sessions_of

    browser, old = signed_in_at(app, outbox, citizen, agency)
    new = login_again(browser, agency, citizen, prompt="login")

    assert new["sid"] != old["sid"]
    assert_told(receiver, agency, {old["sid"]})
    assert_dead(browser.http, agency, old)
    # The new session and its tokens are untouched.
    assert introspect(browser.http, agency, new["access_token"])["active"] is True
    assert refresh(browser.http, agency, new["refresh_token"]).status_code == 200
    with app.app_context():
        assert [s.sid for s in sessions_of(citizen["id"])] == [new["sid"]]


def test_another_citizen_signing_in_on_the_same_browser_ends_the_first_ones_session(
    app, outbox, citizen, agency, receiver
):
    from idp.login_session import sessions_of

    other = create_other_citizen(app)
    other_id = other["id"]
    browser, first = signed_in_at(app, outbox, citizen, agency)
    second = login_again(browser, agency, other, prompt="login")

    assert_told(receiver, agency, {first["sid"]})
    assert_dead(browser.http, agency, first)
    assert introspect(browser.http, agency, second["access_token"])["active"] is True
    with app.app_context():
        assert sessions_of(citizen["id"]) == []
        assert [s.sid for s in sessions_of(other_id)] == [second["sid"]]
