"""SMS-pumping defence: per-IP, per-prefix, per-identity-number and global caps, proof of
work near a cap, every refusal a Vietnamese 429 and an ``otp.refused`` audit event."""

from __future__ import annotations

import pytest

from idp.abuse import TooManyRequests
from idp.abuse.proof_of_work import issue_challenge, solve, work_of
from idp.abuse.sms_pumping import network_prefix, send_otp
from tests.http.driver import Browser

NO_CHALLENGE = {"OTP_CHALLENGE_PERCENT": 1000}


def _phone(i: int) -> str:
    return f"+8491{i:07d}"


def _send(app, ip: str, i: int, id_number: str | None = None, form: dict | None = None):
    with app.test_request_context(
        "/", method="POST", data=form or {}, environ_base={"REMOTE_ADDR": ip}
    ):
        return send_otp(f"flow-{ip}-{i}", _phone(i), "login", id_number=id_number)


def _refusals(app) -> list[dict]:
    from idp.audit import AuditEvent
    from idp.extensions import db

    with app.app_context():
        rows = db.session.scalars(db.select(AuditEvent).filter_by(event="otp.refused")).all()
        return [row.details for row in rows]


def test_per_ip_cap(app_factory):
    app = app_factory(OTP_SENDS_PER_IP_PER_HOUR=3, **NO_CHALLENGE)
    for i in range(3):
        _send(app, "198.51.100.7", i)
    with pytest.raises(TooManyRequests) as refused:
        _send(app, "198.51.100.7", 3)
    assert refused.value.problem.code == "otp.sends_limited"
    assert "phút" in refused.value.problem.message
    _send(app, "192.0.2.9", 4)  # another network is not affected
    assert [d["reason"] for d in _refusals(app)] == ["ip"]


def test_per_prefix_cap_ipv4_24(app_factory):
    app = app_factory(OTP_SENDS_PER_PREFIX_PER_HOUR=3, **NO_CHALLENGE)
    for i in range(3):
        _send(app, f"203.0.113.{i + 1}", i)
    with pytest.raises(TooManyRequests):
        _send(app, "203.0.113.200", 3)
    _send(app, "203.0.114.1", 4)
    assert [d["reason"] for d in _refusals(app)] == ["prefix"]


@pytest.mark.parametrize(
    ("address", "prefix"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:1:2::1", "2001:db8:1::/48"),
        ("::ffff:203.0.113.5", "203.0.113.0/24"),
        ("not an address", "unknown"),
    ],
)
def test_network_prefix(address, prefix):
    assert network_prefix(address) == prefix


def test_ipv6_addresses_in_one_48_share_a_counter(app_factory):
    app = app_factory(OTP_SENDS_PER_PREFIX_PER_HOUR=2, **NO_CHALLENGE)
    _send(app, "2001:db8:5:1::1", 0)
    _send(app, "2001:db8:5:ffff::2", 1)
    with pytest.raises(TooManyRequests):
        _send(app, "2001:db8:5:abcd::3", 2)


def test_per_identity_number_cap(app_factory):
    app = app_factory(OTP_SENDS_PER_ID_NUMBER_PER_HOUR=2, **NO_CHALLENGE)
    _send(app, "198.51.100.1", 0, id_number="066090001234")
    _send(app, "192.0.2.1", 1, id_number="066090001234")
    with pytest.raises(TooManyRequests):
        _send(app, "203.0.113.1", 2, id_number="066090001234")
    _send(app, "203.0.113.1", 3, id_number="066090009999")
    assert [d["reason"] for d in _refusals(app)] == ["id_number"]


def test_global_cap_per_minute(app_factory):
    app = app_factory(OTP_SENDS_GLOBAL_PER_MINUTE=2, **NO_CHALLENGE)
    _send(app, "198.51.100.1", 0)
    _send(app, "192.0.2.1", 1)
    with pytest.raises(TooManyRequests) as refused:
        _send(app, "203.0.113.1", 2)
    assert refused.value.problem.code == "otp.system_busy"
    assert [d["reason"] for d in _refusals(app)] == ["global"]


