"""``SUBSCRIBER_CHECK=http``: a carrier (or aggregator) verification API.

The contract, one JSON request per check::

    POST <SUBSCRIBER_HTTP_URL>
    Authorization: Bearer <SUBSCRIBER_HTTP_TOKEN>
    Content-Type: application/json

    {"phone": "+84912345678", "id_number": "066090001234"}

    200 OK
    {"match": true}        # or false: the subscription is not registered to that number

Anything else (a refused connection, no answer within ``SUBSCRIBER_HTTP_TIMEOUT``
seconds, a status other than 200, a body that is not a JSON object whose ``match`` is
a boolean) means the answer is unknown: ``ServiceUnavailable("subscriber")``, so the
citizen is asked to try again later and nothing is stored or sent.
"""

from __future__ import annotations

import logging

from idp.bearer_api import BearerJsonApi
from webapp import json_limits

log = logging.getLogger("idp.subscribers")


class CarrierApiCheck:
    """Asks the carrier API whether the phone is registered to the identity number."""

    def __init__(self, url: str, token: str, timeout: float):
        self.api = BearerJsonApi("subscriber", "carrier API", url, token, timeout, log)

    def is_registered_to(self, phone_e164: str, id_number: str) -> bool:
        """The API's ``match``; ServiceUnavailable when the answer cannot be trusted."""
        response = self.api.post({"phone": phone_e164, "id_number": id_number})
        if response.status_code != 200:
            raise self.api.unavailable("answered HTTP %s", response.status_code)
        try:
            body = json_limits.loads(response.content)
        except ValueError as exc:
            raise self.api.unavailable("answered a body that is not JSON within limits") from exc
        match = body.get("match") if isinstance(body, dict) else None
        if not isinstance(match, bool):
            raise self.api.unavailable("answered without a boolean 'match'")
        return match
