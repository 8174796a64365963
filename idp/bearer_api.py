"""JSON APIs of services the operator configures (the SMS gateway, the carrier's
subscriber check), called with ``Authorization: Bearer <token>``.

One ``requests`` session per API for the process's life: its TLS connections are kept
alive and reused, where ``requests.post`` built a new session, TLS context and handshake
for every call (about a sixth of a login's samples in bench/run for the OTP). The
connection pool is thread-safe; the CA bundle is still read from the environment
(REQUESTS_CA_BUNDLE) for each new connection. An API that cannot be reached or answers
wrongly is ``ServiceUnavailable`` of its service, logged without the request's body
(an SMS holds the OTP).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import requests

from idp.errors import ServiceUnavailable


@dataclass
class BearerJsonApi:
    """POSTs JSON to ``url`` with the bearer ``token``; ``name`` (e.g. "SMS gateway")
    names it in the log lines, ``service`` in the ServiceUnavailable it raises."""

    service: str
    name: str
    url: str
    token: str
    timeout: float
    log: logging.Logger
    _session: requests.Session = field(default_factory=requests.Session, repr=False)

    def post(self, body: dict[str, Any]) -> requests.Response:
        """The API's answer, whatever its status; ServiceUnavailable when there is none."""
        try:
            return self._session.post(
                self.url,
                json=body,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            self.log.error("%s %s unreachable: %s", self.name, self.url, type(exc).__name__)
            raise ServiceUnavailable(self.service) from exc

    def unavailable(self, why: str, *args: object) -> ServiceUnavailable:
        """The error for an answer that cannot be used, logged as ``"<name> <url> " + why``."""
        self.log.error("%s %s " + why, self.name, self.url, *args)
        return ServiceUnavailable(self.service)
