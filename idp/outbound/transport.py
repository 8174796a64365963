"""HTTP requests to client-chosen URLs under the outbound policy.

Each request goes to an address that ``addresses.destination`` checked (TLS still
verifies the certificate against the URL's host name), follows no redirect (a 3xx is
returned as it is), gives up after ``timeout`` seconds without progress and after twice
that in all, and reads at most ``max_bytes`` of the body. Bodies are asked for without
compression and a compressed one is refused, so the cap is the size in memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import certifi
import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError

from idp.outbound.addresses import (
    AddressRefused,
    Destination,
    Resolver,
    destination,
    system_resolver,
)

USER_AGENT = "dvc-idp (OpenID Provider)"
CHUNK_BYTES = 8192
# urllib3's options for a response as the server sent it: a 3xx is returned, not followed;
# no retry; the address is ours, not the URL's host; the body is read by ``_read`` only.
_AS_SENT = {
    "redirect": False,
    "retries": False,
    "assert_same_host": False,
    "preload_content": False,
    "decode_content": False,
}


class OutboundError(Exception):
    """A request to a client-chosen URL was refused or did not complete."""


class OutboundRefused(OutboundError):
    """The policy refused the URL before any connection (``reason`` says why)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class OutboundFailed(OutboundError):
    """The request was made and failed: connection, timeout, size cap, encoding."""


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    body: bytes


@dataclass
class OutboundHttp:
    """The provider's one way to request a URL that a client chose."""

    allow_private: bool
    timeout: float
    max_bytes: int
    resolver: Resolver = system_resolver
    ca_certs: str = field(default_factory=certifi.where)  # Mozilla's roots, as requests

    def check(self, url: str) -> None:
        """OutboundRefused when the policy forbids requesting ``url`` (at registration).

        Where non-public addresses are allowed the host is not resolved: a development
        client may register a name that resolves only later."""
        self._destination(url, resolve=not self.allow_private)

    def _destination(self, url: str, *, resolve: bool = True) -> Destination:
        try:
            return destination(
                url, allow_private=self.allow_private, resolver=self.resolver, resolve=resolve
            )
        except AddressRefused as exc:
            raise OutboundRefused(exc.reason) from None

    def get(
        self,
        url: str,
        *,
        timeout: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> OutboundResponse:
        """GET ``url``; the status and (capped) body, redirects not followed."""
        return self._request("GET", url, None, dict(headers or {}), timeout)

    def post_form(
        self,
        url: str,
        fields: dict[str, str],
        *,
        timeout: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> OutboundResponse:
        """POST ``fields`` form-encoded to ``url``; the status and (capped) body."""
        headers = {**(headers or {}), "Content-Type": "application/x-www-form-urlencoded"}
        return self._request("POST", url, urlencode(fields).encode(), headers, timeout)

    def _request(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        timeout: float | None,
    ) -> OutboundResponse:
        target = self._destination(url)
        seconds = float(timeout if timeout is not None else self.timeout)
        headers = {
            **headers,
            "Host": target.host_header,
            "User-Agent": USER_AGENT,
            "Accept-Encoding": "identity",
        }
        last_error = "no address"
        for address in target.addresses:
            pool = self._pool(target, address, seconds)
            try:
                response = pool.urlopen(method, target.target, body, headers, **_AS_SENT)
            except (NewConnectionError, ConnectTimeoutError) as exc:
                last_error = type(exc).__name__  # this address is down: try the next one
                pool.close()
                continue
            except HTTPError as exc:
                pool.close()
                raise OutboundFailed(type(exc).__name__) from None
            try:
                return OutboundResponse(response.status, self._read(response, seconds))
            finally:
                response.release_conn()
                pool.close()
        raise OutboundFailed(last_error)

    def _pool(
        self, target: Destination, address: str, seconds: float
    ) -> urllib3.HTTPConnectionPool:
        timeout = urllib3.Timeout(connect=seconds, read=seconds)
        if target.scheme == "https":
            return urllib3.HTTPSConnectionPool(
                address,
                target.port,
                timeout=timeout,
                retries=False,
                cert_reqs="CERT_REQUIRED",
                ca_certs=self.ca_certs,
                server_hostname=target.host,
                assert_hostname=target.host,
            )
        return urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, retries=False)

    def _read(self, response: urllib3.BaseHTTPResponse, seconds: float) -> bytes:
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise OutboundFailed("compressed body")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise OutboundFailed("body too large")
        # The read timeout bounds each wait; this bounds a body dripped slowly.
        deadline = time.monotonic() + 2 * seconds
        body = bytearray()
        try:
            while chunk := response.read(CHUNK_BYTES):
                body += chunk
                if len(body) > self.max_bytes:
                    raise OutboundFailed("body too large")
                if time.monotonic() > deadline:
                    raise OutboundFailed("body too slow")
        except HTTPError as exc:
            raise OutboundFailed(type(exc).__name__) from None
        return bytes(body)
