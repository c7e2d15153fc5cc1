"""Excel output: the investment-committee scorecard with live formulas, and the validated input template.

The scorecard (:func:`write_scorecard`) shows where every number came from and keeps working when a reader
edits the pillar weights in Excel: the Summary's coverage, composite, rank and rating columns are formulas
over the pillar scores and the editable cells of the Weights sheet. The template (:func:`write_template`)
is a workbook analysts fill in by hand; drop-down lists and number checks stop most mistakes at the keyboard,
and :func:`esglib.data.load_disclosures` reports the rest by sheet and cell (``Disclosures!D14 (value)``).

openpyxl is imported inside the functions that need it (``import esglib`` stays fast). Workbooks are written
in openpyxl's streaming (write-only) mode, atomically (:func:`esglib._io.atomic_path`): if anything fails,
an existing workbook at the target path is left untouched and no temporary file remains.

Safety: any text that Excel would read as a formula (it begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) is written as a text cell with Excel's quote prefix, so a company called
``=HYPERLINK("http://evil","x")`` shows as exactly that text and never runs. Only the formulas esglib builds
itself are written as formulas, and only ``http``, ``https`` and ``mailto`` addresses become hyperlinks.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from esglib._io import atomic_path
from esglib.errors import ConfigError

__all__ = [
    "write_scorecard",
    "write_template",
    "sheet_preview",
    "fill_template",
    "sheet_title",
    "safe_text",
    "PER_COMPANY_SHEETS_MAX",
    "TEMPLATE_COLUMNS",
    "TEMPLATE_ROWS",
]

#: Per-company sheets are written by default up to this many companies (a sheet per company is unreadable
#: and slow beyond it; the Summary says so).
PER_COMPANY_SHEETS_MAX = 60
#: Header of the template's Disclosures sheet, in order.
TEMPLATE_COLUMNS = ("ticker", "fiscal_year", "metric", "value", "unit", "basis", "scope_note", "data_quality",
                    "source_title", "source_url", "quote", "report_edition")
#: Rows of the template's Disclosures sheet covered by the drop-down lists and number checks.
TEMPLATE_ROWS = 5000

_PILLARS = ("energy", "water", "procurement", "circularity", "disclosure")
_FOOTPRINT = _PILLARS[:4]
_RATINGS = ("CCC", "B", "BB", "BBB", "A", "AA", "AAA")
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL_XML = re.compile(r"[\000-\010\013\014\016-\037]")
_MAX_CELL_TEXT = 32_767
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_URL_OK = re.compile(r"^(https?://|mailto:)\S+$", re.IGNORECASE)
_RESERVED_SHEETS = {"summary", "portfolio", "weights", "methodology", "sources", "lists", "history"}

# Fixed cells of the Weights sheet that the Summary's formulas read (one row of weights in pillar order so
# that SUMPRODUCT over a Summary row of pillar scores lines up with it).
_W_ROW = 4                      # pillar weights in B4:F4, total in G4
_W_COLS = "BCDEF"
_W_FLOOR = "$B$8"               # geometric floor
_W_MINCOV = "$B$9"              # minimum coverage
_W_EDGE_ROW = 13                # lower band edges B13:H13 (first is 0)
_W_LABEL_ROW = 12               # band labels B12:H12
_COVERAGE_TOL = "1E-12"         # same tolerance as esglib.scoring

_COLOURS = {"header": "1F3864", "band": "D9E1F2", "input": "FFF2CC", "link": "0563C1", "muted": "595959"}

# Plain-words engagement questions for the flags esglib raises.
_FLAG_QUESTIONS = {
    "certificate_reliance": "Most of your Scope 2 reduction comes from contractual instruments: what share of your "
                            "electricity is covered by unbundled certificates, and what is your plan to replace them "
                            "with PPAs or onsite supply on the same grid?",
    "100pct_renewable_claim_without_instrument_detail": "You report 100% renewable electricity: please break it down "
                                                        "by instrument (onsite, PPA, green tariff, unbundled "
                                                        "certificates) and report hourly carbon-free energy.",
    "pue_design_value_only": "Only a design PUE is disclosed: please publish the fleet-wide operating PUE "
                             "(ISO/IEC 30134-2) for the reporting year.",
    "mostly_secondary_sources": "Most figures we use come from secondary sources: please publish them in your own "
                                "report or data table so we can cite you directly.",
    "figure_choice_among_editions": "Figures were restated between report editions: please explain the restatements "
                                    "and the boundary of each edition.",
    "stale_figures_carried_forward": "Some figures are older than the reference year: please publish current-year "
                                     "values.",
}


# ------------------------------------------------------------------------------------------------ small helpers
def safe_text(value: str) -> str:
    """Make a string storable in a cell: drop XML-illegal control characters and cap it at Excel's 32,767.

    Parameters
    ----------
    value : str

    Returns
    -------
    str
        The cleaned text (formula-looking text is handled when the cell is written, not here).
    """
    text = _ILLEGAL_XML.sub("", str(value))
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
    base = _SHEET_FORBIDDEN.sub("_", _ILLEGAL_XML.sub("", str(name))).strip().strip("'").strip() or "Sheet"
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

    def sheet(self, title: str):
        ws = self.wb.create_sheet(title)
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
            c.hyperlink = Hyperlink(ref="A1", target=value.target, location=value.location)
            return c
        elif _is_missing(value):
            if style is None:
                return None
            c = WriteOnlyCell(ws, None)
        elif isinstance(value, str):
            text = safe_text(value)
            if text.startswith(_FORMULA_TRIGGERS):
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

    def row(self, ws, values: Sequence[Any], styles: Sequence[str | None] | str | None = None) -> None:
        """Append one row; ``styles`` is one style for every cell or one per cell."""
        if styles is None or isinstance(styles, str):
            styles = [styles] * len(values)
        styles = [*styles, *[None] * (len(values) - len(styles))]
        ws.append([self.cell(ws, v, s) for v, s in zip(values, styles, strict=False)])

    def save(self, path: Path) -> None:
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


# ------------------------------------------------------------------------------------------------ inputs
@dataclass(frozen=True)
class _Inputs:
    scores: pd.DataFrame
    disclosures: pd.DataFrame | None
    companies: pd.DataFrame | None
    config: Any
    year: int | None
    bundled: bool


def _resolve_inputs(scores, disclosures, companies, config, year) -> _Inputs:
    from esglib.scoring import ScoreConfig, score

    bundled = False
    if scores is None:
        from esglib.data import load_companies, load_disclosures

        if companies is None:
            companies = load_companies()
        if disclosures is None:
            disclosures = load_disclosures(companies=companies)
            bundled = True
        scores = score(disclosures, config, year, companies=companies)
    else:
        if not isinstance(scores, pd.DataFrame):
            raise ConfigError(f"`scores` must be a DataFrame from esglib.score(), got {type(scores).__name__}")
        need = ["company", "peer_group", "fiscal_year", *_PILLARS, "composite", "rating", "coverage", "flags"]
        missing = [c for c in need if c not in scores.columns]
        if missing:
            raise ConfigError(f"`scores` lacks column(s) {missing}; pass the output of esglib.score()")
    config = config or scores.attrs.get("config") or ScoreConfig()
    if disclosures is not None and "source_file" in disclosures.columns and len(disclosures):
        from esglib._io import DATA_DIR

        files = {str(f) for f in disclosures["source_file"].dropna().unique()}
        bundled = bundled or files == {str(DATA_DIR / "disclosures.csv")}
    return _Inputs(scores, disclosures, companies, config, year, bundled)


def _holding_rows(holdings: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """One row per holding: the holding's weight plus its scores (blank where the ticker is not scored)."""
    if isinstance(holdings, Mapping):
        holdings = pd.Series(dict(holdings), dtype="float64")
    if isinstance(holdings, pd.Series):  # weights by ticker
        holdings = pd.DataFrame({"weight": holdings.to_numpy()}, index=pd.Index(holdings.index, name="ticker"))
    if not isinstance(holdings, pd.DataFrame):
        raise ConfigError(f"`holdings` must be a DataFrame (esglib.load_holdings) or weights by ticker, got "
                          f"{type(holdings).__name__}")
    h = holdings.copy()
    if "ticker" not in h.columns:
        if h.index.name == "ticker":
            h = h.reset_index()
        else:
            raise ConfigError(f"`holdings` needs a `ticker` column, got {list(holdings.columns)}")
    h["ticker"] = h["ticker"].astype(str).str.upper()
    if "weight" in h.columns:
        w = pd.to_numeric(h["weight"], errors="coerce").fillna(0.0)
    elif "market_value" in h.columns:
        mv = pd.to_numeric(h["market_value"], errors="coerce").fillna(0.0)
        w = mv / mv.sum() if mv.sum() > 0 else pd.Series(1 / len(h), index=h.index)
    else:
        w = pd.Series(1 / max(len(h), 1), index=h.index)
    agg = pd.DataFrame({"ticker": h["ticker"], "weight": w.astype(float)}).groupby("ticker", sort=False)["weight"].sum()
    rows = scores.reindex(agg.index)
    rows.insert(0, "weight", agg)
    missing = ~agg.index.isin(scores.index)
    names = h.drop_duplicates("ticker").set_index("ticker")["company"] if "company" in h.columns else None
    cash = h.drop_duplicates("ticker").set_index("ticker")["is_cash"].astype(bool) if "is_cash" in h.columns else None
    for t in agg.index[missing]:
        is_cash = bool(cash.get(t, False)) if cash is not None else t == "CASH"
        name = "" if names is None or _is_missing(names.get(t)) else str(names.get(t))
        rows.loc[t, "company"] = f"{name} (cash)" if is_cash else f"{name} (not in the scored universe)".strip()
        rows.loc[t, "flags"] = "cash" if is_cash else "not_in_scored_universe"
    rows.loc[missing, "coverage"] = 0.0
    rows.index.name = "ticker"
    return rows.sort_values(["composite", "weight"], ascending=[False, False], na_position="last", kind="stable")


