"""POST/redirect/GET on every page that takes a form (issue 9, item 13).

A POST that succeeds, and every "Gửi lại OTP", answers with a redirect to a GET that
re-renders the page from the server's state; only a refused form is answered in the
POST's own response (4xx). So reloading, switching the language or pressing Back never
lands on a form's address (405, or the browser offering to send the form again).

The class-level guard records the answer to every POST while the citizen's, the
operator's and the agency's journeys run, and checks, for every URL rule that takes a
POST on a page, that it was reached with a success (3xx) and never answered 2xx. A new
POST view is caught here until a journey reaches it.
"""

from __future__ import annotations

import re
import shutil
import time
from collections import defaultdict
from urllib.parse import urlencode, urlsplit

import pyotp
import pytest
import requests
from flask import request

from tests.conftest import CITIZEN, query_of
from tests.http.driver import Browser
from tests.http.registration_driver import (
    NEWCOMER,
    NEWCOMER_E164,
    PASSWORD,
    RegistrationBrowser,
    form_actions,
    import_registry,
)
from tests.http.test_account_profile import AccountBrowser
from tests.http.test_account_totp import choose, enrol, enter_recovery_code, to_second_factor
from tests.http.test_complaint import COMPLAINANT, PNG, REFERENCE
from tests.http.test_complaint import submit as submit_complaint
from tests.http.test_console import Console, make_operator
from tests.http.test_console_actions import confidential_client
from tests.http.test_recovery import RecoveryBrowser
from tests.http.test_token_lifecycle import make_client

# Endpoints that answer programs (RFC status codes and JSON), not pages.
PROTOCOL_ENDPOINTS = {
    "oidc.token": "RFC 6749 §3.2",
    "oidc.introspect": "RFC 7662",
    "oidc.revoke": "RFC 7009",
    "par.push": "RFC 9126 §2: 201 with a request_uri, or a JSON error",
    "oidc.userinfo": "OIDC Core §5.3",
    "client_registration.register": "RFC 7591",
    "authorize.authorize": "RFC 6749 §3.1: a redirect or an error page, GET or POST",
    "federation.backchannel_logout": "Back-Channel Logout 1.0 §2.8, from an upstream",
}
CHANGED_PHONE = "0903123456"
LOST_PHONE_NEW = "0903987654"


def _federation(app, outbox, folder, clock) -> None:
    """Through the VNeID emulator (served over HTTP) to a new account whose phone number
    the citizen gives: the upstream button, the phone form, "Gửi lại OTP" and the code."""
    from idp import vneid_emulator as emulator
    from idp.federation.models import Upstream
    from tests.federation.emulator import redirects_until, sign_in_at_emulator, start_emulator

    issuer = app.config["IDP_ISSUER"]
    vneid, server = start_emulator(folder, issuer, clock)
    try:
        emulator.configure_provider(app, vneid.issuer, vneid.secret)
        with app.app_context():
            from idp.extensions import db

            db.session.get(Upstream, emulator.NAME).phone_claim = None  # ask the citizen
            db.session.commit()
        _, person = emulator.CITIZENS
        import_registry(app, (person["phone"], person["id_number"]))
        browser = Browser(app, outbox)
        trusted = make_client(app, trusted=True)
        url, _ = browser.authorize_url(trusted["client_id"])
        choose = browser.get(url).location
        flow = query_of(choose)["flow"]
        page = browser.get(choose).get_data(as_text=True)
        to_vneid = browser.post_form("/login/upstream", page, {"flow": flow, "upstream": "vneid"})
        assert to_vneid.status_code == 303
        at_vneid = requests.Session()
        answer = sign_in_at_emulator(
            at_vneid, at_vneid.get(to_vneid.location), person, vneid.outbox, follow=False
        )
        callback = redirects_until(at_vneid, answer, issuer)
        phone_url = browser.get(callback.removeprefix(issuer)).location
        page = browser.get(phone_url).get_data(as_text=True)
        otp_url = browser.post_form(phone_url, page, {"flow": flow, "phone": person["phone"]})
        otp_url = otp_url.location
        page = browser.get(otp_url).get_data(as_text=True)
        resend = browser.post_form(f"/login/upstream/otp/resend?flow={flow}", page, {})
        assert resend.status_code == 303 and resend.location == otp_url
        code = outbox.last_otp("+84" + person["phone"][1:])
        assert browser.submit_otp(otp_url, code).status_code == 302
        # The new account has no password: the citizen sets one, then unlinks VNeID.
        page = browser.get("/account/password").get_data(as_text=True)
        first = {"password": "matkhaumai2027", "password_confirm": "matkhaumai2027"}
        assert browser.post_form("/account/password", page, first).status_code == 302
        page = browser.get("/account/linked-identities").get_data(as_text=True)
        link_id = re.search(r'name="link_id" value="(\d+)"', page).group(1)
        unlinked = browser.post_form(
            "/account/linked-identities/unlink", page, {"link_id": link_id}
        )
        assert unlinked.status_code == 302
        console = Console(app)
        assert console.sign_in(make_operator(app, "lien.ket")).status_code == 302
        assert console.post("/console/upstreams/vneid/status", action="suspend").status_code
    finally:
        server.stop()


