"""A citizen's browser over real HTTP: the provider's login forms, CSRF tokens and all.

One ``LoginBrowser`` is one cookie jar. ``login`` walks authorize → "Tài khoản cấp bởi
Cổng dịch vụ công quốc gia" → user name and password → the OTP read from the SMS sink →
back to the client with a code; ``redeem`` is the client's side: code → tokens → userinfo.
Its cookie jar sends ``Secure`` cookies back over http://127.0.0.1 (bench.loopback_cookies),
as the citizen's browser does over HTTPS to the production TLS terminator.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

from bench.html_forms import Form, forms_of
from bench.loopback_cookies import browser_session
from bench.sms_inbox import SmsInbox

PORTAL_ACCOUNT_BUTTON = "Tài khoản cấp bởi Cổng dịch vụ công quốc gia"
OTP_PATTERN = re.compile(r"(?<!\d)\d{6}(?!\d)")


class LoginFailed(RuntimeError):
    """A step of the login did not answer as a citizen's browser expects."""


@dataclass
class RelyingParty:
    """The bench client as registered at the provider."""

    client_id: str
    client_secret: str
    redirect_uri: str


@dataclass
class PendingCode:
    """An authorization code with the PKCE verifier its request was made with."""

    code: str
    verifier: str


def pkce_pair() -> tuple[str, str]:
    """A fresh (code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class LoginBrowser:
    """One browser (cookie jar) at the provider ``base_url``."""

    def __init__(self, base_url: str, inbox: SmsInbox, client: RelyingParty):
        self.base_url = base_url
        self.inbox = inbox
        self.client = client
        self.http = browser_session()
        self.requests_made = 0

    # -- plumbing --------------------------------------------------------------------
    def _send(self, method: str, url: str, **kw) -> requests.Response:
        self.requests_made += 1
        return self.http.request(
            method, urljoin(self.base_url, url), allow_redirects=False, timeout=60, **kw
        )

    def _expect(self, response: requests.Response, status: int, step: str) -> None:
        if response.status_code != status:
            raise LoginFailed(f"{step}: HTTP {response.status_code} {response.text[:200]!r}")

    def _form(self, url: str, step: str, has_field: str | None = None) -> Form:
        page = self._send("GET", url)
        self._expect(page, 200, step)
        for form in forms_of(page.text):
            if form.method == "post" and (has_field is None or form.has_field(has_field)):
                return form
        raise LoginFailed(f"{step}: no form{f' with {has_field}' if has_field else ''}")

    def _submit(self, page_url: str, form: Form, data: dict[str, str]) -> requests.Response:
        return self._send("POST", urljoin(urljoin(self.base_url, page_url), form.action), data=data)

    # -- the citizen's side -----------------------------------------------------------
    def authorize(self) -> tuple[requests.Response, str]:
        """GET the authorization endpoint; returns the answer and the PKCE verifier."""
        verifier, challenge = pkce_pair()
        params = {
            "response_type": "code",
            "client_id": self.client.client_id,
            "redirect_uri": self.client.redirect_uri,
            "scope": "openid profile phone",
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return self._send("GET", "/oauth2/authorize?" + urlencode(params)), verifier

    def code_from(self, response: requests.Response, verifier: str, step: str) -> PendingCode:
        """The code in a redirect back to the client."""
        self._expect(response, 302, step)
        location = response.headers["Location"]
        if not location.startswith(self.client.redirect_uri):
            raise LoginFailed(f"{step}: redirected to {location[:120]}, not to the client")
        query = parse_qs(urlsplit(location).query)
        if "code" not in query:
            raise LoginFailed(f"{step}: no code in {location[:200]}")
        return PendingCode(query["code"][0], verifier)

    def _otp_after(self, phone: str, seq_before: int) -> str:
        for _ in range(100):
            seq, text = self.inbox.latest(phone)
            if seq > seq_before:
                return OTP_PATTERN.findall(text)[0]
            time.sleep(0.05)
        raise LoginFailed("no OTP arrived at the SMS sink")

    def login(self, username: str, password: str, phone: str) -> PendingCode:
        """The whole interactive login; returns the code the client receives."""
        response, verifier = self.authorize()
        self._expect(response, 302, "authorize")
        choose_url = response.headers["Location"]
        form = self._form(choose_url, "choice page")
        response = self._submit(choose_url, form, form.submission(PORTAL_ACCOUNT_BUTTON))
        self._expect(response, 302, "choose the portal account")
        password_url = response.headers["Location"]
        form = self._form(password_url, "password page", has_field="password")
        seq_before, _ = self.inbox.latest(phone)
        data = form.submission(username=username, password=password)
        response = self._submit(password_url, form, data)
        self._expect(response, 302, "password")
        otp_url = response.headers["Location"]
        form = self._form(otp_url, "OTP page", has_field="otp")
        otp = self._otp_after(phone, seq_before)
        response = self._submit(otp_url, form, form.submission(otp=otp))
        self._expect(response, 302, "OTP")
        resume_url = response.headers["Location"]
        if not resume_url.startswith(self.client.redirect_uri):
            response = self._send("GET", resume_url)
        return self.code_from(response, verifier, "back to the client")

    # -- the client's side ------------------------------------------------------------
    def redeem(self, code: PendingCode) -> dict:
        """Exchange the code at the token endpoint (client_secret_basic); returns tokens."""
        response = self._send(
            "POST",
            "/oauth2/token",
            auth=(self.client.client_id, self.client.client_secret),
            data={
                "grant_type": "authorization_code",
                "code": code.code,
                "code_verifier": code.verifier,
                "redirect_uri": self.client.redirect_uri,
            },
        )
        self._expect(response, 200, "token")
        return response.json()

    def userinfo(self, access_token: str) -> dict:
        response = self._send(
            "GET", "/oauth2/userinfo", headers={"Authorization": f"Bearer {access_token}"}
        )
        self._expect(response, 200, "userinfo")
        return response.json()
