"""Signed-in browsers on the account page: device, approximate place and time, "Đăng xuất"
per session and "Đăng xuất khỏi tất cả thiết bị" with back-channel logout to agencies."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import jwt
import pytest
from flask import Flask, request

from tests.conftest import REDIRECT_URI
from tests.http.test_account_profile import AccountBrowser, signed_in_browser
from tests.live import LiveServer

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0"


def browser_with(app, outbox, citizen, user_agent: str, ip: str = "127.0.0.1"):
    browser = AccountBrowser(app, outbox)
    browser.http.environ_base.update(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)
    resp = browser.sign_in(citizen)
    assert resp.status_code == 302 and resp.location == "/account"
    return browser


def sids(app, citizen_id: int) -> set[str]:
    from idp.login_session import sessions_of

    with app.app_context():
        return {s.sid for s in sessions_of(citizen_id)}


def end(browser: AccountBrowser, sid: str):
    return browser.submit("/account/sessions", "/account/sessions/end", {"sid": sid})


def is_signed_in(browser: AccountBrowser) -> bool:
    return browser.get("/account").status_code == 200


@pytest.mark.parametrize(
    "user_agent, browser, system",
    [
        (CHROME_WINDOWS, "Chrome", "Windows"),
        (FIREFOX_ANDROID, "Firefox", "Android"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "coc_coc_browser/124.0.234 Chrome/118.0.5993.234 Safari/537.36",
            "Cốc Cốc",
            "Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
            "Microsoft Edge",
            "macOS",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari",
            "iOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-A536E) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
            "Samsung Internet",
            "Android",
        ),
        ("curl/8.5.0", None, None),
        ("", None, None),
    ],
)
def test_the_device_is_read_from_the_user_agent(user_agent, browser, system):
    from idp.account.devices import Device, describe_user_agent

    assert describe_user_agent(user_agent) == Device(browser, system)


@pytest.mark.parametrize(
    "ip, place",
    [
        ("127.0.0.1", "local"),
        ("::1", "local"),
        ("10.1.2.3", "local"),
        ("192.168.1.20", "local"),
        ("172.16.0.9", "local"),
        ("fe80::1", "local"),
        ("14.160.32.10", "unknown"),
        ("2001:ee0::1", "unknown"),
        ("", "unknown"),
        ("không phải IP", "unknown"),
    ],
)
def test_the_place_is_only_local_or_unknown(ip, place):
    from idp.account.devices import place_of

    assert place_of(ip) == place


def test_sessions_page_lists_every_browser(app, outbox, citizen):
    mine = browser_with(app, outbox, citizen, CHROME_WINDOWS)
    browser_with(app, outbox, citizen, FIREFOX_ANDROID, ip="14.160.32.10")
    page = mine.text("/account/sessions")
    assert 'Chrome trên Windows <span class="muted">(thiết bị này)</span>' in page
    assert "Firefox trên Android" in page
    assert "Mạng nội bộ" in page and "(IP 127.0.0.1)" in page
    assert "Không xác định" in page and "(IP 14.160.32.10)" in page
    assert page.count(">Đăng xuất</button>") == 3  # one per session, and this browser's
    assert page.count('action="/account/sessions/end"') == 2
    assert "Đăng xuất khỏi tất cả thiết bị" in page
    assert page.index("thiết bị này") < page.index("Firefox")  # this browser first


def test_sign_out_another_browser_then_again(app, outbox, citizen):
    mine = browser_with(app, outbox, citizen, CHROME_WINDOWS)
    before = sids(app, citizen["id"])
    other = browser_with(app, outbox, citizen, FIREFOX_ANDROID)
    (other_sid,) = sids(app, citizen["id"]) - before
    resp = end(mine, other_sid)
    assert resp.status_code == 302 and resp.location == "/account/sessions"
    assert "Đã đăng xuất phiên đăng nhập đó." in mine.text(resp.location)
    assert not is_signed_in(other) and is_signed_in(mine)
    resp = end(mine, other_sid)
    assert "Phiên đăng nhập này đã kết thúc trước đó" in mine.text(resp.location)


def test_sign_out_this_browser(app, outbox, citizen):
    mine = browser_with(app, outbox, citizen, CHROME_WINDOWS)
    (sid,) = sids(app, citizen["id"])
    resp = end(mine, sid)
    assert resp.status_code == 303 and resp.location == "/account/signed-out"
    assert "Bạn đã đăng xuất khỏi thiết bị này." in mine.text(resp.location)
    assert "Bạn đã đăng xuất khỏi thiết bị này." in mine.text(resp.location)  # reload
    assert not is_signed_in(mine) and sids(app, citizen["id"]) == set()


def test_a_session_of_another_citizen_cannot_be_ended(app, outbox, citizen, other_citizen):
    stranger = signed_in_browser(app, outbox, other_citizen)
    mine = signed_in_browser(app, outbox, citizen)
    (other_sid,) = sids(app, other_citizen["id"])
    for sid in (other_sid, "khong-ton-tai", "x" * 200):
        resp = end(mine, sid)
        assert "Phiên đăng nhập này đã kết thúc trước đó" in mine.text(resp.location)
    assert is_signed_in(stranger)


class LogoutReceiver:
    """An agency's back-channel logout endpoint on 127.0.0.1, recording logout tokens."""

    def __init__(self):
        self.tokens: list[str] = []
        self.lock = threading.Lock()
        receiver = Flask("receiver")

        @receiver.post("/backchannel-logout")
        def receive():
            with self.lock:
                self.tokens.append(request.form["logout_token"])
            return "", 200

        self.server = LiveServer(receiver)


def test_sign_out_everywhere_ends_every_session_and_tells_the_agencies(app, outbox, citizen):
    from idp.oidc.clients import create_client

    receiver = LogoutReceiver()
    with receiver.server:
        with app.app_context():
            client_id, _secret = create_client(
                name="Cổng DVC tỉnh Đắk Lắk",
                redirect_uris=[REDIRECT_URI],
                backchannel_logout_uri=f"{receiver.server.url}/backchannel-logout",
                trusted=True,
            )
        portal_user = AccountBrowser(app, outbox)  # signed in through the agency
        url, _ = portal_user.authorize_url(client_id)
        resp = portal_user.login(
            url, citizen["id_number"], citizen["password"], citizen["phone_e164"]
        )
        assert resp.location.startswith(REDIRECT_URI)
        (portal_sid,) = sids(app, citizen["id"])
        mine = browser_with(app, outbox, citizen, CHROME_WINDOWS)
        assert len(sids(app, citizen["id"])) == 2

        resp = mine.submit("/account/sessions", "/account/sessions/end-all", {})
        assert resp.status_code == 303 and resp.location == "/account/signed-out"
        page = mine.text(resp.location)
        assert "Bạn đã đăng xuất khỏi tất cả thiết bị (2 phiên đăng nhập)" in page
        assert sids(app, citizen["id"]) == set()
        assert not is_signed_in(mine) and not is_signed_in(portal_user)
        assert len(receiver.tokens) == 1
        claims = jwt.decode(receiver.tokens[0], options={"verify_signature": False})
        assert claims["sid"] == portal_sid and claims["aud"] == client_id
    assert urlsplit(mine.get("/account").location).path == "/login"
