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

import requests

from idp.errors import ServiceUnavailable
from webapp import json_limits

log = logging.getLogger("idp.subscribers")


class CarrierApiCheck:
    """Asks the carrier API whether the phone is registered to the identity number."""

    def __init__(self, url: str, token: str, timeout: float):
        self.url = url
        self.token = token
        self.timeout = timeout
        # One session: its TLS connections are kept alive and reused (idp.sms.http).
        self._session = requests.Session()

    def is_registered_to(self, phone_e164: str, id_number: str) -> bool:
        """The API's ``match``; ServiceUnavailable when the answer cannot be trusted."""
        try:
            response = self._session.post(
                self.url,
                json={"phone": phone_e164, "id_number": id_number},
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            log.error("carrier API %s unreachable: %s", self.url, type(exc).__name__)
            raise ServiceUnavailable("subscriber") from exc
        if response.status_code != 200:
            log.error("carrier API %s answered HTTP %s", self.url, response.status_code)
            raise ServiceUnavailable("subscriber")
        try:
            body = json_limits.loads(response.content)
        except ValueError as exc:
            log.error("carrier API %s answered a body that is not JSON within limits", self.url)
            raise ServiceUnavailable("subscriber") from exc
        match = body.get("match") if isinstance(body, dict) else None
        if not isinstance(match, bool):
            log.error("carrier API %s answered without a boolean 'match'", self.url)
            raise ServiceUnavailable("subscriber")
        return match
