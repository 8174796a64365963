"""Changing the password from the account page: the current password is required, the
new one follows the policy, and every other browser is signed out with its tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.conftest import REDIRECT_URI, query_of
from tests.http.driver import Browser
from tests.http.test_account_profile import AccountBrowser, signed_in_browser
from tests.http.test_code_flow import redeem

NEW_PASSWORD = "matkhaumoi2027"


@pytest.fixture
def account(app, outbox, citizen) -> AccountBrowser:
    return signed_in_browser(app, outbox, citizen)


def change(account: AccountBrowser, current: str, new: str, confirm: str | None = None):
    return account.submit(
        "/account/password",
        "/account/password",
        {
            "current_password": current,
            "password": new,
            "password_confirm": new if confirm is None else confirm,
        },
    )


def _events(app, citizen_id: int) -> list[str]:
    from idp.audit import AuditEvent
    from idp.extensions import db

    with app.app_context():
        query = db.select(AuditEvent.event).filter_by(citizen_id=citizen_id)
        return list(db.session.scalars(query.order_by(AuditEvent.id)))


def _password_works(app, outbox, citizen, password: str) -> bool:
    browser = AccountBrowser(app, outbox)
    resp = browser.submit_password(browser.open_password_form(), citizen["id_number"], password)
    return resp.status_code == 302


def test_change_keeps_this_browser_and_signs_out_the_others_with_their_tokens(
    app, outbox, citizen, oidc_client
):
    from idp.extensions import db
    from idp.login_session import sessions_of
    from idp.oidc.models import Token

    account = signed_in_browser(app, outbox, citizen)
    other = Browser(app, outbox)  # another browser, signed in through an agency
    url, req = other.authorize_url(oidc_client["client_id"], scope="openid offline_access")
    resp = other.login(url, citizen["id_number"], citizen["password"], citizen["phone_e164"])
    assert resp.location.startswith(REDIRECT_URI)
    tokens = redeem(other.http, oidc_client, query_of(resp.location)["code"], req["verifier"])
    assert tokens.status_code == 200 and "refresh_token" in tokens.get_json()
    with app.app_context():
        assert len(sessions_of(citizen["id"])) == 2

    resp = change(account, citizen["password"], NEW_PASSWORD)
    assert resp.status_code == 302 and resp.location == "/account"
    page = account.text("/account")
    assert "Đã đổi mật khẩu. Các thiết bị khác đã được đăng xuất." in page

    with app.app_context():
        left = sessions_of(citizen["id"])
        assert len(left) == 1
        rows = db.session.scalars(db.select(Token).filter_by(citizen_id=citizen["id"])).all()
        assert rows and all(r.access_token_revoked_at and r.refresh_token_revoked_at for r in rows)
    assert urlsplit(other.get("/account").location).path == "/login"
    refreshed = other.http.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens.get_json()["refresh_token"]},
        auth=(oidc_client["client_id"], oidc_client["client_secret"]),
    )
    assert refreshed.status_code == 400
    assert not _password_works(app, outbox, citizen, citizen["password"])
    assert _password_works(app, outbox, citizen, NEW_PASSWORD)
    assert "password.changed" in _events(app, citizen["id"])


def test_the_request_that_changes_the_password_stays_signed_in(app, outbox, citizen):
    """Ending the other browsers' sessions does not forget this request's own session."""
    from idp.login_session import current_login, sessions_of

    account = signed_in_browser(app, outbox, citizen)
    other = signed_in_browser(app, outbox, citizen)
    page = account.text("/account/password")
    fields = {"current_password": citizen["password"], "password": NEW_PASSWORD}
    with account.http:  # keeps the request's context open after the response
        resp = account.post_form(
            "/account/password", page, {**fields, "password_confirm": NEW_PASSWORD}
        )
        assert resp.status_code == 302 and resp.location == "/account"
        still = current_login()
        assert still is not None and still.citizen_id == citizen["id"]
    with app.app_context():
        assert [s.sid for s in sessions_of(citizen["id"])] == [still.sid]
    assert "Đã đổi mật khẩu. Các thiết bị khác đã được đăng xuất." in account.text("/account")
    assert urlsplit(other.get("/account").location).path == "/login"


def test_wrong_current_password_is_refused_and_counts_toward_the_lockout(
    account, app, outbox, citizen
):
    from idp.citizens import lockout

    resp = change(account, "saimatkhau1", NEW_PASSWORD)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "Mật khẩu hiện tại không đúng." in page
    assert 'data-code="password.current_wrong"' in page
    with app.app_context():
        assert lockout.failures(citizen["id_number"]) == 1
    assert "password.change_failed" in _events(app, citizen["id"])
    assert _password_works(app, outbox, citizen, citizen["password"])


def test_repeated_wrong_current_passwords_stop_this_session_and_lock_the_login(
    account, app, outbox, citizen, oidc_client
):
    from idp.citizens import lockout

    for _ in range(10):  # LOCKOUT_THRESHOLD
        assert change(account, "saimatkhau1", NEW_PASSWORD).status_code == 400
    resp = change(account, citizen["password"], NEW_PASSWORD)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "Bạn đã nhập sai mật khẩu hiện tại quá nhiều lần" in page
    assert 'data-code="password.current_too_many"' in page
    assert "login.lockout" in _events(app, citizen["id"])
    with app.app_context():
        assert lockout.is_locked(citizen["id_number"])
    # The owner still signs in (password + SMS OTP under the lock), and that session is
    # not held back by the other one's failures: the old password is still the current one.
    other = signed_in_browser(app, outbox, citizen)
    assert change(other, citizen["password"], NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "current, new, confirm, code",
    [
        ("", NEW_PASSWORD, None, "password.current_required"),
        (None, "ngan1", None, "password.too_short"),
        (None, "chikhongso", None, "password.no_digit"),
        (None, "066090001234", None, "password.same_as_id_number"),
        (None, NEW_PASSWORD, "matkhaukhac2027", "password.confirm_mismatch"),
        (None, None, None, "password.unchanged"),
    ],
)
def test_bad_new_passwords_are_refused_with_their_message(
    account, app, outbox, citizen, current, new, confirm, code
):
    current = citizen["password"] if current is None else current
    new = citizen["password"] if new is None else new
    resp = change(account, current, new, confirm)
    assert resp.status_code == 400
    assert f'data-code="{code}"' in resp.get_data(as_text=True)
    assert _password_works(app, outbox, citizen, citizen["password"])
