r"""Text that leaves esglib safely: into a spreadsheet cell (CSV, JSON, XLSX), into XML, onto a terminal.

One place decides what is dangerous, so every writer applies the same rules:

* :func:`neutralise` follows the OWASP guidance on CSV injection: a text value that begins with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return is prefixed with a single quote, so a spreadsheet shows it as text
  and never runs it as a formula. Numbers are left alone (``-5`` stays a number).
* :func:`xml_text` removes every character XML 1.0 cannot hold (C0 controls other than tab/newline/CR, lone
  surrogates, U+FFFE and U+FFFF), which would otherwise make openpyxl fail or write a workbook Excel repairs.
* :func:`terminal_text` shows control characters (ESC, BEL, CR, DEL, the C1 range, bidirectional overrides) as
  visible escapes such as ``\\x1b``, so no input text can clear a screen, fake a line or retitle a window.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from esglib.atomicio import atomic_write_text

__all__ = ["FORMULA_TRIGGERS", "neutralise", "neutralise_frame", "neutralise_json", "xml_text", "terminal_text",
           "TerminalStream", "write_csv", "dump_json"]

#: First characters that make a spreadsheet treat a cell as a formula (OWASP, CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# C0 (bar newline and tab), DEL, C1, and the bidirectional embedding/override/isolate controls
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_TERMINAL_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def neutralise(value: Any) -> Any:
    """Return ``value`` safe to put in a spreadsheet cell: formula-leading text gets a leading ``'``.

    Parameters
    ----------
    value : any
        A cell value. Only ``str`` values change.

    Returns
    -------
    any
        ``"'" + value`` when ``value`` is text beginning with one of :data:`FORMULA_TRIGGERS`, else ``value``.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralise_frame(frame):
    """Return a copy of a DataFrame whose text cells, index labels and column names are :func:`neutralise`-d.

    Parameters
    ----------
    frame : DataFrame

    Returns
    -------
    DataFrame
        Same shape; numeric columns untouched. The input is not modified.
    """
    import pandas as pd

    out = frame.copy()
    for i in range(len(out.columns)):
        s = out.iloc[:, i]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            out.isetitem(i, s.map(neutralise))
    out.columns = _neutral_index(out.columns)
    out.index = _neutral_index(out.index)
    return out


def _neutral_index(index):
    import pandas as pd

    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(neutralise(v) for v in t) for t in index], names=index.names)
    if index.dtype == object or isinstance(index.dtype, pd.StringDtype):
        return pd.Index([neutralise(v) for v in index], name=neutralise(index.name), dtype=index.dtype)
    return index


def neutralise_json(obj: Any) -> Any:
    """Return a copy of a JSON-able structure with :func:`neutralise`-d strings (keys too); NaN/inf become None.

    Parameters
    ----------
    obj : dict, list, tuple or scalar

    Returns
    -------
    The same structure with safe strings.
    """
    if isinstance(obj, Mapping):
        return {neutralise(str(k)): neutralise_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [neutralise_json(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if not isinstance(obj, str):
        import numpy as np

        if isinstance(obj, np.generic):
            return neutralise_json(obj.item())
        try:
            import pandas as pd

            if obj is pd.NA or obj is pd.NaT:
                return None
        except ImportError:  # pragma: no cover
            pass
        obj = str(obj)
    return neutralise(obj)


def write_csv(path, frame, **to_csv) -> Path:
    """Write ``frame`` as CSV atomically, every text cell :func:`neutralise`-d (OWASP CSV injection).

    Parameters
    ----------
    path : path-like
    frame : DataFrame
    **to_csv
        Passed to :meth:`DataFrame.to_csv` (``index=False`` ...).
    """
    return atomic_write_text(path, neutralise_frame(frame).to_csv(**to_csv))


def dump_json(obj: Any, stream, **kw) -> None:
    """``json.dump`` of :func:`neutralise_json` (obj) to ``stream``, then a newline."""
    import json

    json.dump(neutralise_json(obj), stream, **{"indent": 1, **kw})
    stream.write("\n")


def xml_text(value: Any) -> str:
    """``str(value)`` without the characters XML 1.0 cannot hold (so it can go into any part of a workbook)."""
    return _XML_ILLEGAL.sub("", str(value))


def terminal_text(value: Any, *, newlines: bool = True) -> str:
    r"""``str(value)`` with control characters shown as escapes (``\\x1b``, ``\\r``, ``\\u202e``).

    Parameters
    ----------
    value : any
    newlines : bool
        Keep ``\\n`` and ``\\t`` (for whole messages); False escapes them too (for one value on one line).
    """
    pattern = _TERMINAL_UNSAFE if newlines else _TERMINAL_UNSAFE_LINE
    return pattern.sub(_escape, str(value))


def _escape(match: re.Match) -> str:
    ch = match.group(0)
    special = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
    if ch in special:
        return special[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class TerminalStream(io.TextIOBase):
    """A text stream that writes through :func:`terminal_text` to another stream (stdout/stderr of the CLI)."""

    def __init__(self, stream) -> None:
        super().__init__()
        self._stream = stream

    def write(self, text: str) -> int:
        """Write ``text`` with its control characters escaped; return its length."""
        self._stream.write(terminal_text(text))
        return len(text)

    def flush(self) -> None:
        """Flush the wrapped stream."""
        self._stream.flush()

    def isatty(self) -> bool:
        """Return whether the wrapped stream is a terminal."""
        return bool(getattr(self._stream, "isatty", lambda: False)())

    @property
    def encoding(self):  # type: ignore[override]
        """Return the wrapped stream's encoding."""
        return getattr(self._stream, "encoding", "utf-8")

    def fileno(self) -> int:
        """Return the wrapped stream's file descriptor."""
        return self._stream.fileno()