def _summary_items(summary: Any) -> tuple[list[tuple[str, Any]], pd.DataFrame | None]:
    """(label, scalar) pairs and an optional headline table from a portfolio summary.

    ``summary`` may be a :class:`esglib.portfolio.PortfolioSummary` (its ``to_frame()`` is the table, its
    scalar fields and notes the pairs), a mapping (scalars and short lists of scalars) or a DataFrame.
    """
    if summary is None:
        return [], None
    table = summary if isinstance(summary, pd.DataFrame) else None
    if table is None and hasattr(summary, "to_frame") and not isinstance(summary, pd.Series):
        frame = summary.to_frame()
        table = frame if isinstance(frame, pd.DataFrame) else None
    if isinstance(summary, Mapping):
        data: Any = dict(summary)
    elif isinstance(summary, pd.Series):
        data = summary.to_dict()
    elif hasattr(summary, "to_dict") and not isinstance(summary, pd.DataFrame):
        data = summary.to_dict()
    else:
        data = {}
    shown = set() if table is None else {str(i) for i in table.index}
    items: list[tuple[str, Any]] = []
    for k, v in (data.items() if isinstance(data, Mapping) else ()):
        if str(k) in shown:
            continue
        if isinstance(v, (str, int, float, bool, np.integer, np.floating, np.bool_)) or _is_missing(v):
            items.append((str(k), v))
        elif isinstance(v, (_dt.date, pd.Timestamp)):
            items.append((str(k), str(v)))
        elif isinstance(v, (list, tuple)) and len(v) <= 20 and all(isinstance(x, (str, int, float)) for x in v):
            if str(k) == "notes":
                items += [("note", x) for x in v]
            else:
                items.append((str(k), "; ".join(_fmt(x) for x in v)))
    return items, table


