"""Federation through an upstream that is not this project: node-oidc-provider, over real
HTTP on 127.0.0.1. An agency's code flow completes through the upstream for each path
(a new account, a link made with the local password + SMS OTP, a link refused without
that proof, no account when the upstream may not create one), the ID token says how the
citizen signed in (``acr`` the upstream's level, ``amr`` with ``fed``), the agency sees one
``sub`` whichever way, and the upstream's back-channel logout ends the provider's session
and reaches the agency. Skipped only where Node.js is missing."""

from __future__ import annotations

import pytest

from tests.conftest import CITIZEN
from tests.federation.conftest import KNOWN, NEWCOMER, NEWCOMER_NO_PHONE, csrf_of, flow_of
from tests.federation.node_upstream import end_session, sign_in
from tests.http.registration_driver import import_registry

pytestmark = pytest.mark.servers


def _links(app) -> list[tuple[str, str, int]]:
    from idp.extensions import db
    from idp.federation.models import UpstreamLink

    with app.app_context():
        rows = db.session.scalars(db.select(UpstreamLink)).all()
        return [(row.upstream, row.subject, row.citizen_id) for row in rows]


def _citizen(app, id_number: str):
    from idp.citizens.models import Citizen
    from idp.extensions import db

    with app.app_context():
        found = db.session.scalar(db.select(Citizen).filter_by(id_number=id_number))
        if found is not None:
            db.session.expunge(found)
        return found


def test_the_login_choice_offers_the_upstream_beside_the_portal_account(federation):
    federation.add_upstream(label="Tài khoản định danh điện tử VNeID (thử nghiệm)")
    page, _ = federation.authorize()
    assert "Tài khoản cấp bởi Cổng dịch vụ công quốc gia" in page.text
    assert "Tài khoản định danh điện tử VNeID (thử nghiệm)" in page.text


def test_a_new_citizen_gets_an_account_from_the_upstream_claims(federation):
    federation.add_upstream(create_accounts=True)
    page, verifier = federation.authorize()
    at_upstream = federation.choose(page)
    assert at_upstream.url.startswith(federation.upstream.issuer)
    back = sign_in(federation.browser, at_upstream, "newcomer")
    assert back.url.startswith(federation.agency.url + "/callback"), back.url
    token = federation.redeem(back.url, verifier)
    claims = federation.id_token_claims(token)
    assert claims["acr"] == "LoA2"
    assert claims["amr"] == ["fed"]
    created = _citizen(federation.app, NEWCOMER["citizen_id"])
    assert created.full_name == NEWCOMER["name"]
    assert created.date_of_birth.isoformat() == NEWCOMER["birthdate"]
    assert created.phone == NEWCOMER["phone_number"]
    assert created.gender == "female"  # from the CCCD's century-and-gender digit
    assert claims["sub"] == created.subject
    [(upstream, _, citizen_id)] = _links(federation.app)
    assert (upstream, citizen_id) == ("node", created.id)
    # The account has no password: the password step refuses every guess alike.
    from idp.citizens.creation import has_password

    with federation.app.app_context():
        assert not has_password(created)


def test_a_new_citizen_without_a_phone_claim_confirms_their_own_number(federation):
    federation.add_upstream(create_accounts=True)
    import_registry(federation.app, ("0903111222", NEWCOMER_NO_PHONE["citizen_id"]))
    page, verifier = federation.authorize()
    asked = sign_in(federation.browser, federation.choose(page), "newcomer-no-phone")
    assert "/login/upstream/phone" in asked.url
    flow = flow_of(asked)
    someone_elses = federation.browser.post(
        asked.url, data={"csrf_token": csrf_of(asked.text), "flow": flow, "phone": "0987000111"}
    )
    assert someone_elses.status_code == 400
    assert "chính chủ" in someone_elses.text or "không đăng ký" in someone_elses.text
    otp_page = federation.browser.post(
        asked.url, data={"csrf_token": csrf_of(asked.text), "flow": flow, "phone": "0903 111 222"}
    )
    assert "/login/upstream/otp" in otp_page.url
    code = federation.outbox.last_otp("+84903111222")
    back = federation.browser.post(
        otp_page.url, data={"csrf_token": csrf_of(otp_page.text), "flow": flow, "otp": code}
    )
    assert back.url.startswith(federation.agency.url + "/callback"), back.url
    federation.redeem(back.url, verifier)
    assert _citizen(federation.app, NEWCOMER_NO_PHONE["citizen_id"]).phone == "+84903111222"


