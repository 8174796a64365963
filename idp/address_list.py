"""Lists of IP addresses and networks from settings (``TRUSTED_PROXIES``, ``METRICS_ALLOWED_IPS``).

A list is written as comma-separated addresses or CIDR networks, e.g.
``"127.0.0.1, 10.0.0.0/8, ::1"``. A mistake in it stops the provider at start with the
setting's name, never later at request time.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from idp.settings import SettingsError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AddressList:
    """Addresses and networks; ``address in list`` tells whether one of them holds it."""

    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, setting: str, raw: str) -> AddressList:
        """Parse the comma-separated value of the setting named ``setting``."""
        networks = []
        for item in (part.strip() for part in str(raw or "").split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise SettingsError(
                    f"{setting}: {item!r} is not an IP address or a CIDR network"
                ) from None
        return cls(tuple(networks))

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, str) or not address:
            return False
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip.version == net.version and ip in net for net in self.networks)
