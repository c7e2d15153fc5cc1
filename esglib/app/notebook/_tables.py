"""Notebook presentation: tables styled for people, warnings as sentences, workbook previews with values."""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from esglib.errors import ConfigError
from esglib.outputs.excel import sheet_preview

__all__ = ["style_table", "number_format", "notes", "workbook_preview"]

_YEARS = re.compile(r"(^|_)(year|fy|fiscal_year)$|^year", re.IGNORECASE)
_COUNTS = re.compile(r"^(n_|count|rank)|(_count|_rank|^rank)$|^n$", re.IGNORECASE)
_SHARES = re.compile(r"(weight|coverage|share)$", re.IGNORECASE)


def number_format(name: str, values: pd.Series, unit: str | None = None, decimals: int = 2) -> str | None:
    """The display format of one column: integers for years and counts, percent for shares, rounded otherwise.

    Parameters
    ----------
    name : str
        Column name.
    values : Series
        The column.
    unit : str, optional
        Its unit: ``"%"``/``"share"`` for a fraction shown as a percentage; ``"year"`` for plain integers.
    decimals : int
        Decimals of other numbers.

    Returns
    -------
    str or None
        A ``str.format`` pattern, or None for text columns.
    """
    if not (pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)):
        return None
    v = pd.to_numeric(values, errors="coerce").astype("float64")
    finite = v[np.isfinite(v)]
    whole = bool(len(finite)) and bool((finite == finite.round()).all())
    n = str(name)
    if unit in ("year",) or _YEARS.search(n) and whole:
        return "{:.0f}"
    if unit in ("share", "fraction") or (unit is None and _SHARES.search(n) and len(finite)
                                         and finite.abs().max() <= 1.0 + 1e-9):
        return "{:.1%}"
    if _COUNTS.search(n) and whole or pd.api.types.is_integer_dtype(values.dtype):
        return "{:,.0f}"
    if len(finite) and finite.abs().max() >= 10_000:
        return "{:,.0f}"
    return "{:,." + str(int(decimals)) + "f}"


def style_table(df: pd.DataFrame | pd.Series, units: Mapping[str, str] | None = None, *, decimals: int = 2,
                caption: str | None = None, na_rep: str = "–"):
    """A pandas Styler that reads well: rounded numbers, units in the headers, years as plain integers.

    Parameters
    ----------
    df : DataFrame or Series
        The table (not modified).
    units : mapping, optional
        Unit by column, shown in its header as ``name (unit)``. The unit ``"share"`` shows a fraction as a
        percentage (``0.194`` -> ``19.4%``) and is written as ``%`` in the header.
    decimals : int
        Decimals of numbers that are not years, counts, shares or large amounts (default 2).
    caption : str, optional
        Caption above the table.
    na_rep : str
        Shown for missing values.

    Returns
    -------
    pandas.io.formats.style.Styler
        ``.data`` is a copy of ``df`` with the renamed headers; display it in a notebook, or ``.to_html()``.

    Raises
    ------
    ConfigError
        ``units`` names a column that is not in the table.
    """
    frame = df.to_frame() if isinstance(df, pd.Series) else df
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(f"`df` must be a DataFrame or Series, got {type(df).__name__}")
    units = dict(units or {})
    unknown = [c for c in units if c not in frame.columns]
    if unknown:
        raise ConfigError(f"`units` names column(s) {unknown} that are not in the table {list(frame.columns)}")
    formats: dict[str, str] = {}
    names: dict[Any, str] = {}
    for c in frame.columns:
        unit = units.get(c)
        fmt = number_format(str(c), frame[c], unit, decimals)
        shown = str(c).replace("_", " ")
        if unit:
            shown += f" ({'%' if unit in ('share', 'fraction') else unit})"
        names[c] = shown
        if fmt is not None:
            formats[shown] = fmt
    out = frame.rename(columns=names).copy()
    styler = out.style.format(formats, na_rep=na_rep)
    text = [c for c in out.columns if c not in formats]
    if text and out.index.is_unique and out.columns.is_unique:  # long text wraps in full (no "..." cut), left-aligned
        styler = styler.set_properties(subset=text, **{"text-align": "left", "white-space": "normal"})
    if isinstance(out.index, pd.Index) and pd.api.types.is_float_dtype(out.index.dtype):
        idx = out.index.to_series()
        if bool((idx.dropna() == idx.dropna().round()).all()):
            styler = styler.format_index("{:.0f}", axis=0)
    if caption:
        styler = styler.set_caption(caption)
    return styler.set_table_styles([{"selector": "th", "props": [("text-align", "left")]}], overwrite=False)


