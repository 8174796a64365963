"""The account page (/account): a signed-in citizen only, back from the login flow to the
page asked for; the profile with masked numbers; the change of e-mail."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.conftest import csrf_of, query_of
from tests.http.driver import Browser


class AccountBrowser(Browser):
    """A citizen's browser that signs in at the provider and uses /account."""

    def open_password_form(self, start: str = "/login") -> str:
        """From ``start`` (which redirects to the login) to the password form; its URL."""
        resp = self.get(start)
        assert resp.status_code == 302 and urlsplit(resp.location).path == "/login"
        choose = resp.location
        page = self.get(choose).get_data(as_text=True)
        resp = self.post_form(
            "/login/method", page, {"flow": query_of(choose)["flow"], "method": "password"}
        )
        assert resp.status_code == 302
        return resp.location

    def sign_in(self, citizen: dict, start: str = "/account"):
        """From ``start`` through the login (password + SMS OTP); returns the last response."""
        password_url = self.open_password_form(start)
        resp = self.submit_password(password_url, citizen["id_number"], citizen["password"])
        assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
        return self.submit_otp(resp.location, self.outbox.last_otp(citizen["phone_e164"]))

    def text(self, url: str, status: int = 200) -> str:
        resp = self.get(url)
        assert resp.status_code == status, (url, resp.status_code, resp.location)
        return resp.get_data(as_text=True)

    def submit(self, form_page_url: str, action: str, data: dict):
        """POST ``data`` to ``action`` with the CSRF token of the page at ``form_page_url``
        (or of the account page, when that page no longer shows the form: a replayed POST)."""
        page = self.text(form_page_url)
        if 'name="csrf_token"' not in page:
            page = self.text("/account")
        return self.post_form(action, page, data)


def signed_in_browser(app, outbox, citizen) -> AccountBrowser:
    browser = AccountBrowser(app, outbox)
    resp = browser.sign_in(citizen)
    assert resp.status_code == 302 and resp.location == "/account"
    return browser


@pytest.fixture
def account(app, outbox, citizen) -> AccountBrowser:
    return signed_in_browser(app, outbox, citizen)


def test_account_needs_a_login_and_comes_back_to_the_page_asked_for(app, outbox, citizen):
    browser = AccountBrowser(app, outbox)
    resp = browser.sign_in(citizen, start="/account/history?page=1")
    assert resp.status_code == 302
    assert resp.location == "/account/history?page=1"
    assert "Lịch sử đăng nhập" in browser.text(resp.location)


def test_a_post_without_login_changes_nothing_and_returns_to_the_account_page(app, outbox, citizen):
    browser = AccountBrowser(app, outbox)
    page = browser.text(browser.get("/login").location)  # a form, for a CSRF token
    resp = browser.post_form("/account/email", page, {"email": "ke.gian@vidu.vn"})
    assert resp.status_code == 302 and urlsplit(resp.location).path == "/login"
    from idp.citizens.models import Citizen
    from idp.extensions import db

    with app.app_context():
        assert db.session.get(Citizen, citizen["id"]).email is None
    flow = query_of(resp.location)["flow"]
    with app.app_context():
        from idp.services import store

        assert store().get(f"flow:login:{flow}")["data"]["return_to"] == "/account"


@pytest.mark.parametrize(
    "path, kept",
    [
        ("/account", True),
        ("/account/sessions?x=1", True),
        ("//evil.example/account", False),
        ("/\\evil.example", False),
        ("https://evil.example/", False),
        ("account", False),
        ("/account\n/x", False),
        ("", False),
        (None, False),
        ("/" + "a" * 600, False),
    ],
)
def test_return_to_is_a_provider_path_only(path, kept):
    from idp.flows.login.flow import safe_return_path

    assert safe_return_path(path) == (path if kept else None)


def test_the_login_never_returns_to_another_site(app):
    from idp.flows.login.flow import start_login_flow

    with app.test_request_context():
        flow = start_login_flow(None, return_to="//evil.example/x")
        assert "return_to" not in flow.data


def test_profile_shows_masked_numbers_and_home_links_to_it(account, citizen):
    page = account.text("/account")
    assert "Nguyễn Văn An" in page
    assert "17/05/1990" in page and "Nam" in page
    assert "066******234" in page and citizen["id_number"] not in page
    assert "091****678" in page and "0912345678" not in page
    assert "Vinaphone" in page and "Chưa có" in page
    home = account.text("/")
    assert 'href="/account">Tài khoản của tôi</a>' in home


def test_home_has_no_account_link_when_signed_out(app, outbox):
    page = AccountBrowser(app, outbox).text("/")
    assert "Tài khoản của tôi" not in page


def test_change_and_remove_the_email(account, app, citizen):
    from idp.audit import AuditEvent
    from idp.citizens.models import Citizen
    from idp.extensions import db

    resp = account.submit("/account", "/account/email", {"email": " An.Nguyen@VIDU.vn "})
    assert resp.status_code == 302 and resp.location == "/account"
    page = account.text("/account")
    assert "Đã cập nhật thư điện tử." in page and "An.Nguyen@vidu.vn" in page
    resp = account.submit("/account", "/account/email", {"email": "An.Nguyen@vidu.vn"})
    assert "Thư điện tử không thay đổi." in account.text(resp.location)
    resp = account.submit("/account", "/account/email", {"email": ""})
    assert "Chưa có" in account.text(resp.location)
    with app.app_context():
        assert db.session.get(Citizen, citizen["id"]).email is None
        events = db.session.scalars(
            db.select(AuditEvent.event).filter_by(citizen_id=citizen["id"])
        ).all()
        assert events.count("account.email_changed") == 2


def test_a_bad_email_is_refused_with_a_message_and_nothing_is_saved(account, app, citizen):
    from idp.citizens.models import Citizen
    from idp.extensions import db

    resp = account.submit("/account", "/account/email", {"email": "khong-phai-email"})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "Địa chỉ thư điện tử không hợp lệ" in page
    assert 'value="khong-phai-email"' in page and 'aria-invalid="true"' in page
    with app.app_context():
        assert db.session.get(Citizen, citizen["id"]).email is None


def test_a_post_without_csrf_token_is_refused(account, app, citizen):
    resp = account.http.post("/account/email", data={"email": "an@vidu.vn"})
    assert resp.status_code == 400
    assert csrf_of(account.text("/account"))  # the real form carries one