@pytest.fixture
def recorded(app_factory, keys_dir, tmp_path):
    """The provider (with its own signing keys: the console rotates them), and the status
    of every answer to a POST, by endpoint."""
    own_keys = tmp_path / "keys"
    shutil.copytree(keys_dir, own_keys)
    app = app_factory(OTP_MAX_SENDS_PER_HOUR=100, IDP_KEYS_DIR=str(own_keys))
    answers: dict[str, list[int]] = defaultdict(list)

    @app.after_request
    def record(response):
        if request.method == "POST" and request.endpoint:
            answers[request.endpoint].append(response.status_code)
        return response

    return app, answers


def _citizen(app) -> dict:
    from idp.citizens.creation import create_citizen

    with app.app_context():
        made = create_citizen(**CITIZEN, actor="test")
        return {"id": made.id, "sub": made.subject, **CITIZEN, "phone_e164": made.phone}


def _sids(app, citizen_id: int) -> set[str]:
    from idp.login_session import sessions_of

    with app.test_request_context():
        return {s.sid for s in sessions_of(citizen_id)}


def _complaint(app) -> str:
    http = app.test_client()
    resp = submit_complaint(http, COMPLAINANT, [("cccd.png", PNG)])
    assert resp.status_code == 302
    return REFERENCE.search(http.get(resp.location).get_data(as_text=True)).group(0)


def _registration_and_recovery(app, outbox) -> None:
    import_registry(app, (NEWCOMER["phone"], NEWCOMER["id_number"]))
    reg = RegistrationBrowser(app, outbox)
    otp_url = reg.up_to_otp(NEWCOMER)
    assert "Vui lòng chờ" in reg.resend_otp(otp_url).get_data(as_text=True)
    password_url = reg.submit_otp(otp_url, outbox.last_otp(NEWCOMER_E164)).location
    assert reg.submit_password(password_url, PASSWORD).status_code == 302
    again = RegistrationBrowser(app, outbox)  # the number now has an account
    details_url = again.choose(again.start())
    assert again.submit_details(details_url, NEWCOMER).status_code == 303

    rec = RecoveryBrowser(app, outbox)
    otp_url = rec.identify(NEWCOMER["id_number"], NEWCOMER["phone"]).location
    rec.resend_otp(otp_url)
    password_url = rec.submit_otp(otp_url, outbox.last_otp(NEWCOMER_E164)).location
    assert rec.submit_password(password_url, "matkhaumoi2027").status_code == 302


