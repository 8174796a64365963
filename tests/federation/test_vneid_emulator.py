"""Federation through the VNeID emulator (a second configuration of this provider, as
``./scripts/demo`` runs it), over real HTTP on 127.0.0.1: a new account from VNeID's
claims, a link made after the provider's own password + OTP, refusals without proof or
without account creation, and logout both ways (the provider's RP-initiated logout goes
through VNeID's own logout; VNeID's back-channel logout ends the provider's session)."""

from __future__ import annotations

import pytest
import requests

from idp import vneid_emulator as emulator
from tests.conftest import Outbox
from tests.federation.conftest import Federation, csrf_of, flow_of
from tests.federation.emulator import sign_in_at_emulator, start_emulator
from tests.federation.receiver import Receiver
from tests.federation.wiring import register_agency
from tests.live import LiveServer, free_port

pytestmark = pytest.mark.servers

KNOWN, NEWCOMER = emulator.CITIZENS


@pytest.fixture
def vneid(app_factory, tmp_path, clock):
    """The provider with its agency, and the emulator configured as its upstream."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    app = app_factory(IDP_ISSUER=issuer)
    receiver = Receiver()
    upstream, upstream_server = start_emulator(tmp_path / "vneid", issuer, clock)
    try:
        with LiveServer(receiver) as agency, LiveServer(app, port):
            agency.app = receiver
            agency_id, agency_secret = register_agency(app, agency.url)
            federation = Federation(
                app, issuer, agency, agency_id, agency_secret, upstream, Outbox(app_factory.outbox)
            )
            yield federation
    finally:
        upstream_server.stop()


def _configure(federation, **flags) -> None:
    from idp.extensions import db
    from idp.federation.models import Upstream

    emulator.configure_provider(
        federation.app, federation.upstream.issuer, federation.upstream.secret
    )
    with federation.app.app_context():
        row = db.session.get(Upstream, emulator.NAME)
        for name, value in flags.items():
            setattr(row, name, value)
        db.session.commit()


def test_a_vneid_newcomer_gets_an_account_and_the_agency_a_loa2_login(vneid):
    _configure(vneid)
    page, verifier = vneid.authorize()
    assert emulator.LABEL in page.text
    at_vneid = vneid.choose(page, emulator.NAME)
    assert at_vneid.url.startswith(vneid.upstream.issuer)
    back = sign_in_at_emulator(vneid.browser, at_vneid, NEWCOMER, vneid.upstream.outbox)
    assert back.url.startswith(vneid.agency.url + "/callback"), back.url
    claims = vneid.id_token_claims(vneid.redeem(back.url, verifier))
    assert claims["acr"] == "LoA2" and claims["amr"] == ["fed"]
    from idp.citizens.models import Citizen
    from idp.extensions import db

    with vneid.app.app_context():
        made = db.session.scalar(db.select(Citizen).filter_by(id_number=NEWCOMER["id_number"]))
        assert made.full_name == NEWCOMER["full_name"]
        assert made.phone == "+84" + NEWCOMER["phone"][1:]
        assert claims["sub"] == made.subject


def test_an_existing_account_is_linked_only_with_its_password_and_otp(vneid, citizen):
    _configure(vneid)
    page, verifier = vneid.authorize()
    at_vneid = vneid.choose(page, emulator.NAME)
    proof = sign_in_at_emulator(vneid.browser, at_vneid, KNOWN, vneid.upstream.outbox)
    assert "/login/password" in proof.url and proof.url.startswith(vneid.url)
    from tests.federation.driver import password_login

    back = password_login(vneid, proof, citizen, started=True)
    claims = vneid.id_token_claims(vneid.redeem(back.url, verifier))
    assert claims["sub"] == citizen["sub"]
    assert "fed" in claims["amr"] and "pwd" in claims["amr"]


def test_without_the_proof_no_link_is_made(vneid, citizen):
    _configure(vneid)
    page, _ = vneid.authorize()
    proof = sign_in_at_emulator(
        vneid.browser, vneid.choose(page, emulator.NAME), KNOWN, vneid.upstream.outbox
    )
    wrong = vneid.browser.post(
        proof.url,
        data={
            "csrf_token": csrf_of(proof.text),
            "flow": flow_of(proof),
            "username": KNOWN["id_number"],
            "password": KNOWN["password"],  # VNeID's password, not the provider's
        },
    )
    assert wrong.status_code == 400
    from idp.extensions import db
    from idp.federation.models import UpstreamLink

    with vneid.app.app_context():
        assert db.session.scalars(db.select(UpstreamLink)).all() == []


def test_without_account_creation_a_vneid_newcomer_is_told_to_register(vneid):
    _configure(vneid, create_accounts=False)
    page, _ = vneid.authorize()
    told = sign_in_at_emulator(
        vneid.browser, vneid.choose(page, emulator.NAME), NEWCOMER, vneid.upstream.outbox
    )
    assert told.status_code == 403 and "chưa có tài khoản" in told.text


def test_signing_out_at_the_provider_signs_out_at_vneid_and_returns_to_the_agency(vneid, citizen):
    _configure(vneid)
    page, verifier = vneid.authorize()
    back = sign_in_at_emulator(
        vneid.browser, vneid.choose(page, emulator.NAME), NEWCOMER, vneid.upstream.outbox
    )
    token = vneid.redeem(back.url, verifier)
    vneid_session = vneid.browser.cookies.get("vneid_idp_session")
    assert vneid_session
    logout = vneid.browser.get(
        f"{vneid.url}/oauth2/logout",
        params={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": f"{vneid.agency.url}/",
            "state": "bye",
        },
    )
    # Through VNeID's own end-session endpoint and back, then to the agency.
    assert any(r.url.startswith(vneid.upstream.issuer + "/oauth2/logout") for r in logout.history)
    assert logout.url == f"{vneid.agency.url}/?state=bye", logout.url
    assert vneid.browser.get(f"{vneid.upstream.issuer}/account").url.startswith(
        f"{vneid.upstream.issuer}/login"
    )


def test_vneids_back_channel_logout_ends_the_provider_session(vneid):
    _configure(vneid)
    page, verifier = vneid.authorize()
    back = sign_in_at_emulator(
        vneid.browser, vneid.choose(page, emulator.NAME), NEWCOMER, vneid.upstream.outbox
    )
    token = vneid.redeem(back.url, verifier)
    assert vneid.browser.get(f"{vneid.url}/account").url.startswith(f"{vneid.url}/account")
    # The citizen signs out at VNeID directly (its own confirmation page).
    page = vneid.browser.get(f"{vneid.upstream.issuer}/oauth2/logout")
    vneid.browser.post(
        f"{vneid.upstream.issuer}/oauth2/logout",
        data={"csrf_token": csrf_of(page.text), "confirm": "yes"},
    )
    assert "/login" in vneid.browser.get(f"{vneid.url}/account").url
    assert vneid.agency.app.to("/backchannel-logout")
    answer = requests.get(
        f"{vneid.url}/oauth2/userinfo",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert answer.status_code == 401


def test_the_account_pages_sign_out_also_signs_out_at_vneid(vneid):
    _configure(vneid)
    page, verifier = vneid.authorize()
    back = sign_in_at_emulator(
        vneid.browser, vneid.choose(page, emulator.NAME), NEWCOMER, vneid.upstream.outbox
    )
    vneid.redeem(back.url, verifier)
    account = vneid.browser.get(f"{vneid.url}/account")
    signed_out = vneid.browser.post(
        f"{vneid.url}/account/sign-out", data={"csrf_token": csrf_of(account.text)}
    )
    assert any(r.url.startswith(vneid.upstream.issuer) for r in signed_out.history)
    assert signed_out.url == f"{vneid.url}/account/signed-out", signed_out.url
    assert vneid.browser.get(f"{vneid.upstream.issuer}/account").url.startswith(
        f"{vneid.upstream.issuer}/login"
    )
