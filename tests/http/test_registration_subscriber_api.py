"""Registration with SUBSCRIBER_CHECK=http: a carrier API on 127.0.0.1 that answers, says
no, is down, is too slow, or answers garbage."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.conftest import query_of
from tests.http.registration_driver import (
    NEWCOMER,
    NEWCOMER_E164,
    RegistrationBrowser,
    citizens_with,
)
from tests.live import free_port
from tests.unit.test_subscribers import FakeCarrier

UNAVAILABLE_TEXT = "Hiện chưa kiểm tra được thông tin thuê bao chính chủ với nhà mạng."


def _browser(app_factory, outbox, url: str, timeout: int = 3) -> RegistrationBrowser:
    app = app_factory(
        SUBSCRIBER_CHECK="http",
        SUBSCRIBER_HTTP_URL=url,
        SUBSCRIBER_HTTP_TOKEN="carrier-token",
        SUBSCRIBER_HTTP_TIMEOUT=timeout,
    )
    return RegistrationBrowser(app, outbox)


def test_carrier_says_match_and_the_otp_is_sent(app_factory, outbox):
    with FakeCarrier(body='{"match": true}') as carrier:
        reg = _browser(app_factory, outbox, carrier.url)
        resp = reg.register(NEWCOMER, NEWCOMER_E164)
    assert resp.location == "/register/done"
    assert carrier.requests[0]["json"] == {"phone": NEWCOMER_E164, "id_number": "066195012345"}
    assert carrier.requests[0]["authorization"] == "Bearer carrier-token"
    assert len(citizens_with(reg.app, NEWCOMER["id_number"])) == 1


def test_carrier_says_no_match(app_factory, outbox):
    with FakeCarrier(body='{"match": false}') as carrier:
        reg = _browser(app_factory, outbox, carrier.url)
        resp = reg.submit_details(reg.choose(reg.start()), NEWCOMER)
    assert resp.status_code == 400
    assert "chưa được đăng ký chính chủ" in resp.get_data(as_text=True)
    assert outbox.messages() == []


def _assert_try_again_later(reg, outbox, details_url, resp) -> None:
    assert resp.status_code == 503
    page = resp.get_data(as_text=True)
    assert UNAVAILABLE_TEXT in page and "thử lại sau ít phút" in page
    assert 'value="Trần Thị Bình"' in page  # nothing typed is lost
    assert outbox.messages() == []
    assert citizens_with(reg.app, NEWCOMER["id_number"]) == []
    from idp.services import services

    with reg.app.app_context():  # nothing stored in the flow: still at step 4
        record = services().store.get(f"flow:registration:{query_of(details_url)['flow']}")
    assert record["state"] == "details" and "details" not in record["data"]
    assert reg.get(details_url).status_code == 200


def test_carrier_api_down(app_factory, outbox):
    reg = _browser(app_factory, outbox, f"http://127.0.0.1:{free_port()}/verify")
    details_url = reg.choose(reg.start())
    resp = reg.submit_details(details_url, NEWCOMER)
    _assert_try_again_later(reg, outbox, details_url, resp)


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, "<html>bảo trì</html>"), (200, '{"match": "yes"}'), (502, "Bad Gateway")],
)
def test_carrier_api_answers_garbage(app_factory, outbox, status, body):
    with FakeCarrier(status=status, body=body) as carrier:
        reg = _browser(app_factory, outbox, carrier.url)
        details_url = reg.choose(reg.start())
        resp = reg.submit_details(details_url, NEWCOMER)
        _assert_try_again_later(reg, outbox, details_url, resp)


def test_carrier_api_too_slow(app_factory, outbox):
    with FakeCarrier(delay=2.5) as carrier:
        reg = _browser(app_factory, outbox, carrier.url, timeout=1)
        details_url = reg.choose(reg.start())
        resp = reg.submit_details(details_url, NEWCOMER)
        _assert_try_again_later(reg, outbox, details_url, resp)


def test_carrier_back_up_lets_the_same_flow_continue(app_factory, outbox):
    port = free_port()
    reg = _browser(app_factory, outbox, f"http://127.0.0.1:{port}/verify")
    details_url = reg.choose(reg.start())
    assert reg.submit_details(details_url, NEWCOMER).status_code == 503
    with FakeCarrier(body='{"match": true}', port=port):
        resp = reg.submit_details(details_url, NEWCOMER)
    assert resp.status_code == 302 and urlsplit(resp.location).path == "/register/otp"
    assert [m["to"] for m in outbox.messages()] == [NEWCOMER_E164]
