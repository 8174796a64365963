"""Authorization codes from the provider, made the way a citizen makes them.

One citizen logs in through the real forms (password and SMS OTP); after that, single
sign-on lets every further authorization request with that browser's session cookie come
straight back with a code, as it would for a citizen visiting one agency after another.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from bench.browser import LoginBrowser, PendingCode, RelyingParty
from bench.sms_inbox import SmsInbox


class ProviderCodeMinter:
    """``minter(count)`` gives ``count`` fresh codes with their PKCE verifiers."""

    def __init__(
        self,
        base_url: str,
        inbox: SmsInbox,
        client: RelyingParty,
        account: dict,
        password: str,
        threads: int = 8,
    ):
        self.base_url = base_url
        self.inbox = inbox
        self.client = client
        self.account = account
        self.password = password
        self.threads = threads
        self._signed_in: LoginBrowser | None = None
        self._lock = threading.Lock()

    def _browser(self) -> LoginBrowser:
        """A browser holding the signed-in session (the first call logs in)."""
        browser = LoginBrowser(self.base_url, self.inbox, self.client)
        with self._lock:
            if self._signed_in is None:
                signed_in = LoginBrowser(self.base_url, self.inbox, self.client)
                signed_in.login(self.account["username"], self.password, self.account["phone"])
                self._signed_in = signed_in
            browser.http.cookies.update(self._signed_in.http.cookies)
        return browser

    def _mint(self, count: int) -> list[PendingCode]:
        browser = self._browser()
        codes = []
        for _ in range(count):
            response, verifier = browser.authorize()
            codes.append(browser.code_from(response, verifier, "authorize (signed in)"))
        return codes

    def __call__(self, count: int) -> list[PendingCode]:
        shares = [count // self.threads + (i < count % self.threads) for i in range(self.threads)]
        with ThreadPoolExecutor(self.threads) as pool:
            batches = list(pool.map(self._mint, [share for share in shares if share]))
        return [code for batch in batches for code in batch]
