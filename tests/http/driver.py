"""A citizen's browser, scripted over Flask's test client: fills the real forms."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from tests.conftest import authorization_params, csrf_of, query_of


class Browser:
    def __init__(self, app, outbox):
        self.app = app
        self.http = app.test_client()
        self.outbox = outbox

    def get(self, url: str, **kw):
        return self.http.get(url, **kw)

    def post_form(self, url: str, page_html: str, data: dict, **kw):
        return self.http.post(url, data={"csrf_token": csrf_of(page_html), **data}, **kw)

    def authorize_url(self, client_id: str, **extra) -> tuple[str, dict]:
        params, verifier = authorization_params(client_id, **extra)
        return "/oauth2/authorize?" + urlencode(params), {"verifier": verifier, **params}

    def start_login(self, url: str) -> str:
        """Follow the authorize redirect to the choice page, press the portal account button;
        returns the password page's URL."""
        resp = self.get(url)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        choose = resp.location
        page = self.get(choose).get_data(as_text=True)
        assert "Tài khoản cấp bởi Cổng dịch vụ công quốc gia" in page
        flow = query_of(choose)["flow"]
        resp = self.post_form("/login/method", page, {"flow": flow, "method": "password"})
        assert resp.status_code == 302
        return resp.location

    def submit_password(self, password_url: str, username: str, password: str):
        page = self.get(password_url).get_data(as_text=True)
        return self.post_form(password_url, page, {"username": username, "password": password})

    def submit_otp(self, otp_url: str, code: str):
        page = self.get(otp_url).get_data(as_text=True)
        return self.post_form(otp_url, page, {"otp": code})

    def decide_consent(self, consent_url: str, decision: str = "approve"):
        page = self.get(consent_url).get_data(as_text=True)
        assert "Đồng ý chia sẻ thông tin" in page
        flow = query_of(consent_url)["flow"]
        return self.post_form("/consent", page, {"flow": flow, "decision": decision})

    def login(self, url: str, username: str, password: str, phone: str, consent: str = "approve"):
        """The whole login (and consent, if asked); returns the final redirect to the client."""
        password_url = self.start_login(url)
        resp = self.submit_password(password_url, username, password)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
        otp_url = resp.location
        resp = self.submit_otp(otp_url, self.outbox.last_otp(phone))
        assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
        resume = resp.location
        if urlsplit(resume).path == "/oauth2/authorize/resume":
            resp = self.get(resume)
        if resp.status_code == 302 and urlsplit(resp.location).path == "/consent":
            resp = self.decide_consent(resp.location, consent)
        return resp