def _fmt(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    return str(v)


# ------------------------------------------------------------------------------------------------ scorecard
@dataclass(frozen=True)
class _Layout:
    """Where the Summary's columns and rows are (formulas and other sheets refer to them)."""

    columns: tuple[str, ...]
    header_row: int
    first: int
    last: int

    def col(self, name: str) -> str:
        return _letter(self.columns.index(name) + 1)

    def cell(self, name: str, row: int, absolute: bool = False) -> str:
        c = self.col(name)
        return f"${c}${row}" if absolute else f"{c}{row}"


def _weights_ref(i: int) -> str:
    return f"Weights!${_W_COLS[i]}${_W_ROW}"


def _formulas(lay: _Layout, r: int, aggregation: str) -> dict[str, _F]:
    """The live formulas of Summary row ``r``: coverage, composite, rating and rank."""
    w_all = f"Weights!$B${_W_ROW}:$F${_W_ROW}"
    w_foot = f"Weights!$B${_W_ROW}:$E${_W_ROW}"
    has = f"{lay.cell('has_energy', r)}:{lay.cell('has_circularity', r)}"
    coverage = _F(f"=IF(SUM({w_foot})>0,SUMPRODUCT({has},{w_foot})/SUM({w_foot}),1)")
    pillars = f"{lay.cell('energy', r)}:{lay.cell('disclosure', r)}"
    cov = lay.cell("coverage", r)
    if aggregation == "geometric":
        terms = "+".join(f"{_weights_ref(i)}*LN(MAX({lay.cell(p, r)},Weights!{_W_FLOOR}))"
                         for i, p in enumerate(_PILLARS))
        value = f"EXP(({terms})/SUM({w_all}))"
    else:
        value = f"SUMPRODUCT({pillars},{w_all})/SUM({w_all})"
    composite = _F(f'=IF({cov}<Weights!{_W_MINCOV}-{_COVERAGE_TOL},"",{value})')
    comp = lay.cell("composite", r)
    edges = f"Weights!$B${_W_EDGE_ROW}:$H${_W_EDGE_ROW}"
    labels = f"Weights!$B${_W_LABEL_ROW}:$H${_W_LABEL_ROW}"
    rating = _F(f'=IF(ISNUMBER({comp}),LOOKUP({comp},{edges},{labels}),"NR")')
    col_range = f"{lay.cell('composite', lay.first, True)}:{lay.cell('composite', lay.last, True)}"
    rank = _F(f'=IF(ISNUMBER({comp}),RANK({comp},{col_range}),"")')
    return {"coverage": coverage, "composite": composite, "rating": rating, "rank": rank}


def _column_values(s: pd.Series) -> list[Any]:
    """A column as plain Python values with None for every kind of missing value."""
    if pd.api.types.is_float_dtype(s.dtype) and not isinstance(s.dtype, pd.ArrowDtype):
        arr = s.to_numpy(dtype="float64", na_value=np.nan)
        return [None if v != v else v for v in arr.tolist()]
    return [None if _is_missing(v) else v for v in s.astype(object).tolist()]


def _pillar_has(flags: Any) -> list[int]:
    text = "" if _is_missing(flags) else str(flags)
    unscored = text in ("cash", "not_in_scored_universe")
    return [0 if unscored or f"no_{p}_disclosure" in text else 1 for p in _FOOTPRINT]


def _write_summary(book: _Book, ws, rows: pd.DataFrame, cfg, holdings_mode: bool, sheet_of: Mapping[str, str],
                   notes: Sequence[str], headline: Sequence[tuple[str, Any]], per_company_note: str) -> _Layout:
    from openpyxl.formatting.rule import ColorScaleRule

    columns = ["rank", "ticker", "company", "peer_group", "fiscal_year"]
    if holdings_mode:
        columns.append("weight")
    columns += [*_PILLARS, "composite", "rating", "coverage", "flags", "n_figures",
                *(f"has_{p}" for p in _FOOTPRINT)]
    head = [f"esglib AI-footprint scorecard: {'portfolio holdings' if holdings_mode else 'company ranking'}"]
    top: list[tuple[list[Any], Any]] = [(head, "title")]
    for n in notes:
        top.append(([n], "muted"))
    top.append(([per_company_note], "muted"))
    live_row = 0
    if holdings_mode:
        top.append(([], None))
        top.append(([None, None, "Portfolio summary (headline; every figure on the Portfolio sheet)",
                     _Link("-> Portfolio sheet", location="Portfolio!A1")], [None, None, "band", None]))
        labels = [label for label, _ in headline] + ["composite (live: rated holdings, follows Weights)"]
        top.append(([None, None, *labels], [None, None, *["header"] * len(labels)]))
        top.append(([None, None, *[v for _, v in headline], None],
                    [None, None, *[_headline_format(k, v) for k, v in headline], "fmt:0.00"]))
        live_row = len(top)
    top.append(([], None))
    header_row = len(top) + 1
    n = len(rows)
    lay = _Layout(tuple(columns), header_row, header_row + 1, header_row + max(n, 1))
    if holdings_mode:
        wr = f"{lay.cell('weight', lay.first, True)}:{lay.cell('weight', lay.last, True)}"
        cr = f"{lay.cell('composite', lay.first, True)}:{lay.cell('composite', lay.last, True)}"
        values, styles = top[live_row - 1]
        values[-1] = _F(f'=IF(SUMPRODUCT({wr}*ISNUMBER({cr}))>0,'
                        f'SUMPRODUCT({wr},{cr})/SUMPRODUCT({wr}*ISNUMBER({cr})),"")')

    widths = {"rank": 6, "ticker": 10, "company": 28, "peer_group": 18, "fiscal_year": 8, "weight": 9,
              "composite": 11, "rating": 8, "coverage": 10, "flags": 60, "n_figures": 10}
    _widths(ws, {lay.col(c): widths.get(c, 12) for c in columns})
    ws.freeze_panes = f"C{lay.first}"
    ws.auto_filter.ref = f"A{header_row}:{_letter(len(columns))}{lay.last}"
    for values, style in top:
        book.row(ws, values, style)
    header_names = {"fiscal_year": "fiscal year", "n_figures": "figures on file", "weight": "weight",
                    **{f"has_{p}": f"discloses {p} (1/0)" for p in _FOOTPRINT}}
    book.row(ws, [header_names.get(c, c) for c in columns], "header")

    # integers and text display well in the General format; only fractional numbers get a number format
    # (fewer styled cells keep a 3,000-company Summary within 2x of a plain DataFrame.to_excel)
    styles = {"weight": "fmt:0.0%", "composite": "fmt:0.0", "coverage": "fmt:0%", **{p: "fmt:0.0" for p in _PILLARS}}
    row_styles = [styles.get(c) for c in columns]
    # column-wise plain Python values (iterating rows of a frame is slow and deep-copies its attrs)
    data: dict[str, list[Any]] = {"ticker": [str(t) for t in rows.index]}
    for c in columns:
        if c in rows.columns:
            data[c] = _column_values(rows[c])
    has = [_pillar_has(f) for f in rows["flags"].tolist()] if "flags" in rows.columns else [[1] * 4] * n
    for i, p in enumerate(_FOOTPRINT):
        data[f"has_{p}"] = [h[i] for h in has]
    live = ("rank", "composite", "rating", "coverage")
    for k in range(n):
        r = lay.first + k
        f = _formulas(lay, r, cfg.aggregation)
        values = [f[c] if c in live else (data[c][k] if c in data else None) for c in columns]
        ticker = data["ticker"][k]
        if ticker in sheet_of:
            values[1] = _Link(ticker, location=f"{_quote_sheet(sheet_of[ticker])}!A1")
        book.row(ws, values, row_styles)
    if n:
        scale = ColorScaleRule(start_type="num", start_value=0, start_color="F8696B", mid_type="num",
                               mid_value=50, mid_color="FFEB84", end_type="num", end_value=100, end_color="63BE7B")
        for c in (*_PILLARS, "composite"):
            ws.conditional_formatting.add(f"{lay.col(c)}{lay.first}:{lay.col(c)}{lay.last}", scale)
    return lay


_HEADLINE = ("composite", "rating", "score_coverage", "waci", "waci_coverage", "cash_weight", "not_covered_weight",
             "n_holdings")


def _headline(items: Sequence[tuple[str, Any]], table: pd.DataFrame | None) -> list[tuple[str, Any]]:
    """The few portfolio figures shown above the Summary table (the rest are on the Portfolio sheet)."""
    found: dict[str, Any] = {}
    if table is not None and "value" in table.columns:
        for k, v in zip(table.index.astype(str), _column_values(table["value"]), strict=True):
            found.setdefault(k, v)
    for k, v in items:
        found.setdefault(k, v)
    keys = [k for k in _HEADLINE if k in found] or list(found)[:8]
    return [(k, found[k]) for k in keys]


def _headline_format(key: str, value: Any) -> str | None:
    if not isinstance(value, float):
        return None
    return "fmt:0.0%" if ("coverage" in key or "weight" in key) else "fmt:#,##0.00"


def _write_portfolio(book: _Book, ws, items: Sequence[tuple[str, Any]], table: pd.DataFrame | None,
                     summary: Any) -> None:
    """Every figure of the portfolio summary: scalars, the headline table and its detail tables."""
    _widths(ws, [34, 16, 22, 12, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14])
    book.row(ws, [_Link("<- back to Summary", location="Summary!A1")])
    book.row(ws, ["Portfolio summary (esglib.portfolio_summary at the weights the workbook was written with)"],
             "title")
    for label, value in items:
        book.row(ws, [label, value], [None, _headline_format(label, value)])
    frames: list[tuple[str, pd.DataFrame]] = []
    if table is not None:
        frames.append(("Headline figures", table))
    for name in ("contributions", "by_peer_group", "engagement"):
        frame = getattr(summary, name, None)
        if isinstance(frame, pd.DataFrame) and len(frame):
            frames.append((name.replace("_", " ").capitalize(), frame))
    for title, frame in frames:
        t = frame.reset_index() if frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex) \
            else frame
        book.row(ws, [])
        book.row(ws, [title], "band")
        book.row(ws, [str(c) for c in t.columns], "header")
        cols = [_column_values(t[c]) for c in t.columns]
        fmts = ["fmt:0.0%" if ("coverage" in str(c) or str(c) == "weight") else "fmt:#,##0.00" for c in t.columns]
        for rec in zip(*cols, strict=True):
            book.row(ws, list(rec), [f if isinstance(v, float) else None for v, f in zip(rec, fmts, strict=True)])


