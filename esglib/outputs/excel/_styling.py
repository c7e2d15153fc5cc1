"""The workbook wrapper: styles, links, column widths and the atomic save."""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from esglib.errors import ConfigError
from esglib.outputs.excel._cells import _is_missing, _letter, safe_text
from esglib.safety import FORMULA_TRIGGERS, xml_text

__all__ = []


_COLOURS = {"header": "1F3864", "band": "D9E1F2", "input": "FFF2CC", "link": "0563C1", "muted": "595959"}


@dataclass(frozen=True)
class _F:
    """A formula esglib built itself (the only way a formula reaches a cell)."""

    text: str


@dataclass(frozen=True)
class _Link:
    """A hyperlink cell: ``target`` (a URL) or ``location`` (``'Sheet'!A1`` inside the workbook)."""

    text: str
    target: str | None = None
    location: str | None = None


class _Book:
    """A write-only openpyxl workbook with a small cache of cell styles and formula-injection-safe cells."""

    def __init__(self) -> None:
        from openpyxl import Workbook

        self.wb = Workbook(write_only=True)
        self._styles: dict[str, Any] = {}
        self._probe_ws = None
        self.rows_written: dict[str, int] = {}

    def sheet(self, title: str):
        ws = self.wb.create_sheet(xml_text(title))
        if self._probe_ws is None:
            self._probe_ws = ws
        return ws

    # styles -----------------------------------------------------------------------------------------
    def _style(self, key: str):
        """StyleArray for a named style (built once per workbook)."""
        if key in self._styles:
            return self._styles[key]
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill

        c = WriteOnlyCell(self._probe_ws)
        parts = key.split("+")
        for part in parts:
            if part == "header":
                c.font = Font(bold=True, color="FFFFFF")
                c.fill = PatternFill("solid", fgColor=_COLOURS["header"])
                c.alignment = Alignment(wrap_text=True, vertical="top")
            elif part == "title":
                c.font = Font(bold=True, size=14)
            elif part == "bold":
                c.font = Font(bold=True)
            elif part == "muted":
                c.font = Font(italic=True, color=_COLOURS["muted"])
            elif part == "band":
                c.fill = PatternFill("solid", fgColor=_COLOURS["band"])
                c.font = Font(bold=True)
            elif part == "input":
                c.fill = PatternFill("solid", fgColor=_COLOURS["input"])
                c.font = Font(bold=True, color="1F3864")
            elif part == "link":
                c.font = Font(color=_COLOURS["link"], underline="single")
            elif part == "wrap":
                c.alignment = Alignment(wrap_text=True, vertical="top")
            elif part == "top":
                c.alignment = Alignment(vertical="top")
            elif part == "text":
                c.quotePrefix = True
            elif part.startswith("fmt:"):
                c.number_format = part[4:]
            else:  # pragma: no cover - programming error
                raise KeyError(part)
        self._styles[key] = c._style
        return c._style

    # cells ------------------------------------------------------------------------------------------
    def cell(self, ws, value: Any, style: str | None = None):
        """Turn a Python value into something ``ws.append`` writes safely (a value or a WriteOnlyCell)."""
        from openpyxl.cell import WriteOnlyCell

        if isinstance(value, _F):
            if style is None:
                return value.text  # openpyxl stores a str starting with "=" as a formula: only ours get here
            c = WriteOnlyCell(ws, value.text)
        elif isinstance(value, _Link):
            from openpyxl.worksheet.hyperlink import Hyperlink

            c = self.cell(ws, value.text, "+".join(filter(None, [style, "link"])))
            c.hyperlink = Hyperlink(ref="A1", target=None if value.target is None else xml_text(value.target),
                                    location=None if value.location is None else xml_text(value.location))
            return c
        elif _is_missing(value):
            if style is None:
                return None
            c = WriteOnlyCell(ws, None)
        elif isinstance(value, str):
            text = safe_text(value)
            if text.startswith(FORMULA_TRIGGERS):
                c = WriteOnlyCell(ws, None)
                c._value = text
                c.data_type = "s"
                style = "+".join(filter(None, [style, "text"]))
            elif style is None:
                return text
            else:
                c = WriteOnlyCell(ws, None)
                c._value = text
                c.data_type = "s"
        elif isinstance(value, (bool, np.bool_)):
            if style is None:
                return bool(value)
            c = WriteOnlyCell(ws, bool(value))
        elif isinstance(value, (int, np.integer)):
            if style is None:
                return int(value)
            c = WriteOnlyCell(ws, int(value))
        elif isinstance(value, (float, np.floating)):
            v = float(value)
            if not math.isfinite(v):
                return None if style is None else self.cell(ws, None, style)  # Excel has no inf or NaN
            if float(f"{v:.16g}") == v:
                if style is None:
                    return v
                c = WriteOnlyCell(ws, v)
            else:  # openpyxl writes 16 significant digits; keep the exact double (shortest round-trip repr)
                c = WriteOnlyCell(ws, None)
                c._value = repr(v)
                c.data_type = "n"
        elif isinstance(value, (_dt.date, pd.Timestamp)):
            text = str(pd.Timestamp(value).date())
            return text if style is None else self.cell(ws, text, style)
        else:
            return self.cell(ws, str(value), style)
        if style:
            c._style = copy(self._style(style))
        return c

    def row(self, ws, values: Sequence[Any], styles: Sequence[str | None] | str | None = None,
            height: float | None = None) -> int:
        """Append one row (``height`` in points); ``styles`` is one style for every cell or one per cell.

        Returns the row's number.
        """
        r = self.rows_written.get(ws.title, 0) + 1
        self.rows_written[ws.title] = r
        if height is not None:
            ws.row_dimensions[r].height = height
        if styles is None or isinstance(styles, str):
            styles = [styles] * len(values)
        styles = [*styles, *[None] * (len(values) - len(styles))]
        ws.append([self.cell(ws, v, s) for v, s in zip(values, styles, strict=False)])
        return r

    def save(self, path: Path) -> None:
        for name in list(getattr(self.wb, "defined_names", {}) or {}):  # every string reaching the XML is clean
            dn = self.wb.defined_names[name]
            if dn.value is not None:
                dn.value = xml_text(dn.value)
        self.wb.save(path)

    def discard(self) -> None:
        """Close every streamed sheet and delete openpyxl's temporary files (after a failed write)."""
        for ws in self.wb.worksheets:
            writer = getattr(ws, "_writer", None)
            if writer is None:
                continue
            with contextlib.suppress(Exception):
                if not ws.closed:
                    ws.close()
            with contextlib.suppress(Exception):
                writer.cleanup()