def _login_consent_and_logout(app, outbox, citizen: dict) -> None:
    trusted = make_client(app, trusted=True, post_logout_redirect_uris=["http://127.0.0.1:5001/"])
    browser = Browser(app, outbox)
    url, _ = browser.authorize_url(trusted["client_id"])
    otp_url = browser.submit_password(
        browser.start_login(url), citizen["id_number"], citizen["password"]
    ).location
    page = browser.get(otp_url).get_data(as_text=True)
    flow = query_of(otp_url)["flow"]
    resp = browser.post_form(f"/login/otp/resend?flow={flow}", page, {})
    assert resp.status_code == 303 and resp.location == otp_url
    assert browser.submit_otp(otp_url, outbox.last_otp()).status_code == 302

    untrusted = make_client(app, name="Sở Tư pháp", scope="openid profile")
    url, _ = browser.authorize_url(untrusted["client_id"], scope="openid profile")
    consent_url = browser.get(url).location
    assert urlsplit(consent_url).path == "/consent"
    assert browser.decide_consent(consent_url).status_code == 302

    confirm = browser.get("/oauth2/logout?" + urlencode({"client_id": trusted["client_id"]}))
    page = confirm.get_data(as_text=True)
    resp = browser.post_form("/oauth2/logout", page, {"confirm": "yes"})
    assert resp.status_code == 303 and resp.location == "/oauth2/logout/done"
    assert browser.get(resp.location).status_code == 200


def _account(app, outbox, citizen: dict) -> None:
    import_registry(
        app, (CHANGED_PHONE, citizen["id_number"]), (LOST_PHONE_NEW, citizen["id_number"])
    )
    agency = make_client(app, name="Sở Y tế", scope="openid profile")
    account, secret, _codes = enrol(app, outbox, citizen)
    account.submit("/account", "/account/email", {"email": "an@example.vn"})
    with app.app_context():
        from idp.oidc.consent import remember_consent

        remember_consent(citizen["id"], agency["client_id"], "openid profile")
    account.submit("/account/agencies", "/account/agencies/revoke", agency)
    codes = account.submit(
        "/account/authenticator",
        "/account/authenticator/recovery-codes",
        {"current_password": citizen["password"]},
    )
    recovery_code = account.text(codes.location).split("<li><code>")[1].split("<")[0]

    with_app = AccountBrowser(app, outbox)  # the app's code
    totp_url = choose(with_app, to_second_factor(with_app, citizen), "totp").location
    flow = query_of(totp_url)["flow"]
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert with_app.submit(totp_url, f"/login/totp?flow={flow}", {"otp": code}).status_code == 302
    before = _sids(app, citizen["id"])
    with_code = AccountBrowser(app, outbox)  # a recovery code
    totp_url = choose(with_code, to_second_factor(with_code, citizen), "totp").location
    assert enter_recovery_code(with_code, totp_url, recovery_code).status_code == 302
    with_sms = AccountBrowser(app, outbox)  # SMS, chosen on the second-factor page
    assert choose(with_sms, to_second_factor(with_sms, citizen), "sms").status_code == 302
    account.submit(
        "/account/authenticator",
        "/account/authenticator/disable",
        {"current_password": citizen["password"]},
    )

    (with_code_sid,) = _sids(app, citizen["id"]) - before
    account.submit("/account/sessions", "/account/sessions/end", {"sid": with_code_sid})
    assert with_app.submit("/account", "/account/sign-out", {}).status_code == 303
    account.submit(
        "/account/password",
        "/account/password",
        {
            "current_password": citizen["password"],
            "password": "matkhau2027",
            "password_confirm": "matkhau2027",
        },
    )

    old_url = account.submit("/account/phone", "/account/phone", {"phone": CHANGED_PHONE}).location
    resend = urlsplit(old_url).path + "/resend?" + urlsplit(old_url).query
    assert account.submit(old_url, resend, {}).status_code == 303
    assert account.get(old_url).status_code == 429  # too early: said once on the OTP page
    new_url = _enter(account, old_url, outbox.last_otp(citizen["phone_e164"])).location
    assert _enter(account, new_url, outbox.last_otp("+84903123456")).status_code == 302
    lost = {
        "phone": LOST_PHONE_NEW,
        "description": "Tôi bị mất điện thoại cũ, không nhận được tin.",
    }
    new_url = account.submit("/account/phone/lost", "/account/phone/lost", lost).location
    assert _enter(account, new_url, outbox.last_otp("+84903987654")).status_code == 303
    account.submit("/account/sessions", "/account/sessions/end-all", {})


def _enter(account: AccountBrowser, url: str, code: str):
    return account.submit(url, urlsplit(url).path + "?" + urlsplit(url).query, {"otp": code})


