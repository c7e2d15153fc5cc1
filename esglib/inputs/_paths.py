"""Where the bundled data and the default outputs live (paths only: nothing here reads a file).

The repository keeps ``data/`` and ``notebooks/`` at its top level; the wheel and sdist carry them as package data,
``esglib/_bundled`` and ``esglib/_notebooks`` (the ``package-dir`` mapping in ``pyproject.toml``), so an installed
esglib finds them too.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

__all__ = ['PACKAGE_DIR', 'DATA_DIR', 'REPORTS_DIR', 'bundled_data_dir', 'bundled_notebooks_dir', 'source_checkout']


#: The ``esglib`` package folder.
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def source_checkout() -> Path | None:
    """The repository root when esglib runs from a source checkout (or an editable install), else None."""
    root = PACKAGE_DIR.parent
    if (root / "pyproject.toml").is_file() and (root / "data" / "companies.csv").is_file():
        return root
    return None


def _installed(name: str) -> Path:
    """Folder of a data package shipped inside the wheel (``esglib/_bundled`` = ``data/``, ``esglib/_notebooks``)."""
    return Path(str(files("esglib") / name))


def bundled_data_dir() -> Path:
    """Folder of the bundled data: ``$ESGLIB_DATA_DIR``, else ``data/`` of a source checkout, else the wheel's copy.

    The wheel ships the repository's top-level ``data/`` as ``esglib/_bundled`` (see ``pyproject.toml``).
    """
    env = os.environ.get("ESGLIB_DATA_DIR")
    if env:
        return Path(env)
    root = source_checkout()
    return root / "data" if root is not None else _installed("_bundled")


def bundled_notebooks_dir() -> Path:
    """Folder of the notebook suite: ``notebooks/`` of a source checkout, else the wheel's ``esglib/_notebooks``."""
    root = source_checkout()
    return root / "notebooks" if root is not None else _installed("_notebooks")


#: Folder of the bundled data (see :func:`bundled_data_dir`).
DATA_DIR = bundled_data_dir()
#: Default folder for generated output: ``reports/`` of a source checkout, else ``reports/`` in the current folder.
REPORTS_DIR = Path(os.environ.get("ESGLIB_REPORTS_DIR") or (source_checkout() or Path.cwd()) / "reports")