def test_an_existing_account_is_linked_after_password_and_sms_otp(federation, citizen):
    federation.add_upstream(create_accounts=True)
    # The agency first knows the citizen from a password login ...
    page, verifier = federation.authorize()
    from tests.federation.driver import password_login

    back = password_login(federation, page, citizen)
    first_sub = federation.id_token_claims(federation.redeem(back.url, verifier))["sub"]
    federation.browser.cookies.clear()
    # ... then the citizen signs in with the upstream: the proof is asked for once.
    page, verifier = federation.authorize()
    proof = sign_in(federation.browser, federation.choose(page), "known")
    assert "/login/password" in proof.url
    assert f'value="{CITIZEN["id_number"]}"' in proof.text and "readonly" in proof.text
    # Another account's user name in the form changes nothing: the upstream's number counts.
    back = password_login(federation, proof, {**citizen, "id_number": "000000001"}, started=True)
    token = federation.redeem(back.url, verifier)
    claims = federation.id_token_claims(token)
    assert claims["sub"] == first_sub  # the agency sees the same citizen
    assert claims["acr"] == "LoA2"
    assert set(claims["amr"]) >= {"fed", "pwd", "sms"}
    assert [(name, cid) for name, _, cid in _links(federation.app)] == [("node", citizen["id"])]
    # Linked: the next sign-in through the upstream needs nothing more.
    federation.browser.cookies.clear()
    page, verifier = federation.authorize()
    back = sign_in(federation.browser, federation.choose(page), "known")
    assert back.url.startswith(federation.agency.url + "/callback"), back.url
    assert federation.id_token_claims(federation.redeem(back.url, verifier))["sub"] == first_sub


def test_no_link_is_made_without_the_proof(federation, citizen):
    federation.add_upstream(create_accounts=True)
    page, _ = federation.authorize()
    proof = sign_in(federation.browser, federation.choose(page), "known")
    wrong = federation.browser.post(
        proof.url,
        data={
            "csrf_token": csrf_of(proof.text),
            "flow": flow_of(proof),
            "username": CITIZEN["id_number"],
            "password": "not-the-password-1",
        },
    )
    assert wrong.status_code == 400
    assert _links(federation.app) == []
    # No account was created beside the existing one either.
    assert _citizen(federation.app, KNOWN["citizen_id"]).id == citizen["id"]


def test_link_without_password_links_on_the_identity_number(federation, citizen):
    federation.add_upstream(link_without_password=True)
    page, verifier = federation.authorize()
    back = sign_in(federation.browser, federation.choose(page), "known")
    assert back.url.startswith(federation.agency.url + "/callback"), back.url
    assert (
        federation.id_token_claims(federation.redeem(back.url, verifier))["sub"] == citizen["sub"]
    )


def test_without_create_accounts_a_newcomer_is_told_to_register(federation):
    federation.add_upstream()
    page, _ = federation.authorize()
    told = sign_in(federation.browser, federation.choose(page), "newcomer")
    assert told.status_code == 403
    assert "chưa có tài khoản" in told.text
    assert "/register" in told.text and "/login?flow=" in told.text
    assert _citizen(federation.app, NEWCOMER["citizen_id"]) is None


