"""Where the bundled data and the default outputs live (paths only: nothing here reads a file)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ['PACKAGE_DIR', 'DATA_DIR', 'REPORTS_DIR']


#: The ``esglib`` package folder.
PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: Folder of the bundled data (``data/`` beside the package in a source checkout).
DATA_DIR = Path(os.environ.get("ESGLIB_DATA_DIR", PACKAGE_DIR.parent / "data"))
#: Default folder for generated output.
REPORTS_DIR = Path(os.environ.get("ESGLIB_REPORTS_DIR", PACKAGE_DIR.parent / "reports"))
