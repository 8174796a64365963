"""A citizen registering through the real forms (guide part 1, steps 3-6), for every test
that needs a registration: ``RegistrationBrowser`` over Flask's test client reads each
page, takes the form's action and CSRF token from it and submits what a person would;
the "chính chủ" registry and account helpers beside it.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode, urlsplit

from tests.conftest import CITIZEN, NEWCOMER, NEWCOMER_E164, NEWCOMER_PASSWORD, csrf_of

__all__ = ["CITIZEN", "NEWCOMER", "NEWCOMER_E164"]

PASSWORD = NEWCOMER_PASSWORD
ACCOUNT_EXISTS_TEXT = "Số CMND/CCCD này đã có tài khoản trên Cổng Dịch vụ công Quốc gia."


def form_actions(page: str) -> list[str]:
    """The action of every POST form on the page, in order."""
    return [html.unescape(a) for a in re.findall(r'<form method="post" action="([^"]+)"', page)]


def import_registry(app, *rows: tuple[str, str]) -> None:
    """Load (phone, id_number) rows into the "chính chủ" registry."""
    from idp.subscribers.csv_import import import_subscribers

    with app.app_context():
        import_subscribers(["phone,id_number", *(f"{p},{n}" for p, n in rows)], actor="test")


def citizens_with(app, id_number: str) -> list:
    from idp.citizens.models import Citizen
    from idp.extensions import db

    with app.app_context():
        return list(db.session.scalars(db.select(Citizen).filter_by(id_number=id_number)))


class RegistrationBrowser:
    """One citizen's browser going through registration."""

    def __init__(self, app, outbox):
        self.app = app
        self.http = app.test_client()
        self.outbox = outbox

    def get(self, url: str):
        return self.http.get(url)

    def post(self, url: str, page: str, data: dict):
        return self.http.post(url, data={"csrf_token": csrf_of(page), **data})

    def start(self, **query) -> str:
        """GET /register; returns the choice page's URL."""
        resp = self.get("/register" + ("?" + urlencode(query) if query else ""))
        assert resp.status_code == 302, resp.status_code
        assert urlsplit(resp.location).path == "/register/method"
        return resp.location

    def choose(self, choose_url: str) -> str:
        """Step 3: "Công dân", "Thuê bao di động"; returns the details page's URL."""
        page = self.get(choose_url).get_data(as_text=True)
        resp = self.post(form_actions(page)[0], page, {"kind": "citizen", "method": "mobile"})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return resp.location

    def submit_details(self, details_url: str, person: dict):
        page = self.get(details_url).get_data(as_text=True)
        return self.post(form_actions(page)[0], page, person)

    def submit_otp(self, otp_url: str, code: str):
        page = self.get(otp_url).get_data(as_text=True)
        return self.post(form_actions(page)[0], page, {"otp": code})

    def resend_otp(self, otp_url: str):
        """ "Gửi lại OTP": always a redirect back to the OTP page (POST/redirect/GET);
        returns that page, which says once what happened."""
        page = self.get(otp_url).get_data(as_text=True)
        resp = self.post(form_actions(page)[1], page, {})
        assert resp.status_code == 303 and resp.location == otp_url, resp.status_code
        return self.get(resp.location)

    def submit_password(self, password_url: str, password: str, confirm: str | None = None):
        page = self.get(password_url).get_data(as_text=True)
        data = {"password": password, "password_confirm": password if confirm is None else confirm}
        return self.post(form_actions(page)[0], page, data)

    def up_to_otp(self, person: dict, **query) -> str:
        """Steps 3-4; returns the OTP page's URL."""
        details_url = self.choose(self.start(**query))
        resp = self.submit_details(details_url, person)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:1500]
        return resp.location

    def up_to_password(self, person: dict, phone_e164: str, **query) -> str:
        """Steps 3-5; returns the password page's URL."""
        otp_url = self.up_to_otp(person, **query)
        resp = self.submit_otp(otp_url, self.outbox.last_otp(phone_e164))
        assert resp.status_code == 302, resp.get_data(as_text=True)[:1500]
        return resp.location

    def register(self, person: dict, phone_e164: str, password: str = PASSWORD, **query):
        """Steps 3-6; returns the last response (the redirect after creation)."""
        password_url = self.up_to_password(person, phone_e164, **query)
        return self.submit_password(password_url, password)

    def onward(self, created) -> tuple[str | None, str]:
        """After creation: "Đăng ký thành công" first; returns where its "Tiếp tục" leads
        (None without one) and the page."""
        assert created.status_code == 302 and created.location == "/register/done"
        page = self.get(created.location).get_data(as_text=True)
        assert "Đăng ký thành công" in page
        link = re.search(r'<a class="button" id="continue" href="([^"]+)">', page)
        return (html.unescape(link.group(1)) if link else None), page