def _write_weights(book: _Book, ws, cfg) -> None:
    _widths(ws, [26, 13, 13, 13, 13, 13, 13, 13, 40])
    book.row(ws, ["Weights: edit the yellow cells; the Summary's coverage, composite, rank and rating follow"],
             "title")
    book.row(ws, ["Weights need not sum to 1 (each formula divides by their total). Changing the aggregation "
                  "text below does not change the formulas: write a new scorecard with --weights / ScoreConfig."],
             "muted")
    book.row(ws, ["pillar", *_PILLARS, "total"], "header")
    book.row(ws, ["weight (editable)", *[float(cfg.pillar_weights[p]) for p in _PILLARS],
                  _F(f"=SUM(B{_W_ROW}:F{_W_ROW})")],
             ["bold", *["input+fmt:0.000"] * 5, "fmt:0.000"])
    book.row(ws, ["normalised weight", *[_F(f"=IF($G${_W_ROW}>0,{c}{_W_ROW}/$G${_W_ROW},\"\")") for c in _W_COLS]],
             ["bold", *["fmt:0.0%"] * 5])
    book.row(ws, [])
    book.row(ws, ["aggregation (as written)", cfg.aggregation,
                  "composite = " + ("exp(sum w_p ln max(pillar_p, floor)) / sum w" if cfg.aggregation == "geometric"
                                    else "sum w_p x pillar_p / sum w")], ["bold", None, "muted"])
    book.row(ws, ["geometric floor", float(cfg.geometric_floor)], ["bold", "input+fmt:0.0"])
    book.row(ws, ["minimum coverage", float(cfg.min_coverage),
                  "composite withheld (blank, rating NR) below this share of footprint-pillar weight disclosed"],
             ["bold", "input+fmt:0%", "muted"])
    book.row(ws, [])
    book.row(ws, ["Rating bands (a composite equal to a lower edge gets that band)"], "band")
    book.row(ws, ["band", *_RATINGS], "header")
    book.row(ws, ["lower edge (editable)", 0.0, *[float(e) for e in cfg.band_edges]],
             ["bold", "fmt:0.00", *["input+fmt:0.00"] * 6])


def _peer_medians(scores: pd.DataFrame) -> pd.DataFrame:
    return scores.groupby("peer_group")[list(_PILLARS)].median()


