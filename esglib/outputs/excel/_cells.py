"""Cell safety for Excel: formula-injection guard, illegal characters, sheet titles."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from esglib.safety import xml_text

__all__ = ['sheet_title', 'safe_text']


_MAX_CELL_TEXT = 32_767
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_URL_OK = re.compile(r"^(https?://|mailto:)\S+$", re.IGNORECASE)
_RESERVED_SHEETS = {"summary", "portfolio", "weights", "methodology", "sources", "lists", "history"}


# ------------------------------------------------------------------------------------------------ small helpers
def safe_text(value: str) -> str:
    """Make a string storable in a cell: drop XML-illegal characters and cap it at Excel's 32,767.

    XML-illegal: C0 controls other than tab/newline/CR, U+FFFE/U+FFFF and lone surrogates.

    Parameters
    ----------
    value : str

    Returns
    -------
    str
        The cleaned text (formula-looking text is handled when the cell is written, not here).
    """
    text = xml_text(value)
    return text if len(text) <= _MAX_CELL_TEXT else text[: _MAX_CELL_TEXT - 1] + "…"


def sheet_title(name: str, taken: Iterable[str] = ()) -> str:
    r"""A valid, unique Excel sheet name for ``name``.

    Excel sheet names have at most 31 characters, none of ``[ ] : * ? / \``, do not begin or end with an
    apostrophe, are not ``History`` and are unique ignoring case.

    Parameters
    ----------
    name : str
        Wanted name (a ticker, a company name...).
    taken : iterable of str
        Names already used in the workbook (compared case-insensitively).

    Returns
    -------
    str
        ``name`` cleaned (forbidden characters become ``_``), cut to 31 characters and, if needed, given a
        ``~2``, ``~3``... suffix to make it unique.
    """
    used = {t.lower() for t in taken}
    base = _SHEET_FORBIDDEN.sub("_", xml_text(name)).strip().strip("'").strip() or "Sheet"
    if base.lower() == "history":
        base = "History_"
    base = base[:31].strip("'") or "Sheet"
    title, k = base, 1
    while title.lower() in used:
        k += 1
        suffix = f"~{k}"
        title = base[: 31 - len(suffix)].rstrip("'") + suffix
    return title


def _quote_sheet(title: str) -> str:
    """Sheet name as written in a formula or hyperlink location (``'My sheet'``)."""
    return "'" + title.replace("'", "''") + "'"


def _first_url(text: Any) -> str | None:
    """First ``http(s)``/``mailto`` address in a ``" | "``-joined list of sources, else None."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    for piece in str(text).split("|"):
        piece = piece.strip()
        if _URL_OK.match(piece) and len(piece) <= 2000:
            return piece
    return None


def _letter(idx: int) -> str:
    """1-based column index -> Excel letters."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(idx)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, (float, np.floating)) and math.isnan(value))
    except TypeError:  # pragma: no cover - exotic scalars
        return False
