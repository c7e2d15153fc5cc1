"""Temporary alias for the notebooks until they move to the public API (removed with the notebook update)."""

from __future__ import annotations

from esglib.atomicio import atomic_path, atomic_write_bytes, atomic_write_text, atomic_write_with
from esglib.inputs import DATA_DIR, REPORTS_DIR

__all__ = ["DATA_DIR", "REPORTS_DIR", "atomic_path", "atomic_write_bytes", "atomic_write_text", "atomic_write_with"]
