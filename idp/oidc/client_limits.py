"""Rate limits on the authenticated protocol endpoints (token, introspection, revocation,
userinfo): per client once authentication has succeeded, with the client it already
loaded; failed authentications per address.

The counting is ``idp.rate_limits`` (the named limits ``*_PER_CLIENT`` and ``*_FAILURES``);
this module turns a refusal into the protocol's answer: 429 ``slow_down`` with
``Retry-After`` (RFC 6749 §5.2 JSON, ``Cache-Control: no-store``).
"""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error

from idp import rate_limits


class RateLimited(OAuth2Error):
    """The client, or its address, is over a limit at this endpoint."""

    error = "slow_down"
    status_code = 429

    def __init__(self, refusal: rate_limits.Refusal):
        super().__init__(description=refusal.description)
        self.retry_after = refusal.seconds

    def get_headers(self):
        return [*super().get_headers(), ("Retry-After", str(self.retry_after))]


def charge(client, auth_method: str | None = None) -> None:
    """Count this authenticated request; raise ``RateLimited`` when over a limit.

    ``auth_method`` is how the client authenticated on this request (the token endpoint
    knows it); otherwise the client's registered method decides whether it is public.
    """
    method = auth_method or client.token_endpoint_auth_method
    refusal = rate_limits.count_authenticated_client(client.get_client_id(), method == "none")
    if refusal is not None:
        raise RateLimited(refusal)


def count_failure() -> None:
    """Count a failed authentication against the address; raise ``RateLimited`` (instead
    of the authentication error) once the address is over its limit."""
    refusal = rate_limits.count_failed_authentication()
    if refusal is not None:
        raise RateLimited(refusal)
