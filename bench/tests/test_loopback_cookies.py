"""The bench's browsers send the provider's Secure cookies back over http://127.0.0.1, as
a browser does over HTTPS to the production TLS terminator, and nowhere else over HTTP."""

import threading
from http.cookiejar import Cookie, CookieJar
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.request import Request

import pytest
import requests

from bench.loopback_cookies import TlsTerminatedCookiePolicy, browser_session, is_loopback

# What the provider sets in production (SESSION_COOKIE_SECURE=true), and the ``__Host-``
# form of the same cookie.
SET_COOKIES = (
    "idp_session=s1; Path=/; Secure; HttpOnly; SameSite=Lax",
    "__Host-idp_flow=f1; Path=/; Secure; HttpOnly; SameSite=Lax",
)


class CookieEcho(BaseHTTPRequestHandler):
    """``/set`` sets SET_COOKIES; any other path answers with the Cookie header it got."""

    def log_message(self, format: str, *args) -> None:
        return

    def do_GET(self) -> None:
        body = b"" if self.path == "/set" else (self.headers.get("Cookie") or "").encode()
        self.send_response(200)
        if self.path == "/set":
            for cookie in SET_COOKIES:
                self.send_header("Set-Cookie", cookie)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def echo():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), CookieEcho)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def sent_back(session: requests.Session, base: str) -> set[str]:
    session.get(base + "/set", timeout=5)
    header = session.get(base + "/echo", timeout=5).text
    return {pair.strip() for pair in header.split(";") if pair.strip()}


def test_secure_and_host_prefixed_cookies_go_back_over_http_to_loopback(echo):
    assert sent_back(browser_session(), echo) == {"idp_session=s1", "__Host-idp_flow=f1"}
    # Python's default policy drops them, which is why the bench needs its own.
    assert sent_back(requests.Session(), echo) == set()


def _cookie(name: str, value: str, host: str) -> Cookie:
    return Cookie(
        version=0,
        name=name,
        value=value,
        port=None,
        port_specified=False,
        domain=host,
        domain_specified=False,
        domain_initial_dot=False,
        path="/",
        path_specified=True,
        secure=True,
        expires=None,
        discard=True,
        comment=None,
        comment_url=None,
        rest={"HttpOnly": None},
    )


def test_secure_cookies_stay_off_plain_http_to_other_hosts():
    jar = CookieJar(TlsTerminatedCookiePolicy())
    for host in ("127.0.0.1", "id.example.vn"):
        jar.set_cookie(_cookie("idp_session", "s1", host))

    def header(url: str) -> str | None:
        request = Request(url)  # noqa: S310 (only handed to the jar, never opened)
        jar.add_cookie_header(request)
        return request.get_header("Cookie")

    assert header("http://id.example.vn/oauth2/authorize") is None
    assert header("https://id.example.vn/oauth2/authorize") == "idp_session=s1"
    assert header("http://127.0.0.1:8000/oauth2/authorize") == "idp_session=s1"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("localhost", True),
        ("10.0.0.1", False),
        ("id.example.vn", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback
