"""Which destinations a request to a client-chosen URL may reach (the SSRF rule).

A URL's host is resolved once; every address it resolves to must be a public unicast
address, unless non-public addresses are allowed (development and tests, whose relying
parties listen on 127.0.0.1). The caller then connects to one of exactly these addresses,
so a DNS answer that changes between this check and the connection (DNS rebinding)
cannot steer the request inward.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

# Names that never lead to the public internet (RFC 6761 localhost, RFC 6762 .local,
# RFC 8375 .home.arpa, ICANN's reserved .internal, e.g. metadata.google.internal).
PRIVATE_NAMES = ("localhost",)
PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa")
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")
DEFAULT_PORTS = {"http": 80, "https": 443}

# Why a URL is refused (ASCII: they end up in RFC 6749 error descriptions).
UNPARSABLE = "the URL cannot be parsed"
NOT_HTTP = "only absolute http and https URLs are requested"
USER_INFO = "user information in the URL is not allowed"
PRIVATE_NAME = "the host name is reserved for private networks"
UNRESOLVABLE = "the host name cannot be resolved"
NON_PUBLIC = "the host is or resolves to a non-public address"
REFUSAL_REASONS = (UNPARSABLE, NOT_HTTP, USER_INFO, PRIVATE_NAME, UNRESOLVABLE, NON_PUBLIC)


class AddressRefused(Exception):
    """The URL may not be requested; ``reason`` says why, in plain English."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Destination:
    """A URL taken apart, with the addresses it was checked to reach."""

    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent on the request line
    host_header: str
    addresses: tuple[str, ...]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order (getaddrinfo)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_non_public(address: IPAddress) -> bool:
    """True for loopback, private, shared, link-local (cloud metadata), multicast,
    unspecified and reserved addresses: anything but public unicast."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return True
        embedded = _embedded_ipv4(address)
        if embedded is not None and is_non_public(embedded):
            return True
    return (
        not address.is_global
        or address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def _is_private_name(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name in PRIVATE_NAMES or name.endswith(PRIVATE_SUFFIXES)


def _host_header(host: str, port: int | None) -> str:
    named = f"[{host}]" if ":" in host else host
    return named if port is None else f"{named}:{port}"


def destination(
    url: str, *, allow_private: bool, resolver: Resolver, resolve: bool = True
) -> Destination:
    """Check ``url`` and resolve its host; AddressRefused when it may not be requested.

    ``resolve=False`` (only where non-public addresses are allowed anyway) checks the
    URL's shape and leaves ``addresses`` empty."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError:
        raise AddressRefused(UNPARSABLE) from None
    if parts.scheme not in DEFAULT_PORTS or not host:
        raise AddressRefused(NOT_HTTP)
    if "@" in parts.netloc:
        raise AddressRefused(USER_INFO)
    try:  # an internationalised name goes on the wire (DNS, SNI, Host) as IDNA
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise AddressRefused(UNPARSABLE) from None
    if not allow_private and _is_private_name(host):
        raise AddressRefused(PRIVATE_NAME)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    elif not resolve and allow_private:
        addresses = []
    else:
        try:
            addresses = resolver(host, port)
        except (OSError, UnicodeError):
            raise AddressRefused(UNRESOLVABLE) from None
        if not addresses:
            raise AddressRefused(UNRESOLVABLE)
    if not allow_private:
        for address in addresses:
            if is_non_public(ipaddress.ip_address(address)):
                raise AddressRefused(NON_PUBLIC)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return Destination(
        scheme=parts.scheme,
        host=host,
        port=port,
        target=target,
        host_header=_host_header(host, parts.port),
        addresses=tuple(addresses),
    )
