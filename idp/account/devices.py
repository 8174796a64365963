"""Describing a signed-in browser to its owner: browser and system from the User-Agent,
and an approximate place from the IP address.

No outside service is asked: the place is only ``local`` (private, loopback or
link-local ranges, i.e. the same network as the provider) or ``unknown``; the page
shows the IP address beside it. The User-Agent parsing is deliberately simple: the
browser and system names most used in Vietnam, checked in an order where the more
specific token wins (Edge and Cốc Cốc also say "Chrome", Chrome also says "Safari").
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

LOCAL = "local"
UNKNOWN = "unknown"

# (pattern, name): the first match names the browser; then the system likewise.
_BROWSERS = (
    (r"\bEdg(?:e|A|iOS)?/", "Microsoft Edge"),
    (r"\bcoc_coc_browser/|\bCocCoc/", "Cốc Cốc"),
    (r"\bZalo\b|\bZaloTheme/", "Zalo"),
    (r"\bOPR/|\bOpera\b", "Opera"),
    (r"\bSamsungBrowser/", "Samsung Internet"),
    (r"\bFirefox/|\bFxiOS/", "Firefox"),
    (r"\bHeadlessChrome/", "Headless Chrome"),
    (r"\bChrome/|\bCriOS/|\bChromium/", "Chrome"),
    (r"\bVersion/[\d.]+.*\bSafari/", "Safari"),
)
_SYSTEMS = (
    (r"\bWindows Phone\b", "Windows Phone"),
    (r"\bWindows\b", "Windows"),
    (r"\bAndroid\b", "Android"),
    (r"\biPhone\b|\biPod\b", "iOS"),
    (r"\biPad\b", "iPadOS"),
    (r"\bCrOS\b", "ChromeOS"),
    (r"\bMac OS X\b|\bMacintosh\b", "macOS"),
    (r"\bLinux\b|\bX11\b", "Linux"),
)


@dataclass(frozen=True)
class Device:
    """A browser and its system; None for what the User-Agent does not say."""

    browser: str | None
    system: str | None


def _first(table: tuple[tuple[str, str], ...], text: str) -> str | None:
    # re caches the compiled patterns.
    return next((name for pattern, name in table if re.search(pattern, text)), None)


def describe_user_agent(user_agent: str | None) -> Device:
    """The browser and system named by a User-Agent header."""
    text = (user_agent or "")[:512]
    return Device(browser=_first(_BROWSERS, text), system=_first(_SYSTEMS, text))


def place_of(ip: str | None) -> str:
    """``local`` for private, loopback and link-local addresses, else ``unknown``."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return UNKNOWN
    if address.is_loopback or address.is_private or address.is_link_local:
        return LOCAL
    return UNKNOWN
