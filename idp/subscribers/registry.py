"""``SUBSCRIBER_CHECK=registry``: the check reads the ``subscriber`` table.

The table is loaded from the carriers' exports with ``idp subscribers import FILE.csv``
(see ``idp.subscribers.csv_import``).
"""

from __future__ import annotations

from idp.extensions import db
from idp.subscribers.models import Subscriber


class RegistryCheck:
    """Looks the phone up in the registry table; an unknown phone is not "chính chủ"."""

    def is_registered_to(self, phone_e164: str, id_number: str) -> bool:
        """Whether the registry lists ``phone_e164`` under ``id_number``."""
        owner = db.session.scalar(db.select(Subscriber.id_number).filter_by(phone=phone_e164))
        return owner is not None and owner == id_number
