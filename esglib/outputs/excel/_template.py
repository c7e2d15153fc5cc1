"""The Excel input template, its preview and read-back."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from esglib.atomicio import atomic_path
from esglib.errors import ConfigError
from esglib.inputs import CANONICAL_UNIT, METRICS, QUALITY_LABELS, UNIT_FAMILIES
from esglib.outputs.excel._cells import _letter
from esglib.outputs.excel._styling import _check_xlsx, _new_book, _widths

__all__ = ['write_template', 'sheet_preview', 'fill_template', 'TEMPLATE_COLUMNS', 'TEMPLATE_ROWS']


#: Header of the template's Disclosures sheet, in order.
TEMPLATE_COLUMNS = ("ticker", "fiscal_year", "metric", "value", "unit", "basis", "scope_note", "data_quality",
                    "source_title", "source_url", "quote", "report_edition", "published_on", "retrieved_from")
#: Rows of the template's Disclosures sheet covered by the drop-down lists and number checks.
TEMPLATE_ROWS = 5000


# ------------------------------------------------------------------------------------------------ template
def _unit_choices() -> list[str]:
    """Canonical units first, then every other accepted spelling (case-insensitive duplicates dropped)."""
    seen: set[str] = set()
    out: list[str] = []
    for u in [*CANONICAL_UNIT.values(), *(s for fam in UNIT_FAMILIES.values() for s in fam)]:
        if u.lower() not in seen:
            seen.add(u.lower())
            out.append(u)
    return out


def write_template(path: str | os.PathLike[str], *, on_step: Callable[[str, Path], None] | None = None) -> Path:
    """Write the Excel input template for disclosures (atomically).

    Sheets: **Instructions** (how to fill it, one example row per kind of figure, the metric catalogue),
    **Disclosures** (header row 1 = :data:`TEMPLATE_COLUMNS`, empty, with drop-down lists for ``metric``,
    ``unit`` and ``data_quality``, decimals only in ``value``, whole years 1990-2100 in ``fiscal_year`` and
    ``report_edition``) and a hidden **Lists** sheet feeding the drop-downs. Read it back with
    :func:`esglib.load_disclosures`; problems are named by cell (``Disclosures!D14 (value)``).

    Parameters
    ----------
    path : path-like
        Target ``.xlsx``.
    on_step : callable, optional
        Called as ``on_step(stage, tmp_path)`` before each stage of the write: ``"disclosures"``, ``"lists"``,
        ``"instructions"`` and ``"save"`` (``tmp_path`` is the temporary file that replaces ``path`` on
        success). A progress hook, and the seam for fault-injection tests: whatever it raises aborts the write
        and leaves ``path`` untouched.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ConfigError
        If ``path`` does not end in ``.xlsx``.
    """
    from openpyxl.worksheet.datavalidation import DataValidation


    target = _check_xlsx(path)
    metrics = sorted(METRICS)
    units = _unit_choices()
    last = TEMPLATE_ROWS + 1
    col = {c: _letter(i + 1) for i, c in enumerate(TEMPLATE_COLUMNS)}
    with atomic_path(target) as tmp, _new_book() as book:
        def step(stage: str) -> None:
            if on_step is not None:
                on_step(stage, tmp)

        ins = book.sheet("Instructions")
        dis = book.sheet("Disclosures")
        lst = book.sheet("Lists")
        lst.sheet_state = "hidden"

        # Disclosures: header + validations, no data rows
        step("disclosures")
        _widths(dis, [10, 11, 34, 14, 16, 14, 30, 12, 40, 40, 60, 14, 14, 40])
        dis.freeze_panes = "A2"
        text_cols = ("ticker", "metric", "unit", "basis", "scope_note", "source_title", "source_url", "quote",
                     "retrieved_from")
        for c in text_cols:  # typed cells in these columns stay text (a ticker such as TRUE or 1E5)
            dis.column_dimensions[col[c]].number_format = "@"

        def dv(kind: str, column: str, prompt: str, error: str, style: str = "stop", **kw) -> None:
            v = DataValidation(type=kind, allow_blank=True, showInputMessage=True, showErrorMessage=True,
                               promptTitle=column, prompt=prompt[:255], errorTitle=f"invalid {column}",
                               error=error[:255], errorStyle=style, **kw)
            v.add(f"{col[column]}2:{col[column]}{last}")
            dis.data_validations.append(v)

        dv("list", "metric", "Canonical metric (drop-down) or other:<name> for a figure that fits none.",
           "Not a canonical metric. Choose from the list, or write other:<name> (then press Yes).", "warning",
           formula1=f"Lists!$A$2:$A${len(metrics) + 1}")
        dv("list", "unit", "Unit as reported (drop-down); esglib converts it to the canonical unit.",
           "Unknown unit: choose one from the list.", "warning", formula1=f"Lists!$B$2:$B${len(units) + 1}")
        dv("decimal", "value", "The figure as a plain number: no thousands separators, % signs or text.",
           "value must be a number (decimals allowed).", operator="between", formula1="-1E+300",
           formula2="1E+300")
        dv("whole", "fiscal_year", "Fiscal year the figure is for (1990-2100).",
           "fiscal_year must be a whole year between 1990 and 2100.", operator="between", formula1="1990",
           formula2="2100")
        dv("whole", "report_edition", "Year of the report edition (blank if unknown; restatements win).",
           "report_edition must be a whole year between 1990 and 2100, or blank.", operator="between",
           formula1="1990", formula2="2100")
        dv("date", "published_on", "Date the source was published (YYYY-MM-DD): the figure is used only from then.",
           "published_on must be a date between 1990-01-01 and 2100-12-31, or blank.", operator="between",
           formula1="32874", formula2="73415")
        dv("list", "data_quality", "1 company report read directly .. 4 tertiary compilation.",
           "data_quality must be 1, 2, 3 or 4.", formula1='"1,2,3,4"')
        book.row(dis, list(TEMPLATE_COLUMNS), "header")

        # Lists (hidden)
        step("lists")
        book.row(lst, ["metric", "unit", "data_quality"], "bold")
        for i in range(max(len(metrics), len(units), 4)):
            book.row(lst, [metrics[i] if i < len(metrics) else None, units[i] if i < len(units) else None,
                           i + 1 if i < 4 else None])

        # Instructions
        step("instructions")
        _widths(ins, [30, 12, 30, 12, 12, 14, 30, 12, 40, 40, 50, 14, 14, 40])
        book.row(ins, ["esglib disclosures template"], "title")
        for line in [
            "1. Fill the Disclosures sheet: one row per disclosed figure, starting in row 2. Do not rename the sheet "
            "or change the header row.",
            "2. ticker must be in the company universe (data/companies.csv or your --companies file).",
            "3. metric: pick from the drop-down (canonical metrics are scored); other:<name> keeps a figure for "
            "context only.",
            "4. value: the number as reported, without thousands separators or % signs; unit: as reported (the "
            "drop-down lists every spelling esglib converts).",
            "5. Every canonical figure needs a source: source_title and/or source_url, ideally with the quote the "
            "figure was read from.",
            "6. data_quality: " + "; ".join(f"{k} = {v}" for k, v in QUALITY_LABELS.items()) + ".",
            "   published_on: the day the source was published (point-in-time scoring uses a figure only from "
            "then); retrieved_from: the mirror the text was read from, when it was not the company's own site.",
            "7. Check the file: esglib validate FILE.xlsx (problems are named by cell, e.g. Disclosures!D14); "
            "score it: esglib score --disclosures FILE.xlsx.",
        ]:
            book.row(ins, [line])
        book.row(ins, [])
        book.row(ins, ["Examples (do not copy into Disclosures as is: the sources are illustrative)"], "band")
        book.row(ins, list(TEMPLATE_COLUMNS), "header")
        book.row(ins, ["GOOGL", 2023, "pue", 1.10, "ratio", "", "fleet-wide annual average", 1,
                       "Google 2024 Environmental Report - Environmental data tables (Appendix)",
                       "https://www.gstatic.com/gumdrop/sustainability/google-2024-environmental-report.pdf",
                       "Average annual fleet-wide PUE ... 2023: 1.10", 2024, "2024-07-02",
                       "https://github.com/jarl7100/ESG---AI-ML/blob/5021055156f57548998ce4f5a497540a1099c181/data/"
                       "esg_report/Google.md"])
        book.row(ins, ["MSFT", 2024, "electricity_total_mwh", 29.83, "million MWh", "", "company-wide (secondary)", 3,
                       "RTO Insider (article quoting Microsoft's FY2024 figure)",
                       "https://www.microsoft.com/en-us/corporate-responsibility/sustainability/report",
                       "Microsoft reported 29.83 million MWh consumed in its fiscal 2024", 2025, "2025-07-31",
                       "https://rtowww.com/?p=109458"])
        book.row(ins, [])
        book.row(ins, ["Canonical metrics"], "band")
        book.row(ins, ["metric", "pillar", "canonical unit", "bounds", "", "", "meaning"], "header")
        for name in metrics:
            spec = METRICS[name]
            lo = "" if spec.lower is None else f"{'>' if spec.lower_strict else '>='} {spec.lower:g}"
            hi = "" if spec.upper is None else f"<= {spec.upper:g}"
            book.row(ins, [name, spec.pillar, CANONICAL_UNIT[spec.family], " and ".join(filter(None, [lo, hi])),
                           None, None, spec.description])
        step("save")
        book.save(tmp)
    return target


# ------------------------------------------------------------------------------------------------ reading back
def sheet_preview(path: str | os.PathLike[str], sheet: str, max_rows: int = 20, max_cols: int = 12) -> pd.DataFrame:
    """The top-left cells of a worksheet as written: formulas as their text (``=SUMPRODUCT(...)``), not values.

    pandas shows formula cells of a workbook written by esglib as empty, because no spreadsheet program has
    calculated them yet; this preview shows what Excel will calculate.

    Parameters
    ----------
    path : path-like
        An ``.xlsx`` workbook.
    sheet : str
        Worksheet name.
    max_rows, max_cols : int
        Size of the preview.

    Returns
    -------
    DataFrame
        Rows numbered as in Excel (1 = first row), columns lettered as in Excel (A, B, ...).

    Raises
    ------
    ConfigError
        ``sheet`` is not in the workbook.
    """
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    book = load_workbook(path, read_only=True)
    try:
        if sheet not in book.sheetnames:
            raise ConfigError(f"`sheet` {sheet!r} is not in {Path(path).name} (sheets: {book.sheetnames})")
        rows = list(book[sheet].iter_rows(min_row=1, max_row=max_rows, max_col=max_cols, values_only=True))
    finally:
        book.close()
    width = max((len(r) for r in rows), default=0)
    out = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows],
                       columns=[get_column_letter(i + 1) for i in range(width)])
    out.index = pd.RangeIndex(1, len(out) + 1, name="row")
    return out.fillna("")


def fill_template(template: str | os.PathLike[str], rows: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Fill a copy of the input template with disclosure rows, as an analyst typing them in would.

    Parameters
    ----------
    template : path-like
        A workbook written by :func:`esglib.outputs.excel.write_template` (not modified).
    rows : DataFrame
        Rows with (a subset of) the template's columns (:data:`esglib.outputs.excel.TEMPLATE_COLUMNS`); values are
        written as they are (text stays text, so a mistyped ``"1,234"`` reaches validation as typed).
    path : path-like
        The filled workbook (written atomically).

    Returns
    -------
    Path
        ``path``.
    """
    from openpyxl import load_workbook


    book = load_workbook(template)
    sheet = book["Disclosures"]
    header = [c.value for c in sheet[1]]
    for i, rec in enumerate(rows.to_dict(orient="records"), start=2):
        for j, column in enumerate(header, start=1):
            value = rec.get(column)
            if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
                continue
            sheet.cell(row=i, column=j, value=value.item() if hasattr(value, "item") else value)
    with atomic_path(path) as tmp:
        book.save(tmp)
    return Path(path)