def _engagement_questions(ex: pd.DataFrame | None, flags: str) -> list[str]:
    from esglib.metrics import KPI_INPUTS
    from esglib.schema import METRICS

    out: list[str] = []
    if ex is not None:
        fy = ex.attrs.get("fiscal_year")
        year = "the latest fiscal year" if _is_missing(fy) else f"fiscal year {int(fy)}"
        for rec in ex[ex["value"].isna() & (ex["pillar"] != "disclosure")].itertuples():
            inputs = [m for m in KPI_INPUTS.get(rec.metric, ()) if m in METRICS]
            what = "; ".join(f"{m} ({METRICS[m].unit}): {METRICS[m].description}" for m in inputs[:3])
            out.append(f"{rec.pillar} / {rec.metric} is not disclosed. Will you publish, for {year}, {what}? "
                       f"We compute it as: {rec.formula}.")
    for flag in filter(None, (f.strip() for f in str(flags or "").split(";"))):
        if flag in _FLAG_QUESTIONS:
            out.append(_FLAG_QUESTIONS[flag])
        elif flag.startswith("no_") and flag.endswith("_disclosure") and ex is None:
            out.append(f"Nothing is disclosed for the {flag[3:-11]} pillar: will you publish its core figures?")
    return out


def _write_company(book: _Book, ws, ticker: str, rec: pd.Series, lay: _Layout, summary_row: int,
                   medians: pd.DataFrame, ex: pd.DataFrame | None, note: str | None) -> None:
    from openpyxl.chart import BarChart, Reference

    _widths(ws, [16, 26, 14, 12, 10, 12, 12, 10, 18, 10, 12, 50, 45])
    ws.freeze_panes = "A4"
    company = rec.get("company")
    book.row(ws, [f"{'' if _is_missing(company) else company} ({ticker})"], "title")
    book.row(ws, [_Link("<- back to Summary", location=f"Summary!A{summary_row}"),
                  f"peer group: {rec.get('peer_group')}",
                  "fiscal year: " + ("-" if _is_missing(rec.get("fiscal_year")) else str(int(rec["fiscal_year"])))],
             [None, "muted", "muted"])
    book.row(ws, ["composite (live)", _F(f"=Summary!{lay.cell('composite', summary_row)}"),
                  "rating (live)", _F(f"=Summary!{lay.cell('rating', summary_row)}"),
                  "coverage", _F(f"=Summary!{lay.cell('coverage', summary_row)}")],
             ["bold", "fmt:0.0", "bold", "bold", "bold", "fmt:0%"])
    book.row(ws, [])
    # pillar table at rows 5..10 (chart data)
    book.row(ws, ["pillar", "score", "peer-group median", "weight (live)"], "header")
    peer = rec.get("peer_group")
    med = medians.loc[peer] if peer in medians.index else pd.Series(np.nan, index=list(_PILLARS))
    for i, p in enumerate(_PILLARS):
        book.row(ws, [p, rec.get(p), med.get(p), _F(f"={_weights_ref(i)}/Weights!$G${_W_ROW}")],
                 ["bold", "fmt:0.0", "fmt:0.0", "fmt:0.0%"])
    chart = BarChart()
    chart.type = "col"
    chart.title = f"{ticker}: pillar scores vs {peer} median"
    chart.y_axis.title = "score (0-100)"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 100
    chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=5, max_row=10), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=6, max_row=10))
    chart.height, chart.width = 7.0, 15.0
    ws.add_chart(chart, "F2")
    for _ in range(6):  # rows 11..16 stay free for the chart
        book.row(ws, [])
    # metric table from explain()
    book.row(ws, ["Metrics (from esglib.explain; peer percentile 0-100, higher = better than peers)"], "band")
    cols = ["pillar", "metric", "value", "unit", "fiscal year", "peer percentile", "metric score", "data quality",
            "compared with", "weight in pillar", "contribution", "source", "formula"]
    book.row(ws, cols, "header")
    if ex is None:
        book.row(ws, [note or "metric table unavailable"], "muted")
    else:
        from esglib.schema import QUALITY_LABELS

        for e in ex.itertuples(index=False):
            url = _first_url(e.source_url)
            src = str(e.source)
            dq = None if _is_missing(e.data_quality) else int(e.data_quality)
            book.row(ws, [e.pillar, e.metric, e.value, e.unit, e.fiscal_year, e.peer_percentile, e.metric_score,
                          None if dq is None else f"{dq}: {QUALITY_LABELS.get(dq, '')}", e.compared_with,
                          e.weight_in_pillar, e.contribution, _Link(src, target=url) if url else src, e.formula],
                     [None, None, "fmt:#,##0.0###", None, "fmt:0", "fmt:0.0", "fmt:0.0", None, None, "fmt:0.00",
                      "fmt:0.00", None, None])
        book.row(ws, ["contributions are at the weights the workbook was written with; the live composite is above"],
                 "muted")
    book.row(ws, [])
    book.row(ws, ["Flags"], "band")
    flags = [f.strip() for f in str(rec.get("flags") or "").split(";") if f.strip()]
    for fl in flags or ["none"]:
        book.row(ws, [fl])
    book.row(ws, [])
    book.row(ws, ["Engagement questions (missing disclosures and flags)"], "band")
    questions = _engagement_questions(ex, "; ".join(flags))
    for i, q in enumerate(questions or ["none: every scored metric is disclosed"], 1):
        book.row(ws, [i, q], [None, "wrap"])


def _sources_frame(disclosures: pd.DataFrame, rows: pd.DataFrame, cfg) -> pd.DataFrame:
    """Cited figures each company's scores can draw on (selected figures within the scoring window)."""
    from esglib.data import select_figures
    from esglib.metrics import KPI_INPUTS
    from esglib.scoring import CORE_DISCLOSURES

    feeds: dict[str, list[str]] = {}
    for kpi, inputs in KPI_INPUTS.items():
        for m in inputs:
            feeds.setdefault(m, []).append(kpi)
    for m in CORE_DISCLOSURES:
        feeds.setdefault(m, []).append("disclosure pillar")
    d = disclosures[disclosures["ticker"].isin(rows.index) & disclosures["metric"].isin(list(feeds))]
    if not len(d):
        return pd.DataFrame()
    sel = select_figures(d)
    ref = sel["ticker"].map(pd.to_numeric(rows["fiscal_year"], errors="coerce").astype("float64"))
    keep = (sel["fiscal_year"] <= ref) & (sel["fiscal_year"] >= ref - cfg.carry_forward_years)
    sel = sel.loc[keep.to_numpy()].copy()
    sel["feeds"] = sel["metric"].map(lambda m: ", ".join(feeds.get(m, [])))
    order = {t: i for i, t in enumerate(rows.index)}
    sel["_o"] = sel["ticker"].map(order)
    return sel.sort_values(["_o", "fiscal_year", "metric"], ascending=[True, False, True], kind="stable")