@contextlib.contextmanager
def notes(prefix: str = "Note: ", file: Any = None) -> Iterator[list[str]]:
    """Show the warnings raised inside the block as one-line sentences instead of raw warning boxes.

    ``with notes(): holdings = esglib.load_holdings(path)`` prints ``Note: 1 holding(s) not covered ...``.
    Paths are shortened to the file name. The sentences are also yielded as a list.
    """
    import sys

    shown: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield shown
    seen: set[str] = set()
    for w in caught:
        if issubclass(w.category, DeprecationWarning):
            continue
        text = " ".join(str(w.message).split())
        text = re.sub(r"(?:[A-Za-z]:)?[\\/][^\s:]*[\\/]([^\\/\s:]+)", r"\1", text)  # /long/path/file.csv -> file.csv
        if not re.match(r"^[^\s:]+\.\w+:", text):  # a sentence, unless it starts with a file name
            text = text[:1].upper() + text[1:]
        if not text.endswith((".", "!", "?")):
            text += "."
        if text in seen:
            continue
        seen.add(text)
        shown.append(text)
        print(prefix + text, file=file or sys.stdout)


def _blank(v: Any) -> bool:
    if isinstance(v, str):
        return v == ""
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _header_row(rows: Sequence[Sequence[Any]], markers: Sequence[str]) -> int | None:
    for i, r in enumerate(rows):
        cells = [str(v).strip() for v in r if not _blank(v)]
        if markers and cells[: len(markers)] == list(markers):
            return i
    return None


def workbook_preview(path: str | os.PathLike[str], sheet: str = "Summary", scores: pd.DataFrame | None = None,
                     max_rows: int = 10, header: Sequence[str] | None = None) -> pd.DataFrame:
    """A table from an esglib workbook as a reader sees it: its own header, values, no empty columns.

    Live formula cells (the scorecard's coverage, composite, rank and rating) have no value until a spreadsheet
    program opens the file. Given ``scores`` (the :func:`esglib.score` frame the workbook was written from),
    they show the values the formulas give at the written weights; otherwise they read ``(live formula)``.

    Parameters
    ----------
    path : path-like
        An ``.xlsx`` written by :func:`esglib.write_scorecard` (or any workbook with a header row).
    sheet : str
        Worksheet (default ``Summary``).
    scores : DataFrame, optional
        Scores by ticker, to show the live columns' values.
    max_rows : int
        Rows shown below the header.
    header : sequence of str, optional
        The first cells of the header row (default: ``rank, ticker`` on Summary, ``pillar, metric`` elsewhere).

    Returns
    -------
    DataFrame

    Raises
    ------
    ConfigError
        ``sheet`` is not in the workbook, or no header row is found.
    """
    grid = sheet_preview(path, sheet, max_rows=80 + max_rows, max_cols=40)
    rows = grid.to_numpy().tolist()
    markers = list(header) if header is not None else (["rank", "ticker"] if sheet == "Summary"
                                                        else ["pillar", "metric"])
    h = _header_row(rows, markers)
    if h is None:
        raise ConfigError(f"no header row starting {markers} in the first rows of sheet {sheet!r}")
    names = [str(v) if not _blank(v) else f"col{j}" for j, v in enumerate(rows[h])]
    body = []
    for r in rows[h + 1:]:
        if all(_blank(v) for v in r[:2]):
            break
        body.append(r)
        if len(body) >= max_rows:
            break
    out = pd.DataFrame(body, columns=names, dtype=object)
    live = {"coverage", "composite", "rating", "rank"}
    for c in out.columns:
        is_formula = out[c].map(lambda v: isinstance(v, str) and v.startswith("="))
        if not is_formula.any():
            continue
        if scores is not None and c in live and "ticker" in out.columns:
            known = scores[c]
            vals = out["ticker"].map(lambda t, known=known: known.get(t) if t in known.index else None)
            vals = vals.map(lambda v: None if _blank(v) else v)
            out.loc[is_formula, c] = vals[is_formula]
        else:
            out.loc[is_formula, c] = "(live formula)"
    keep = [c for c in out.columns if not out[c].map(_blank).all() and not c.startswith("col")]
    out = out[keep]
    for c in out.columns:  # numbers back to numbers, so style_table can format them
        conv = pd.to_numeric(out[c].map(lambda v: np.nan if _blank(v) else v), errors="coerce")
        if conv.notna().sum() == (~out[c].map(_blank)).sum():
            out[c] = conv
    return out
