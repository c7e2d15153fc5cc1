"""Temporary alias for the notebooks until they move to the public API (removed with the notebook update)."""

from __future__ import annotations

from esglib.outputs.excel import *  # noqa: F403
from esglib.outputs.excel import __all__  # noqa: F401
