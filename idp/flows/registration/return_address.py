"""Where a finished registration may send the citizen: the provider's one guard
(``idp.flows.return_address``)."""

from idp.flows.return_address import safe_return_address

__all__ = ["safe_return_address"]
