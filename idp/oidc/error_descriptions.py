"""Error descriptions in the characters RFC 6749 allows, made so in one place.

RFC 6749 §4.1.2.1 and §5.2 allow only ``%x20-21 / %x23-5B / %x5D-7E`` in
``error_description``: printable ASCII without ``"`` and ``\\``. Authlib's ``OAuth2Error``
raises ``ValueError`` when a description holds anything else, and Authlib itself builds
descriptions from request values (``response_type=<value> is not supported``), so any
such value echoed into an error became a 500 instead of the error. ``install`` makes every
``OAuth2Error`` (Authlib's and ours, on every endpoint) replace each forbidden character
with ``?`` before Authlib checks it.
"""

from __future__ import annotations

import functools

from authlib.oauth2 import OAuth2Error

REPLACEMENT = "?"
_MARK = "_idp_safe_description"


def is_allowed(char: str) -> bool:
    """Whether RFC 6749 allows ``char`` in an error description."""
    code = ord(char)
    return 0x20 <= code <= 0x7E and char not in '"\\'


def safe_description(text: str) -> str:
    """``text`` with every character RFC 6749 forbids in an error description replaced."""
    return "".join(char if is_allowed(char) else REPLACEMENT for char in text)


def install() -> None:
    """Make every ``OAuth2Error`` sanitise its description (once per process)."""
    original = OAuth2Error.__init__
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def __init__(self, description=None, *args, **kwargs):
        if isinstance(description, str):
            description = safe_description(description)
        original(self, description, *args, **kwargs)

    setattr(__init__, _MARK, True)
    OAuth2Error.__init__ = __init__
