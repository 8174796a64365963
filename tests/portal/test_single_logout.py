"""Single logout across portals: RP-Initiated Logout at one, Back-Channel Logout to all."""

from __future__ import annotations

import pytest
import requests

from tests.portal.citizen_browser import query_of
from tests.portal.conftest import sign_in

pytestmark = pytest.mark.servers


def audit_events(provider, event: str) -> list:
    from idp.audit import AuditEvent
    from idp.extensions import db

    with provider.app.app_context():
        return db.session.scalars(db.select(AuditEvent).filter_by(event=event)).all()


def provider_signed_in(browser, provider) -> bool:
    return "bạn đang đăng nhập" in browser.get(provider.url + "/").text


def test_logout_at_one_portal_ends_the_other_through_back_channel(
    provider, portals, citizen, browser, outbox
):
    first, second = portals("Cổng tỉnh thứ nhất"), portals("Cổng tỉnh thứ hai")
    sign_in(browser, first, citizen, outbox)
    assert "Nguyễn Văn An" in browser.get(second.url + "/login/national").text
    home = browser.get(first.url + "/")
    browser.visited.clear()

    page = browser.submit(home, button="Đăng xuất")

    end_session = next(u for u in browser.visited if "/oauth2/logout?" in u)
    params = query_of(end_session)
    assert end_session.startswith(provider.url + "/oauth2/logout?")
    assert params["post_logout_redirect_uri"] == first.url + "/"
    assert params["client_id"] == first.client_id
    assert params["id_token_hint"].count(".") == 2 and params["state"]
    assert page.url == f"{first.url}/?state={params['state']}"
    assert "Bạn đã đăng xuất" in page.text and "Xin chào" not in page.text

    assert first.session_of(browser) is None
    assert second.session_of(browser) is None  # ended by the back-channel logout token
    assert "Xin chào" not in browser.get(second.url + "/").text
    assert not provider_signed_in(browser, provider)
    sent = {event.client_id for event in audit_events(provider, "logout.backchannel_sent")}
    assert sent == {first.client_id, second.client_id}


def test_a_forged_logout_state_is_reported(provider, portals, citizen, browser, outbox):
    portal = portals()
    sign_in(browser, portal, citizen, outbox)
    page = browser.get(portal.url + "/?state=forged")
    assert page.status_code == 400 and "Thử lại" in page.text
    assert "portal.logout_state_invalid" in page.text


def test_an_unreachable_portal_is_retried_and_the_failure_audited(
    provider, portals, citizen, browser, outbox, monkeypatch
):
    import idp.oidc.backchannel as backchannel

    monkeypatch.setattr(backchannel, "BACKOFF_SECONDS", (0.01,))
    first, gone = portals("Cổng còn chạy"), portals("Cổng đã tắt")
    sign_in(browser, first, citizen, outbox)
    browser.get(gone.url + "/login/national")
    from idp.extensions import db
    from idp.oidc.models import Client

    with provider.app.app_context():
        client = db.session.scalar(db.select(Client).filter_by(client_id=gone.client_id))
        metadata = {**client.client_metadata, "backchannel_logout_uri": "http://127.0.0.1:9/"}
        client.set_client_metadata(metadata)
        db.session.commit()

    page = browser.submit(browser.get(first.url + "/"), button="Đăng xuất")

    assert "Bạn đã đăng xuất" in page.text
    assert first.session_of(browser) is None
    failed = audit_events(provider, "logout.backchannel_failed")
    assert [(e.client_id, e.details["attempts"]) for e in failed] == [(gone.client_id, 3)]


def mint_logout_token(provider, portal, sid: str, sub: str) -> str:
    from idp.citizens.models import Citizen
    from idp.extensions import db
    from idp.login_session import LoginSession
    from idp.oidc.backchannel import logout_token
    from idp.oidc.server import query_client

    with provider.app.test_request_context():
        citizen = db.session.scalar(db.select(Citizen).filter_by(subject=sub))
        login = LoginSession(citizen.id, sid, 0, ["pwd"], "LoA1", 0, clients=[portal.client_id])
        return logout_token(login, citizen, query_client(portal.client_id))


def test_back_channel_endpoint_ends_the_session_once_and_refuses_a_replay(
    provider, portals, citizen, browser, outbox
):
    portal = portals()
    sign_in(browser, portal, citizen, outbox)
    signed_in = portal.session_of(browser)["citizen"]
    token = mint_logout_token(provider, portal, signed_in["sid"], signed_in["sub"])

    first = requests.post(f"{portal.url}/backchannel-logout", data={"logout_token": token})
    replay = requests.post(f"{portal.url}/backchannel-logout", data={"logout_token": token})

    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    assert portal.session_of(browser) is None
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "body", [{}, {"logout_token": "garbage"}, {"logout_token": "a.b.c"}, {"other": "x"}]
)
def test_back_channel_endpoint_refuses_bad_tokens_with_400(provider, portals, body):
    portal = portals()
    response = requests.post(f"{portal.url}/backchannel-logout", data=body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_an_id_token_cannot_be_used_as_a_logout_token(provider, portals, citizen, browser, outbox):
    portal = portals()
    sign_in(browser, portal, citizen, outbox)
    id_token = portal.session_of(browser)["tokens"]["id_token"]
    response = requests.post(f"{portal.url}/backchannel-logout", data={"logout_token": id_token})
    assert response.status_code == 400
    assert portal.session_of(browser) is not None