def _write_sources(book: _Book, ws, src: pd.DataFrame, note: str | None) -> None:
    cols = ["ticker", "company", "fiscal_year", "metric", "value", "unit", "reported_value", "reported_unit",
            "basis", "data_quality", "source_title", "source_url", "quote", "feeds", "source_row"]
    _widths(ws, [9, 22, 8, 28, 14, 12, 12, 14, 14, 8, 50, 45, 80, 30, 9])
    ws.freeze_panes = "B4"
    book.row(ws, ["Sources: every cited figure the scores draw on (chosen figure per company, year and metric, "
                  "within each company's scoring window)"], "title")
    book.row(ws, [note or "source_url links open the cited page; quote is the excerpt the figure was read from; "
                          "feeds = the KPIs and pillar the figure enters"], "muted")
    book.row(ws, cols, "header")
    if not len(src):
        return
    ws.auto_filter.ref = f"A3:{_letter(len(cols))}{3 + len(src)}"
    # unstyled cells (General format) except the links: this sheet can hold tens of thousands of rows
    data = [_column_values(src[c]) if c in src.columns else [None] * len(src) for c in cols]
    i_url = cols.index("source_url")
    for values in zip(*data, strict=True):
        values = list(values)
        url = _first_url(values[i_url])
        if url is not None:
            values[i_url] = _Link(str(values[i_url]), target=url)
        book.row(ws, values)


def _write_methodology(book: _Book, ws, cfg, as_of_lines: Sequence[str], year: int | None) -> None:
    from esglib.metrics import KPI_SPECS
    from esglib.schema import QUALITY_LABELS
    from esglib.scoring import CORE_DISCLOSURES

    _widths(ws, [26, 14, 14, 16, 14, 90])
    w = cfg.weights
    norm = {"percentile": "percentile rank (Hazen: (rank - 0.5) / n x 100)",
            "minmax": "min-max scaling to 1..100", "zscore": "z-score mapped through the normal CDF to 0..100"}
    agg = ("a weighted geometric mean, exp(sum w ln max(pillar, floor)), with floor "
           f"{cfg.geometric_floor:g}: only partly compensatory" if cfg.aggregation == "geometric"
           else "a weighted arithmetic mean, sum w x pillar / sum w: fully compensatory")
    steps = [
        "1. For each company, year and metric one cited figure is chosen: preferred basis (operating over design), "
        "then the latest report edition, then the best data quality, then the company-wide boundary.",
        "2. Derived KPIs (intensities, procurement quality, certificate reliance...) are computed from those figures "
        "with the formulas below; nothing is imputed.",
        "3. Each company is scored on "
        + ("its latest fiscal year with a figure" if year is None else f"fiscal year {int(year)}")
        + "; a KPI may come from up to "
        f"{cfg.carry_forward_years} earlier year(s) (flagged stale_figures_carried_forward).",
        f"4. Each KPI is normalised to 0-100 by {norm.get(cfg.normalisation, cfg.normalisation)}, "
        + ("within the peer group" if cfg.peer_relative else "across the whole universe")
        + (f" (groups with fewer than {cfg.min_peer_size} disclosers use the whole universe)"
           if cfg.peer_relative else "") + "; lower-is-better KPIs are reversed first.",
        f"5. A KPI that is not disclosed scores {cfg.missing_score:g}: never better than disclosing the worst value.",
        "6. A pillar is the weighted mean of its KPI scores (weights in the table below). The disclosure pillar is "
        f"100 x the quality-weighted share of the {len(CORE_DISCLOSURES)} core figures disclosed (quality weights "
        + ", ".join(f"{k}: {v:g}" for k, v in cfg.quality_weights.items()) + ").",
        f"7. The composite is {agg}. Pillar weights: " + ", ".join(f"{p} {w[p]:.0%}" for p in _PILLARS)
        + " (editable on the Weights sheet).",
        f"8. Coverage = share of footprint-pillar weight (energy, water, procurement, circularity) with at least "
        f"one disclosed KPI. Below {cfg.min_coverage:.0%} the composite is withheld (blank) and the rating is NR.",
        "9. Rating bands CCC..AAA cut the composite at "
        + ", ".join(f"{e:.2f}" for e in cfg.band_edges) + " (MSCI-style equal widths by default).",
        "10. Percentiles are relative: a high score means better than peers on disclosed figures, not a small "
        "footprint in absolute terms.",
    ]
    book.row(ws, ["Methodology: how the scores are built"], "title")
    for s in steps:
        book.row(ws, [s])
    book.row(ws, [])
    book.row(ws, ["KPIs"], "band")
    book.row(ws, ["KPI", "pillar", "unit", "better when", "weight in pillar", "formula"], "header")
    for name, spec in KPI_SPECS.items():
        mw = cfg.metric_weights.get(spec.pillar, {})
        total = sum(mw.values()) or 1.0
        book.row(ws, [name, spec.pillar, spec.unit, "higher" if spec.higher_is_better else "lower",
                      mw.get(name, 0.0) / total, spec.formula], [None, None, None, None, "fmt:0%", None])
    book.row(ws, [])
    book.row(ws, ["Core figures of the disclosure pillar"], "band")
    book.row(ws, [", ".join(CORE_DISCLOSURES)])
    book.row(ws, [])
    book.row(ws, ["Data quality scale"], "band")
    for k, v in QUALITY_LABELS.items():
        book.row(ws, [k, v])
    book.row(ws, [])
    book.row(ws, ["As of"], "band")
    for line in as_of_lines:
        book.row(ws, [line])


