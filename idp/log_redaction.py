"""Moved to ``webapp.log_redaction`` (shared with the portal). This name is the same module
object, so the provider's imports and patches of it keep working."""

import sys

from webapp import log_redaction as _moved

sys.modules[__name__] = _moved
