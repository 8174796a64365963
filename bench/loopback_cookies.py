"""Cookies as a browser behind the production TLS terminator handles them.

In production TLS ends at the load balancer, so the provider marks its cookies ``Secure``
(it refuses to start otherwise) and the citizen's browser sends them back over HTTPS. The
bench talks plain HTTP to 127.0.0.1, where Python's default cookie policy would drop every
``Secure`` cookie and no login could finish. This policy sends ``Secure`` cookies over
plain HTTP to loopback addresses only, everywhere else it is the default policy.
``__Host-`` names need nothing more: Python's cookie jar does not treat prefixes specially,
and the provider sets such cookies ``Secure``, ``Path=/`` and without ``Domain`` anyway.
"""

from __future__ import annotations

import ipaddress
from http.cookiejar import Cookie, DefaultCookiePolicy
from urllib.parse import urlsplit
from urllib.request import Request

import requests
from requests.cookies import RequestsCookieJar, merge_cookies


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` is a loopback IP address or ``localhost``."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TlsTerminatedCookiePolicy(DefaultCookiePolicy):
    """The default policy, except that ``Secure`` cookies also go to http://loopback."""

    def return_ok_secure(self, cookie: Cookie, request: Request) -> bool:
        if cookie.secure and is_loopback(urlsplit(request.get_full_url()).hostname):
            return True
        return super().return_ok_secure(cookie, request)


class TlsTerminatedSession(requests.Session):
    """A ``requests`` session whose cookies follow ``TlsTerminatedCookiePolicy``."""

    def __init__(self) -> None:
        super().__init__()
        self.cookies.set_policy(TlsTerminatedCookiePolicy())

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        prepared = super().prepare_request(request)
        # requests writes the Cookie header from a fresh jar under the default policy, so
        # it is written again from a jar under this session's policy (requests documents
        # that prepare_cookies acts again once the header is removed).
        jar = RequestsCookieJar(policy=self.cookies.get_policy())
        jar.update(self.cookies)
        merge_cookies(jar, request.cookies or {})
        prepared.headers.pop("Cookie", None)
        prepared.prepare_cookies(jar)
        return prepared


def browser_session() -> requests.Session:
    """A ``requests`` session that keeps cookies as a browser behind TLS termination."""
    return TlsTerminatedSession()