def write_scorecard(path: str | os.PathLike[str], scores: pd.DataFrame | None = None,
                    disclosures: pd.DataFrame | None = None, companies: pd.DataFrame | None = None,
                    config=None, year: int | None = None, holdings: pd.DataFrame | None = None,
                    summary: Any = None, prices_as_of: str | _dt.date | None = None, *,
                    per_company_sheets: bool | None = None) -> Path:
    """Write the investment-committee scorecard workbook (atomically).

    Sheets: **Summary** (ranked companies or holdings; pillar colour scales; live coverage, composite, rank
    and rating formulas; the portfolio summary on top when holdings are given), **Weights** (editable pillar
    weights, minimum coverage, geometric floor and band edges that the formulas read), one sheet per company
    or holding (pillar breakdown, a bar chart against the peer-group median, the :func:`esglib.explain`
    metric table with linked sources, flags, engagement questions), **Methodology** and **Sources**.

    Parameters
    ----------
    path : path-like
        Target ``.xlsx``; its folder is created if missing. An existing file is replaced only on success.
    scores : DataFrame, optional
        :func:`esglib.score` output (n_companies x 15, index ``ticker``). Default: score ``disclosures``.
    disclosures : DataFrame, optional
        Validated disclosures (:func:`esglib.load_disclosures`). Needed for the metric tables and the Sources
        sheet. Default: the bundled data when ``scores`` is not given; omitted (with a note) when it is.
    companies : DataFrame, optional
        The universe (default: the bundled one).
    config : ScoreConfig, optional
        Weights, bands and aggregation written to the Weights sheet (default: ``scores.attrs["config"]`` or
        ``ScoreConfig()``).
    year : int, optional
        Reference fiscal year (as for :func:`esglib.score`).
    holdings : DataFrame, Series or mapping, optional
        Holdings (:func:`esglib.load_holdings` output: tickers as index or column, with a ``weight`` or
        ``market_value`` column) or weights by ticker. The Summary then lists the holdings, with their weights,
        instead of the universe; cash and tickers outside the universe stay in it, unscored.
    summary : object, optional
        Portfolio summary shown above the table (:func:`esglib.portfolio_summary` result, a mapping or a
        frame). Computed with :func:`esglib.portfolio_summary` when ``holdings`` are given and that module
        exists.
    prices_as_of : str or date, optional
        As-of date of the prices behind ``holdings``/``summary`` (shown on Summary and Methodology).
    per_company_sheets : bool, optional
        One sheet per company/holding. Default: on for at most :data:`PER_COMPANY_SHEETS_MAX` rows.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ConfigError
        ``path`` does not end in ``.xlsx``; ``scores`` or ``holdings`` lack required columns.
    DataValidationError
        From loading the bundled data.

    Notes
    -----
    openpyxl cannot store computed values, so formula cells have none until the workbook is opened in a
    spreadsheet (which recalculates on load). Static numbers (pillar scores, peer medians, KPI values) are
    written as values; only the weight-dependent columns are formulas.
    """
    target = _check_xlsx(path)
    inp = _resolve_inputs(scores, disclosures, companies, config, year)
    cfg = inp.config
    scores = inp.scores
    holdings_mode = holdings is not None
    if holdings_mode:
        if summary is None:
            summary = _portfolio_summary(holdings, scores, inp.disclosures, inp.companies)
        rows = _holding_rows(holdings, scores)
    else:
        rows = scores
    n = len(rows)
    if per_company_sheets is None:
        per_company_sheets = n <= PER_COMPANY_SHEETS_MAX
        reason = (f"one sheet per {'holding' if holdings_mode else 'company'} (click a ticker)"
                  if per_company_sheets else
                  f"no per-company sheets: {n} rows is more than {PER_COMPANY_SHEETS_MAX} (the default limit; "
                  "pass per_company_sheets=True to force them)")
    else:
        reason = ("one sheet per company (click a ticker)" if per_company_sheets
                  else "per-company sheets switched off")
    from esglib.data import data_as_of

    as_of_lines = [
        ("disclosures: bundled data curated as of " + data_as_of()) if inp.bundled
        else "disclosures: as given" + ("" if inp.disclosures is None else
                                         " (" + ", ".join(sorted({str(f) for f in inp.disclosures.get(
                                             "source_file", pd.Series(dtype=str)).dropna().unique()})[:3]) + ")"),
        "prices: " + ("as of " + str(prices_as_of) if prices_as_of is not None else
                      "none used (holdings weighted as given)" if holdings_mode else "not used"),
        "reference fiscal year: " + (str(inp.year) if inp.year is not None else "each company's latest"),
        "workbook written: " + _dt.date.today().isoformat(),
    ]
    notes = [
        f"{n} {'holdings' if holdings_mode else 'companies'}; "
        + "; ".join(as_of_lines[:2]) + f"; aggregation {cfg.aggregation}.",
        "coverage, composite, rank and rating are live formulas over the pillar scores and the Weights sheet: "
        "edit a weight there and every row recomputes. Blank composite / NR = withheld (coverage too low).",
    ]
    with atomic_path(target) as tmp, _new_book() as book:
        ws_sum = book.sheet("Summary")
        ws_p = book.sheet("Portfolio") if holdings_mode else None
        ws_w = book.sheet("Weights")
        sheet_of: dict[str, str] = {}
        explain_of: dict[str, pd.DataFrame | None] = {}
        explain_note: dict[str, str] = {}
        if per_company_sheets:
            taken = set(_RESERVED_SHEETS)
            for t in rows.index[rows.index.isin(scores.index)]:  # no sheet for cash or unscored holdings
                sheet_of[t] = sheet_title(str(t), taken)
                taken.add(sheet_of[t])
            explain_of, explain_note = _explain_all(rows, inp)
        company_ws = {t: book.sheet(title) for t, title in sheet_of.items()}
        ws_m = book.sheet("Methodology")
        ws_s = book.sheet("Sources")
        items, table = _summary_items(summary)
        lay = _write_summary(book, ws_sum, rows, cfg, holdings_mode, sheet_of, notes, _headline(items, table),
                             reason)
        if ws_p is not None:
            _write_portfolio(book, ws_p, items, table, summary)
        _write_weights(book, ws_w, cfg)
        medians = _peer_medians(scores)
        for k, t in enumerate(rows.index):
            if t in company_ws:
                _write_company(book, company_ws[t], str(t), rows.loc[t], lay, lay.first + k, medians,
                               explain_of.get(t), explain_note.get(t))
        _write_methodology(book, ws_m, cfg, as_of_lines, inp.year)
        if inp.disclosures is not None:
            _write_sources(book, ws_s, _sources_frame(inp.disclosures, rows, cfg), None)
        else:
            _write_sources(book, ws_s, pd.DataFrame(), "no disclosures were given to write_scorecard, so the cited "
                                                        "figures are not listed")
        book.save(tmp)
    return target


