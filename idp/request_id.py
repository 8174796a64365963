"""Moved to ``webapp.request_id`` (shared with the portal). This name is the same module
object, so the provider's imports and patches of it keep working."""

import sys

from webapp import request_id as _moved

sys.modules[__name__] = _moved
