"""Per-client rate limits on the authenticated protocol endpoints (token, introspection,
revocation, userinfo), charged with the client that authentication already loaded.

The counting itself is ``idp.rate_limits`` (the named limits ``*_PER_CLIENT``); this
module turns a client over its limit into the protocol's answer: 429 ``slow_down`` with
``Retry-After`` (RFC 6749 §5.2 JSON, ``Cache-Control: no-store``).
"""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error

from idp import rate_limits


class ClientRateLimited(OAuth2Error):
    """The authenticated client is over its limit at this endpoint."""

    error = "slow_down"
    status_code = 429
    description = "Too many requests from this client; retry after Retry-After seconds."

    def __init__(self, retry_after: int):
        super().__init__()
        self.retry_after = retry_after

    def get_headers(self):
        return [*super().get_headers(), ("Retry-After", str(self.retry_after))]


def charge(client, auth_method: str | None = None) -> None:
    """Count this request against ``client``'s limit; raise ``ClientRateLimited`` over it.

    ``auth_method`` is how the client authenticated on this request (the token endpoint
    knows it); otherwise the client's registered method decides whether it is public.
    """
    method = auth_method or client.token_endpoint_auth_method
    seconds = rate_limits.charge_client(client.get_client_id(), method == "none")
    if seconds is not None:
        raise ClientRateLimited(seconds)
