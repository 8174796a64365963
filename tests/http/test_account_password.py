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


# --- an account with no password yet (made from an upstream identity) --------------------


@pytest.fixture
def passwordless(app, outbox) -> tuple[dict, AccountBrowser]:
    """A citizen whose account came from VNeID, signed in through it."""
    from tests.http.test_account_linked_identities import (
        add_link,
        add_upstream,
        federated_browser,
        passwordless_citizen,
    )

    add_upstream(app)
    owner = passwordless_citizen(app)
    add_link(app, owner["id"])
    return owner, federated_browser(app, outbox, owner["id"])


def set_first(account: AccountBrowser, new: str, confirm: str | None = None):
    return account.submit(
        "/account/password",
        "/account/password",
        {"password": new, "password_confirm": new if confirm is None else confirm},
    )


def _has_password(app, citizen_id: int) -> bool:
    from idp.citizens.creation import has_password
    from idp.citizens.models import Citizen
    from idp.extensions import db

    with app.app_context():
        return has_password(db.session.get(Citizen, citizen_id))


def test_an_account_without_password_is_asked_only_for_a_new_one(passwordless):
    _, account = passwordless
    page = account.text("/account/password")
    assert "<h1>Đặt mật khẩu</h1>" in page
    assert "Tài khoản của bạn chưa có mật khẩu" in page
    assert 'name="current_password"' not in page
    assert 'id="password"' in page and 'id="password_confirm"' in page
    assert 'href="/account" aria-current="true"' in page  # reached from the account tab


def test_setting_a_first_password_lets_the_citizen_sign_in_with_it(app, outbox, passwordless):
    from tests.http.test_account_history import events_on
    from tests.http.test_account_linked_identities import federated_browser

    owner, account = passwordless
    other = federated_browser(app, outbox, owner["id"])  # another browser, also via VNeID

    resp = set_first(account, NEW_PASSWORD)
    assert resp.status_code == 302 and resp.location == "/account"
    page = account.text("/account")
    assert 'data-code="password_set"' in page and "Đã đặt mật khẩu." in page
    assert _has_password(app, owner["id"])
    assert "account.password_set" in _events(app, owner["id"])
    assert other.get("/account").status_code == 200  # nobody knew a password: all stay
    history = account.text("/account/history")
    assert events_on(history)[0] == "account.password_set"
    assert "<strong>Đặt mật khẩu</strong>" in history
    # From now on the page is the usual change, which asks for the current password.
    assert 'name="current_password"' in account.text("/account/password")
    assert _password_works(app, outbox, owner, NEW_PASSWORD)


@pytest.mark.parametrize(
    "new, confirm, code",
    [
        ("", None, "password.required"),
        ("ngan1", None, "password.too_short"),
        ("chikhongso", None, "password.no_digit"),
        ("066195012345", None, "password.same_as_id_number"),
        (NEW_PASSWORD, "matkhaukhac2027", "password.confirm_mismatch"),
    ],
)
def test_a_first_password_follows_the_policy(app, passwordless, new, confirm, code):
    owner, account = passwordless
    resp = set_first(account, new, confirm)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert f'data-code="{code}"' in page and 'aria-invalid="true"' in page
    assert 'name="current_password"' not in page and "Tài khoản của bạn chưa có mật khẩu" in page
    assert not _has_password(app, owner["id"])
    assert "account.password_set" not in _events(app, owner["id"])


def test_a_first_password_set_meanwhile_in_another_tab_is_not_replaced(app, outbox, passwordless):
    from tests.http.test_account_linked_identities import federated_browser

    owner, account = passwordless
    stale_form = account.text("/account/password")  # the first-password form
    other = federated_browser(app, outbox, owner["id"])
    assert set_first(other, NEW_PASSWORD).status_code == 302

    resp = account.post_form(
        "/account/password",
        stale_form,
        {"password": "matkhaukhac2027", "password_confirm": "matkhaukhac2027"},
    )
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert 'data-code="password.current_required"' in page and 'name="current_password"' in page
    assert _password_works(app, outbox, owner, NEW_PASSWORD)


def test_a_concurrent_first_password_loses_to_the_one_that_committed(app, passwordless):
    from idp.account.password import PASSWORD_ALREADY_SET, set_first_password
    from idp.citizens.models import Citizen
    from idp.citizens.password_policy import hash_password, verify_password
    from idp.errors import DomainError
    from idp.extensions import db

    owner, _ = passwordless
    with app.test_request_context("/"):
        loaded = db.session.get(Citizen, owner["id"])  # read while it had no password
        with app.app_context():  # the other request commits first
            db.session.get(Citizen, owner["id"]).password_hash = hash_password(NEW_PASSWORD)
            db.session.commit()
        with pytest.raises(DomainError) as refused:
            set_first_password(loaded, "matkhaukhac2027", "matkhaukhac2027")
        assert refused.value.problem == PASSWORD_ALREADY_SET
        assert verify_password(db.session.get(Citizen, owner["id"]).password_hash, NEW_PASSWORD)


@pytest.mark.parametrize("problem_name", ["PASSWORD_CONFIRM_MISMATCH", "PASSWORD_TOO_SHORT"])
def test_first_password_errors_sit_beside_their_field(app, problem_name):
    from idp.citizens import password_policy
    from tests.http.test_form_errors_markup import (
        assert_error_beside,
        assert_summary_takes_focus,
        render,
    )

    problem = getattr(password_policy, problem_name)
    page = render(app, "provider/account/password_first.html", problem=problem)
    assert_error_beside(page, problem.field, problem.code)
    assert_summary_takes_focus(page)
    ids = page.ids()
    assert len(ids) == len(set(ids)), ids
    plain = render(app, "provider/account/password_first.html", endpoint="account.password")
    assert "error-summary" not in plain.ids() and not plain.title.startswith("Lỗi")
    assert plain.title.startswith("Đặt mật khẩu")
