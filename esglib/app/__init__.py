"""The app layer: the command line, the demo, the notebook helpers and :mod:`esglib.app.bundled`.

Only this layer loads the bundled data files or fetches prices; the library below takes frames and configs.
Names are imported on first use (PEP 562) so ``esglib --help`` does not import pandas.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["run_demo", "main", "build_parser", "format_scores", "bundled", "notebook", "cli"]

_EXPORTS = {"run_demo": "esglib.app._demo", "main": "esglib.app.cli", "build_parser": "esglib.app.cli",
            "format_scores": "esglib.app._format"}
_SUBMODULES = {"bundled", "notebook", "cli"}


def __getattr__(name: str) -> Any:
    """Import public names on first use (PEP 562)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"esglib.app.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'esglib.app' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