def test_an_invalid_identity_number_is_refused_with_a_way_back(federation):
    federation.add_upstream(create_accounts=True)
    page, _ = federation.authorize()
    told = sign_in(federation.browser, federation.choose(page), "bad-number")
    assert told.status_code == 400
    assert "số định danh (CCCD/CMND) hợp lệ" in told.text
    assert "Quay lại chọn cách đăng nhập" in told.text


def test_a_replayed_or_forged_callback_is_refused(federation):
    federation.add_upstream(create_accounts=True)
    page, _ = federation.authorize()
    back = sign_in(federation.browser, federation.choose(page), "newcomer")
    assert back.url.startswith(federation.agency.url)
    # The callback the upstream sent, again: its state worked once.
    [callback] = [r.url for r in back.history if "/upstream/node/callback" in r.url]
    replay = federation.browser.get(callback)
    assert replay.status_code == 400
    assert "không hợp lệ hoặc đã hết hạn" in replay.text
    forged = federation.browser.get(
        f"{federation.url}/upstream/node/callback?state=made-up&code=x&iss="
        + federation.upstream.issuer
    )
    assert forged.status_code == 400
    assert "không hợp lệ hoặc đã hết hạn" in forged.text


def test_the_upstreams_back_channel_logout_ends_the_session_and_tells_the_agency(federation):
    federation.add_upstream(create_accounts=True)
    page, verifier = federation.authorize()
    back = sign_in(federation.browser, federation.choose(page), "newcomer")
    token = federation.redeem(back.url, verifier)
    sid = federation.id_token_claims(token)["sid"]
    signed_in = federation.browser.get(f"{federation.url}/account")
    assert signed_in.url.startswith(f"{federation.url}/account")
    end_session(federation.browser, federation.upstream)
    notices = federation.agency.app.to("/backchannel-logout")
    assert notices, "the agency got no logout token"
    from joserfc import jwt

    logout = jwt.decode(notices[-1]["form"]["logout_token"], _jwks(federation))
    assert logout.claims["sid"] == sid
    after = federation.browser.get(f"{federation.url}/account")
    assert "/login" in after.url  # the provider's session ended too
    userinfo = federation.browser.get(
        f"{federation.url}/oauth2/userinfo",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert userinfo.status_code == 401


def _jwks(federation):
    import requests
    from joserfc.jwk import KeySet

    return KeySet.import_key_set(requests.get(f"{federation.url}/oauth2/jwks", timeout=10).json())


def test_acr_values_loa2_offers_only_the_upstream_and_steps_a_password_session_up(
    federation, citizen
):
    federation.add_upstream(link_without_password=True)
    page, _ = federation.authorize()
    from tests.federation.driver import password_login

    password_login(federation, page, citizen)  # an LoA1 session
    page, verifier = federation.authorize(acr_values="LoA2")
    assert "/login?flow=" in page.url  # stepped up, not answered from the LoA1 session
    assert "Tài khoản cấp bởi Cổng dịch vụ công quốc gia" not in page.text
    refused = federation.browser.post(
        f"{federation.url}/login/method",
        data={"csrf_token": csrf_of(page.text), "flow": flow_of(page), "method": "password"},
    )
    assert refused.status_code == 400
    back = sign_in(federation.browser, federation.choose(page), "known")
    claims = federation.id_token_claims(federation.redeem(back.url, verifier))
    assert claims["acr"] == "LoA2" and "fed" in claims["amr"]
    assert claims["sub"] == citizen["sub"]


def test_prompt_login_asks_the_upstream_for_a_fresh_login_too(federation):
    federation.add_upstream(create_accounts=True)
    page, verifier = federation.authorize()
    back = sign_in(federation.browser, federation.choose(page), "newcomer")
    federation.redeem(back.url, verifier)
    # Signed in at the upstream already: without prompt=login it answers at once ...
    page, _ = federation.authorize(prompt="login")
    again = federation.choose(page)
    assert "/interaction/" in again.url, again.url  # ... with it, its login page again
    assert "prompt=login" in again.history[0].headers["Location"]
