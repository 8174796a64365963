"""Moved to ``webapp.i18n`` (shared with the portal). This name is the same module
object, so the provider's imports and patches of it keep working."""

import sys

from webapp import i18n as _moved

sys.modules[__name__] = _moved
