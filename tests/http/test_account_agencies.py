"""Connected agencies: what each agency received and when, and revoking its access
(tokens and consent end; revoking twice is harmless and says so)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.conftest import REDIRECT_URI, query_of
from tests.http.test_account_profile import AccountBrowser, signed_in_browser
from tests.http.test_code_flow import redeem

AGENCY = "Sở Tư pháp tỉnh Đắk Lắk"


@pytest.fixture
def agency(app) -> dict:
    """An agency that asks for consent (not first-party)."""
    from idp.oidc.clients import create_client

    with app.app_context():
        client_id, secret = create_client(
            name=AGENCY,
            redirect_uris=[REDIRECT_URI],
            scope="openid profile phone offline_access",
            trusted=False,
        )
    return {"client_id": client_id, "client_secret": secret}


def sign_in_at(account: AccountBrowser, agency: dict, citizen: dict) -> dict:
    """The agency's login (consent approved); returns the tokens it received."""
    url, req = account.authorize_url(
        agency["client_id"], scope="openid profile phone offline_access"
    )
    resp = account.get(url)  # the browser is signed in at the provider: consent only
    assert resp.status_code == 302 and urlsplit(resp.location).path == "/consent"
    resp = account.decide_consent(resp.location)
    assert resp.status_code == 302 and resp.location.startswith(REDIRECT_URI), resp.location
    tokens = redeem(account.http, agency, query_of(resp.location)["code"], req["verifier"])
    assert tokens.status_code == 200
    return tokens.get_json()


def refresh(account: AccountBrowser, agency: dict, refresh_token: str):
    return account.http.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(agency["client_id"], agency["client_secret"]),
    )


def revoke(account: AccountBrowser, client_id: str):
    return account.submit("/account/agencies", "/account/agencies/revoke", {"client_id": client_id})


def count(app, event: str) -> int:
    from idp.audit import AuditEvent
    from idp.extensions import db

    with app.app_context():
        query = db.select(db.func.count(AuditEvent.id)).filter_by(event=event)
        return db.session.scalar(query)


def test_no_agency_yet(app, outbox, citizen):
    account = signed_in_browser(app, outbox, citizen)
    assert "Chưa có cơ quan nào nhận thông tin của bạn." in account.text("/account/agencies")


def test_agency_is_listed_with_what_it_received_and_revoking_ends_its_access(
    app, outbox, citizen, agency
):
    from idp.extensions import db
    from idp.oidc.models import Consent, Token

    account = signed_in_browser(app, outbox, citizen)
    tokens = sign_in_at(account, agency, citizen)
    page = account.text("/account/agencies")
    assert AGENCY in page
    for item in ("Họ và tên", "Ngày sinh", "Giới tính", "Số điện thoại"):
        assert f"<li>{item}</li>" in page
    assert "Lần đầu" in page and "Gần nhất" in page
    assert "Đang có quyền truy cập" in page

    resp = revoke(account, agency["client_id"])
    assert resp.status_code == 302 and resp.location == "/account/agencies"
    page = account.text("/account/agencies")
    assert "Đã thu hồi quyền truy cập của cơ quan." in page
    assert AGENCY in page and "Không còn quyền truy cập" in page
    with app.app_context():
        assert db.session.scalar(db.select(Consent).filter_by(citizen_id=citizen["id"])) is None
        rows = db.session.scalars(db.select(Token).filter_by(client_id=agency["client_id"])).all()
        assert rows and all(r.access_token_revoked_at and r.refresh_token_revoked_at for r in rows)
    assert refresh(account, agency, tokens["refresh_token"]).status_code == 400
    userinfo = account.http.get(
        "/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert userinfo.status_code == 401
    assert count(app, "consent.revoked") == 1

    # The next sign-in at that agency asks for consent again.
    url, _ = account.authorize_url(agency["client_id"])
    assert urlsplit(account.get(url).location).path == "/consent"


def test_revoking_twice_is_harmless_and_says_so(app, outbox, citizen, agency):
    account = signed_in_browser(app, outbox, citizen)
    sign_in_at(account, agency, citizen)
    assert revoke(account, agency["client_id"]).status_code == 302
    resp = revoke(account, agency["client_id"])
    assert resp.status_code == 302
    page = account.text(resp.location)
    assert "Quyền truy cập của cơ quan này đã được thu hồi trước đó; không có gì thay đổi." in page
    assert count(app, "consent.revoked") == 1


def test_revoking_an_unknown_or_someone_elses_agency_is_refused(
    app, outbox, citizen, agency, other_citizen
):
    other = other_citizen
    other_browser = signed_in_browser(app, outbox, other)
    sign_in_at(other_browser, agency, other)

    account = signed_in_browser(app, outbox, citizen)
    assert AGENCY not in account.text("/account/agencies")
    for client_id in (agency["client_id"], "khong-ton-tai", "x" * 500):
        resp = revoke(account, client_id)
        assert resp.status_code == 404
        assert 'data-code="agency.not_found"' in resp.get_data(as_text=True)
    assert count(app, "consent.revoked") == 0