def _console(app, citizen: dict, complaint: str) -> None:
    console = Console(app)
    assert console.sign_in(make_operator(app)).status_code == 302
    newcomer = make_operator(app, "kiem.tra", enrolled=False)
    other = Console(app)
    enrol_url = other.submit_password(newcomer["name"], newcomer["password"]).location
    assert other.submit_code(enrol_url, newcomer["totp"].now()).status_code == 302

    pending = confidential_client(app, status="pending")["client_id"]
    assert console.post(f"/console/clients/{pending}/status", action="approve").status_code
    console.post(f"/console/clients/{pending}/secret")
    console.post(f"/console/clients/{pending}/pkce", pkce="exempt")
    console.post(f"/console/clients/{pending}/par", par="required")
    keyed = confidential_client(
        app,
        auth_method="private_key_jwt",
        extra_metadata={"jwks": {"keys": []}, "token_endpoint_auth_method": "private_key_jwt"},
    )["client_id"]
    console.post(f"/console/clients/{keyed}/profile", profile="fapi2")
    console.post(f"/console/citizens/{citizen['id']}/lock", reason="Yêu cầu của công an")
    console.post(f"/console/citizens/{citizen['id']}/unlock")
    console.post(f"/console/complaints/{complaint}/resolve", action="reject", note="Không đủ")
    console.post("/console/keys/rotate")
    console.post("/console/registration-tokens", expires_in="3600")
    console.post("/console/logout")


def test_every_post_on_a_page_answers_success_with_a_redirect(recorded, outbox, tmp_path, clock):
    app, answers = recorded
    citizen = _citizen(app)
    complaint = _complaint(app)
    _registration_and_recovery(app, outbox)
    _login_consent_and_logout(app, outbox, citizen)
    _account(app, outbox, citizen)
    _console(app, citizen, complaint)
    _federation(app, outbox, tmp_path / "vneid", clock)

    page_posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and rule.endpoint not in PROTOCOL_ENDPOINTS
    }
    not_reached = {e for e in page_posts if not any(300 <= s < 400 for s in answers[e])}
    assert not_reached == set(), "no journey reached these POSTs with success"
    rendered = {e: s for e, s in answers.items() if any(200 <= x < 300 for x in s)}
    assert rendered == {}, "a POST answered with a page instead of a redirect"


def test_a_refused_and_an_accepted_resend_redirect_and_say_so_once(app_factory, outbox):
    """ "Gửi lại OTP" is never the page's address: the OTP page says what happened once;
    a reload or a language switch re-renders it (no 405) and sends nothing."""
    app = app_factory()
    import_registry(app, (NEWCOMER["phone"], NEWCOMER["id_number"]))
    reg = RegistrationBrowser(app, outbox)
    otp_url = reg.up_to_otp(NEWCOMER)
    page = reg.get(otp_url).get_data(as_text=True)
    resp = reg.post(form_actions(page)[1], page, {})
    assert resp.status_code == 303 and resp.location == otp_url
    refused = reg.get(otp_url)
    assert refused.status_code == 429 and "Vui lòng chờ" in refused.get_data(as_text=True)
    reloaded = reg.get(otp_url)
    assert reloaded.status_code == 200 and "Vui lòng chờ" not in reloaded.get_data(as_text=True)
    english = reg.get(otp_url + "&lang=en")
    assert english.status_code == 200 and "Resend OTP" in english.get_data(as_text=True)
    assert len(outbox.messages()) == 1


def test_the_portal_posts_redirect_too(app):
    """The portal's one page POST ("Đăng xuất") redirects; its other POST is the
    back-channel logout receiver, answered to the provider, not to a browser."""
    from portal import create_portal_app

    portal = create_portal_app(
        {
            "PORTAL_CLIENT_SECRET": "s",
            "PORTAL_ISSUER": "http://127.0.0.1:9",
            "WTF_CSRF_ENABLED": False,
        }
    )
    posts = {r.endpoint for r in portal.url_map.iter_rules() if "POST" in r.methods}
    assert posts == {"portal.logout", "portal.backchannel_logout"}
    resp = portal.test_client().post("/logout")
    assert resp.status_code in (302, 303) and resp.location == "/"