def test_near_the_cap_a_proof_of_work_is_required_once(app_factory):
    app = app_factory(OTP_SENDS_PER_IP_PER_HOUR=5, OTP_CHALLENGE_PERCENT=60, POW_DIFFICULTY_BITS=8)
    for i in range(3):
        _send(app, "198.51.100.7", i)
    with pytest.raises(TooManyRequests) as refused:
        _send(app, "198.51.100.7", 3)
    assert refused.value.problem.code == "otp.proof_of_work_required"
    with app.test_request_context("/"):
        challenge = issue_challenge()
    nonce = solve(challenge.challenge, challenge.difficulty)
    assert work_of(challenge.challenge, nonce) >= 8
    solution = {"pow_challenge": challenge.challenge, "pow_nonce": nonce}
    _send(app, "198.51.100.7", 3, form=solution)
    with pytest.raises(TooManyRequests):  # a solution is accepted once
        _send(app, "198.51.100.7", 4, form=solution)
    with pytest.raises(TooManyRequests):  # a wrong nonce is not a solution
        _send(app, "198.51.100.7", 5, form={"pow_challenge": "0" * 32, "pow_nonce": "1"})
    reasons = [d["reason"] for d in _refusals(app)]
    assert reasons == ["proof_of_work"] * 3


def test_cooldown_refusal_is_audited_and_not_counted(app_factory):
    app = app_factory(OTP_SENDS_PER_IP_PER_HOUR=2, **NO_CHALLENGE)
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "198.51.100.7"}):
        send_otp("one-flow", _phone(1), "login")
        with pytest.raises(TooManyRequests) as refused:
            send_otp("one-flow", _phone(1), "login")
    assert refused.value.problem.code == "otp_cooldown"
    _send(app, "198.51.100.7", 2)  # the refused resend did not use up the IP's second send
    assert [d["reason"] for d in _refusals(app)] == ["otp_cooldown"]


def _password_page(browser, oidc_client):
    url, _ = browser.authorize_url(oidc_client["client_id"])
    return browser.start_login(url)


def test_login_over_the_ip_cap_answers_429_in_vietnamese(app_factory, outbox, citizen, oidc_client):
    app = app_factory(OTP_SENDS_PER_IP_PER_HOUR=1, **NO_CHALLENGE)
    browser = Browser(app, outbox)
    first = browser.submit_password(
        _password_page(browser, oidc_client), citizen["id_number"], citizen["password"]
    )
    assert first.status_code == 302
    other = Browser(app, outbox)
    resp = other.submit_password(
        _password_page(other, oidc_client), citizen["id_number"], citizen["password"]
    )
    assert resp.status_code == 429
    assert "Hệ thống đã gửi quá nhiều mã OTP" in resp.get_data(as_text=True)
    assert len(outbox.messages()) == 1


def test_forms_carry_the_challenge_and_the_script_when_near(app_factory, outbox, oidc_client):
    app = app_factory(OTP_SENDS_PER_IP_PER_HOUR=5, OTP_CHALLENGE_PERCENT=20)
    browser = Browser(app, outbox)
    page = browser.get(_password_page(browser, oidc_client)).get_data(as_text=True)
    assert "pow_challenge" not in page
    _send(app, "127.0.0.1", 0)
    page = browser.get(_password_page(browser, oidc_client)).get_data(as_text=True)
    assert 'name="pow_challenge"' in page and 'name="pow_nonce"' in page
    assert "/static/js/pow.js" in page
    assert "<noscript>" in page and "bật JavaScript" in page


@pytest.mark.parametrize("form", ["/account/phone", "/account/phone/lost"])
def test_account_phone_forms_carry_the_challenge_when_near(app_factory, outbox, citizen, form):
    from tests.http.test_account_profile import signed_in_browser

    app = app_factory(OTP_SENDS_PER_IP_PER_HOUR=5, OTP_CHALLENGE_PERCENT=20)
    account = signed_in_browser(app, outbox, citizen)  # its login OTP is the first send
    page = account.text(form)
    assert 'name="pow_challenge"' in page and 'name="pow_nonce"' in page
    assert "/static/js/pow.js" in page