@contextlib.contextmanager
def _new_book() -> Iterator[_Book]:
    """A :class:`_Book` whose half-written sheets are cleaned up if the body fails."""
    book = _Book()
    try:
        yield book
    except BaseException:
        book.discard()
        raise


def _widths(ws, widths: Mapping[str, float] | Sequence[float]) -> None:
    items = widths.items() if isinstance(widths, Mapping) else ((_letter(i + 1), w) for i, w in enumerate(widths))
    for letter, w in items:
        ws.column_dimensions[letter].width = w


def _check_xlsx(path: str | os.PathLike[str], arg: str = "path") -> Path:
    p = Path(path)
    if p.suffix.lower() != ".xlsx":
        raise ConfigError(f"`{arg}` must end in .xlsx (Excel refuses other extensions for this format), got {str(p)!r}")
    if p.is_dir():
        raise ConfigError(f"`{arg}` is a folder, not a file: {str(p)!r}")
    return p


# ------------------------------------------------------------------------------------------------ layout and print
#: Number formats by kind of column (the scorecard's one place for them).
FORMATS = {"year": "0", "count": "0", "score": "0.00", "tonnes": "#,##0", "fraction": "0.0%", "number": "#,##0.00"}

_LINE_HEIGHT = 15.0  # points per line of 11-point text


def _shown(value: Any, fmt: str | None) -> str:
    """Roughly the text Excel shows for ``value`` under number format ``fmt`` (for column widths)."""
    if _is_missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return str(getattr(value, "text", value))
    v = float(value)
    if not math.isfinite(v):
        return ""
    if fmt in ("0", "General") or fmt is None and v == int(v):
        return f"{v:.0f}"
    if fmt == "0.0%":
        return f"{v:.1%}"
    if fmt == "0%":
        return f"{v:.0%}"
    if fmt == "#,##0":
        return f"{v:,.0f}"
    if fmt == "0.00":
        return f"{v:.2f}"
    return f"{v:,.2f}"


def _wrap_lines(text: str, width: float) -> int:
    """Lines ``text`` takes when word-wrapped in a column ``width`` characters wide."""
    room = max(int(width * 1.1) - 1, 1)  # a column width counts "0" digits; text is narrower
    total = 0
    for para in str(text).split("\n"):
        lines, used = 1, 0
        for word in para.split():
            n = len(word)
            if used and used + 1 + n <= room:
                used += 1 + n
            elif not used and n <= room:
                used = n
            else:
                lines += 1 if used else 0
                extra, rest = divmod(n, room)
                if rest == 0:
                    extra, rest = extra - 1, room
                lines += extra
                used = rest
        total += lines
    return max(total, 1)


def auto_width(header: str, values: Sequence[Any] = (), fmt: str | None = None, lo: float = 6.0,
               hi: float = 40.0) -> float:
    """A column width (Excel characters) that shows every value and every whole word of the wrapped header.

    The header wraps, so only its longest word must fit; the values do not wrap, so the longest must fit
    (capped at ``hi``: longer text wraps or is cut by the next cell).
    """
    longest_word = max((len(w) for w in str(header).split()), default=0)
    longest_value = max((len(_shown(v, fmt)) for v in values), default=0)
    return float(min(max(lo, longest_word + 2, longest_value + 2), hi))


def header_height(headers: Sequence[str], widths: Sequence[float]) -> float:
    """Row height (points) that shows every wrapped header in full."""
    lines = max((_wrap_lines(h, w) for h, w in zip(headers, widths, strict=False) if h), default=1)
    return _LINE_HEIGHT * lines + 3


def text_height(text: str, width: float) -> float:
    """Row height (points) of a cell of ``width`` characters that wraps ``text``."""
    return _LINE_HEIGHT * _wrap_lines(text, width) + 3


def _print_setup(ws, title_rows: str | None = None, area: str | None = None) -> None:
    """Landscape, one page wide (as many pages tall as needed), repeated header rows, optional print area.

    Call it before the sheet's first row: a streamed sheet writes its properties with that row. The header
    rows and print area may also be set later (they are workbook names, written on save).
    """
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if ws.sheet_properties.pageSetUpPr is None:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    else:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    if title_rows:
        ws.print_title_rows = title_rows
    if area:
        ws.print_area = area
