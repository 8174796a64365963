"""Forwarded headers count only when the immediate peer is one of TRUSTED_PROXIES."""

from __future__ import annotations

import pytest
from flask import jsonify, request

from idp.address_list import AddressList
from idp.proxy import TrustedProxyFix
from idp.settings import SettingsError
from tests.conftest import csrf_of, query_of

FORWARDED = {
    "X-Forwarded-For": "198.51.100.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "dangnhap.dichvucong.example.vn",
}


def _whoami(app):
    app.add_url_rule(
        "/_test/whoami",
        "whoami",
        lambda: jsonify(ip=request.remote_addr, scheme=request.scheme, host=request.host),
    )
    return app.test_client()


def test_a_trusted_proxy_gives_the_client_address_scheme_and_host(app_factory):
    http = _whoami(app_factory(TRUSTED_PROXIES="127.0.0.1"))
    seen = http.get("/_test/whoami", headers=FORWARDED).get_json()
    assert seen == {
        "ip": "198.51.100.7",
        "scheme": "https",
        "host": "dangnhap.dichvucong.example.vn",
    }


def test_only_the_value_our_proxy_appended_is_believed(app_factory):
    http = _whoami(app_factory(TRUSTED_PROXIES="127.0.0.1"))
    spoofed = {"X-Forwarded-For": "10.9.9.9, 198.51.100.7"}  # first one typed by the client
    assert http.get("/_test/whoami", headers=spoofed).get_json()["ip"] == "198.51.100.7"


def test_a_peer_outside_the_trusted_networks_is_taken_at_its_word_only(app_factory):
    http = _whoami(app_factory(TRUSTED_PROXIES="10.0.0.0/8, fd00::/8"))
    direct = http.get("/_test/whoami", headers=FORWARDED).get_json()
    assert direct["ip"] == "127.0.0.1" and direct["scheme"] == "http"
    via_proxy = http.get(
        "/_test/whoami", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.2.3.4"}
    ).get_json()
    assert via_proxy["ip"] == "198.51.100.7" and via_proxy["scheme"] == "https"


def test_no_trusted_proxies_means_no_forwarded_headers_at_all(app_factory):
    app = app_factory(TRUSTED_PROXIES="")
    assert not isinstance(app.wsgi_app, TrustedProxyFix)
    seen = _whoami(app).get("/_test/whoami", headers=FORWARDED).get_json()
    assert seen["ip"] == "127.0.0.1" and seen["scheme"] == "http"


def test_the_audit_trail_records_the_real_client(app_factory):
    from idp.audit import AuditEvent
    from idp.extensions import db

    app = app_factory(TRUSTED_PROXIES="127.0.0.1")
    http = app.test_client()
    # A failed login is audited with the client's address, not the proxy's.
    choose = http.get("/login", headers=FORWARDED).location
    page = http.get(choose, headers=FORWARDED).get_data(as_text=True)
    flow = query_of(choose)["flow"]
    password_url = http.post(
        "/login/method",
        data={"csrf_token": csrf_of(page), "flow": flow, "method": "password"},
        headers=FORWARDED,
    ).location
    page = http.get(password_url, headers=FORWARDED).get_data(as_text=True)
    http.post(
        password_url,
        data={"csrf_token": csrf_of(page), "username": "066090009999", "password": "sai12345"},
        headers=FORWARDED,
    )
    with app.app_context():
        event = db.session.scalars(
            db.select(AuditEvent).filter_by(event="login.failed").order_by(AuditEvent.id.desc())
        ).first()
    assert event is not None and event.ip == "198.51.100.7"


@pytest.mark.parametrize("bad", ["localhost", "10.0.0.0/33", "1.2.3.4; 5.6.7.8"])
def test_a_malformed_proxy_list_stops_the_provider_at_start(app_factory, bad):
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        app_factory(TRUSTED_PROXIES=bad)


@pytest.mark.parametrize(
    ("address", "inside"),
    [
        ("127.0.0.1", True),
        ("10.200.1.1", True),
        ("::ffff:10.1.1.1", True),  # IPv4-mapped, as a dual-stack socket reports it
        ("fd12::1", True),
        ("192.0.2.1", False),
        ("2001:db8::1", False),
        ("", False),
        ("not-an-ip", False),
        (None, False),
    ],
)
def test_address_lists_hold_addresses_and_networks(address, inside):
    trusted = AddressList.parse("TRUSTED_PROXIES", " 127.0.0.1 ,10.0.0.0/8,, fd00::/8 ")
    assert (address in trusted) is inside
