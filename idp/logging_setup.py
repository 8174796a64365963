"""Moved to ``webapp.logging_setup`` (shared with the portal). This name is the same module
object, so the provider's imports and patches of it keep working."""

import sys

from webapp import logging_setup as _moved

sys.modules[__name__] = _moved