def _explain_all(rows: pd.DataFrame, inp: _Inputs) -> tuple[dict[str, pd.DataFrame | None], dict[str, str]]:
    """:func:`esglib.explain` for every row that can be explained (needs the disclosures)."""
    from esglib.scoring import explain_many

    out: dict[str, pd.DataFrame | None] = {}
    notes: dict[str, str] = {}
    if inp.disclosures is None:
        return out, {t: "metric table needs the disclosures (pass disclosures= to write_scorecard)" for t in rows.index}
    scored = set(inp.scores.index)
    wanted = [t for t in rows.index if t in scored]
    explained = explain_many(wanted, inp.disclosures, inp.config, inp.year, companies=inp.companies) if wanted else {}
    for t in rows.index:
        if t not in scored:
            notes[t] = "not in the scored universe: no metric table"
            continue
        out[t] = explained[t]
    return out, notes


def _portfolio_summary(holdings: pd.DataFrame, scores: pd.DataFrame, disclosures: pd.DataFrame | None,
                       companies: pd.DataFrame | None) -> Any:
    """:func:`esglib.portfolio.portfolio_summary` if that module exists, else a clear error."""
    import importlib.util

    if importlib.util.find_spec("esglib.portfolio") is None:
        raise ConfigError("`holdings` needs esglib.portfolio (issue 4: load_holdings, portfolio_summary), which is "
                          "not available in this installation; pass `summary=` yourself or omit `holdings`")
    from esglib.portfolio import portfolio_summary

    return portfolio_summary(holdings, scores, disclosures, companies=companies)


# ------------------------------------------------------------------------------------------------ template
def _unit_choices() -> list[str]:
    """Canonical units first, then every other accepted spelling (case-insensitive duplicates dropped)."""
    from esglib.units import CANONICAL_UNIT, UNIT_FAMILIES

    seen: set[str] = set()
    out: list[str] = []
    for u in [*CANONICAL_UNIT.values(), *(s for fam in UNIT_FAMILIES.values() for s in fam)]:
        if u.lower() not in seen:
            seen.add(u.lower())
            out.append(u)
    return out


def write_template(path: str | os.PathLike[str]) -> Path:
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

    from esglib.schema import METRICS, QUALITY_LABELS
    from esglib.units import CANONICAL_UNIT

    target = _check_xlsx(path)
    metrics = sorted(METRICS)
    units = _unit_choices()
    last = TEMPLATE_ROWS + 1
    col = {c: _letter(i + 1) for i, c in enumerate(TEMPLATE_COLUMNS)}
    with atomic_path(target) as tmp, _new_book() as book:
        ins = book.sheet("Instructions")
        dis = book.sheet("Disclosures")
        lst = book.sheet("Lists")
        lst.sheet_state = "hidden"

        # Disclosures: header + validations, no data rows
        _widths(dis, [10, 11, 34, 14, 16, 14, 30, 12, 40, 40, 60, 14])
        dis.freeze_panes = "A2"
        text_cols = ("ticker", "metric", "unit", "basis", "scope_note", "source_title", "source_url", "quote")
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
        dv("list", "data_quality", "1 company report read directly .. 4 tertiary compilation.",
           "data_quality must be 1, 2, 3 or 4.", formula1='"1,2,3,4"')
        book.row(dis, list(TEMPLATE_COLUMNS), "header")

        # Lists (hidden)
        book.row(lst, ["metric", "unit", "data_quality"], "bold")
        for i in range(max(len(metrics), len(units), 4)):
            book.row(lst, [metrics[i] if i < len(metrics) else None, units[i] if i < len(units) else None,
                           i + 1 if i < 4 else None])

        # Instructions
        _widths(ins, [30, 12, 30, 12, 12, 14, 30, 12, 40, 40, 50, 14])
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
            "7. Check the file: esglib validate FILE.xlsx (problems are named by cell, e.g. Disclosures!D14); "
            "score it: esglib score --disclosures FILE.xlsx.",
        ]:
            book.row(ins, [line])
        book.row(ins, [])
        book.row(ins, ["Examples (do not copy into Disclosures as is: the sources are illustrative)"], "band")
        book.row(ins, list(TEMPLATE_COLUMNS), "header")
        book.row(ins, ["GOOGL", 2023, "pue", 1.10, "ratio", "operational", "fleet-wide trailing twelve months", 1,
                       "Google 2024 Environmental Report", "https://sustainability.google/reports/",
                       "fleet-wide average PUE of 1.10", 2024])
        book.row(ins, ["MSFT", 2024, "electricity_total_mwh", 29.83, "million MWh", "", "company-wide", 3,
                       "RTO Insider (secondary, citing Microsoft FY2024 data)", "https://rtowww.com/?p=109458",
                       "Microsoft reported 29.83 million MWh consumed in its fiscal 2024", ""])
        book.row(ins, [])
        book.row(ins, ["Canonical metrics"], "band")
        book.row(ins, ["metric", "pillar", "canonical unit", "bounds", "", "", "meaning"], "header")
        for name in metrics:
            spec = METRICS[name]
            lo = "" if spec.lower is None else f"{'>' if spec.lower_strict else '>='} {spec.lower:g}"
            hi = "" if spec.upper is None else f"<= {spec.upper:g}"
            book.row(ins, [name, spec.pillar, CANONICAL_UNIT[spec.family], " and ".join(filter(None, [lo, hi])),
                           None, None, spec.description])
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
        A workbook written by :func:`esglib.export.write_template` (not modified).
    rows : DataFrame
        Rows with (a subset of) the template's columns (:data:`esglib.export.TEMPLATE_COLUMNS`); values are
        written as they are (text stays text, so a mistyped ``"1,234"`` reaches validation as typed).
    path : path-like
        The filled workbook (written atomically).

    Returns
    -------
    Path
        ``path``.
    """
    from openpyxl import load_workbook

    from esglib._io import atomic_path

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
