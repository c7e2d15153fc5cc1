"""The scorecard's sheets: summary, portfolio, weights and company (sources and methodology: ``_docsheets``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from esglib.inputs import QUALITY_LABELS
from esglib.outputs.excel._cells import _first_url, _is_missing, _letter, _quote_sheet
from esglib.outputs.excel._styling import (
    _F,
    FORMATS,
    _Book,
    _Link,
    _print_setup,
    _widths,
    auto_width,
    header_height,
    text_height,
)
from esglib.portfolio import explanation_questions
from esglib.safety import xml_text
from esglib.vocabulary import FOOTPRINT_PILLARS, PILLARS, RATINGS

__all__ = []


_PILLARS = PILLARS
#: Sources sheets with more rows than this write ``source_url`` as plain text, not as hyperlink objects.
_FOOTPRINT = FOOTPRINT_PILLARS
_RATINGS = RATINGS

# Fixed cells of the Weights sheet that the Summary's formulas read (one row of weights in pillar order so
# that SUMPRODUCT over a Summary row of pillar scores lines up with it).
_W_ROW = 4                      # pillar weights in B4:F4, total in G4
_W_COLS = "BCDEF"
_W_FLOOR = "$B$8"               # geometric floor
_W_MINCOV = "$B$9"              # minimum coverage
_W_EDGE_ROW = 13                # lower band edges B13:H13 (first is 0)
_W_LABEL_ROW = 12               # band labels B12:H12
_COVERAGE_TOL = "1E-12"         # same tolerance as esglib.scoring

# Plain-words engagement questions for the flags esglib raises.


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
    # coverage (docs/methodology.md s.4): each footprint pillar's weight times the weighted share of its applicable
    # KPIs disclosed (the has_<pillar> columns), over the footprint weights
    coverage = _F(f"=IF(SUM({w_foot})>0,SUMPRODUCT({has},{w_foot})/SUM({w_foot}),1)")
    pillars = f"{lay.cell('energy', r)}:{lay.cell('disclosure', r)}"
    cov = lay.cell("coverage", r)
    present = f"SUMPRODUCT(ISNUMBER({pillars})*{w_all})"  # a pillar without a scorable KPI is left out
    if aggregation == "geometric":
        terms = "+".join(f"IF(ISNUMBER({lay.cell(p, r)}),{_weights_ref(i)}*LN(MAX({lay.cell(p, r)},"
                         f"Weights!{_W_FLOOR})),0)" for i, p in enumerate(_PILLARS))
        value = f"EXP(({terms})/{present})"
    else:
        value = f"SUMPRODUCT({pillars},{w_all})/{present}"
    kpi_ok = lay.cell("kpi_share_ok", r)
    composite = _F(f'=IF(OR({cov}<Weights!{_W_MINCOV}-{_COVERAGE_TOL},{kpi_ok}=0),"",{value})')
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
                *(f"has_{p}" for p in _FOOTPRINT), "kpi_share_ok"]
    head = [f"esglib AI-footprint scorecard: {'portfolio holdings' if holdings_mode else 'company ranking'}"]
    top: list[tuple[list[Any], Any]] = [(head, "title")]
    for n in notes:
        top.append(([n], "muted"))
    top.append(([per_company_note], "muted"))
    live_row = 0
    label_idx = -1
    if holdings_mode:
        top.append(([], None))
        top.append(([None, None, "Portfolio summary (headline; every figure on the Portfolio sheet)",
                     _Link("-> Portfolio sheet", location="Portfolio!A1")], [None, None, "band", None]))
        labels = [label.replace("_", " ") for label, _ in headline] + ["composite (live: rated holdings, follows "
                                                                         "Weights)"]
        top.append(([None, None, *labels], [None, None, *["header"] * len(labels)]))
        label_idx = len(top) - 1
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

    header_names = {"fiscal_year": "fiscal year", "n_figures": "figures on file", "weight": "weight",
                    **{f"has_{p}": f"share of {p} KPIs disclosed" for p in _FOOTPRINT},
                    "kpi_share_ok": "discloses enough of its KPIs (1/0)"}
    headers = [header_names.get(c, c) for c in columns]
    # one number format per column: years and counts as integers, scores with two decimals, shares as percent
    styles = {"fiscal_year": "fmt:" + FORMATS["year"], "n_figures": "fmt:" + FORMATS["count"],
              "weight": "fmt:" + FORMATS["fraction"], "coverage": "fmt:" + FORMATS["fraction"],
              "composite": "fmt:" + FORMATS["score"], "flags": "wrap",
              **{p: "fmt:" + FORMATS["score"] for p in _PILLARS},
              **{f"has_{p}": "fmt:" + FORMATS["fraction"] for p in _FOOTPRINT},
              "kpi_share_ok": "fmt:" + FORMATS["count"]}
    # top-aligned, so that a row reads across when its flags wrap over two or three lines
    row_styles = ["top" if c not in styles else styles[c] if c == "flags" else "top+" + styles[c] for c in columns]
    # column-wise plain Python values (iterating rows of a frame is slow and deep-copies its attrs)
    data: dict[str, list[Any]] = {"ticker": [str(t) for t in rows.index]}
    for c in columns:
        if c in rows.columns:
            data[c] = _column_values(rows[c])
    has = [_pillar_has(f) for f in rows["flags"].tolist()] if "flags" in rows.columns else [[1] * 4] * n
    pillar_cov = rows.attrs.get("pillar_coverage") or {}
    kpi_ok = rows.attrs.get("meets_min_kpi_share") or {}
    if pillar_cov:  # methodology v2: the weighted share of each pillar's applicable KPIs disclosed
        has = [list(pillar_cov.get(t, (0.0,) * 4)) for t in data["ticker"]]
    for i, p in enumerate(_FOOTPRINT):
        data[f"has_{p}"] = [h[i] for h in has]
    data["kpi_share_ok"] = [int(kpi_ok.get(t, not pillar_cov)) for t in data["ticker"]]
    # widths fit the values and the longest word of each wrapped header; the header row grows to fit
    shown = {"rank": [999], "composite": [99.99], "rating": ["CCC", "NR"], "coverage": [1.0]}
    caps = {"company": 30, "flags": 60}
    widths = [auto_width(h, data.get(c, shown.get(c, ())), (styles.get(c) or "")[4:] or None, hi=caps.get(c, 24))
              for c, h in zip(columns, headers, strict=True)]
    if label_idx >= 0:  # the headline labels above the table wrap in the same columns: fit their words too
        for j, v in enumerate(top[label_idx][0]):
            if isinstance(v, str) and v:
                widths[j] = max(widths[j], auto_width(v, hi=24))
    _widths(ws, widths)
    ws.freeze_panes = f"C{lay.first}"
    ws.auto_filter.ref = f"A{header_row}:{_letter(len(columns))}{lay.last}"
    _print_setup(ws, title_rows=f"{header_row}:{header_row}", area=f"A1:{_letter(len(columns))}{lay.last}")
    for i, (values, style) in enumerate(top):
        height = header_height([str(v or "") for v in values], widths) if i == label_idx else None
        book.row(ws, values, style, height=height)
    book.row(ws, headers, "header", height=header_height(headers, widths))

    live = ("rank", "composite", "rating", "coverage")
    for k in range(n):
        r = lay.first + k
        f = _formulas(lay, r, cfg.aggregation)
        values = [f[c] if c in live else (data[c][k] if c in data else None) for c in columns]
        ticker = data["ticker"][k]
        if ticker in sheet_of:
            values[1] = _Link(ticker, location=f"{_quote_sheet(sheet_of[ticker])}!A1")
        flags = values[columns.index("flags")]
        height = text_height(flags, widths[columns.index("flags")]) if isinstance(flags, str) and flags else None
        book.row(ws, values, row_styles, height=height)
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
    return "fmt:" + column_format(key)


def column_format(name: str, unit: str | None = None) -> str:
    """The number format of a portfolio-sheet column (or of a headline row with ``unit``).

    Years and counts are plain integers, shares stored as fractions are percentages, tonnes, MWh and dollar
    amounts get thousands separators, scores two decimals.
    """
    n = str(name).lower()
    u = "" if unit is None or _is_missing(unit) else str(unit).lower()
    if u:
        if u == "share":
            return FORMATS["fraction"]
        if u in ("tco2e", "mwh", "usd") or u.startswith("usd "):
            return FORMATS["tonnes"]
        if u == "0-100":
            return FORMATS["score"]
        return FORMATS["number"]
    if n.endswith(("_fy", "year")) or n.startswith("n_"):
        return FORMATS["year"]
    if "coverage" in n or n == "weight" or n.endswith("_weight") or n.startswith("weight_"):
        return FORMATS["fraction"]
    if any(k in n for k in ("tco2e", "emissions", "_usd", "mwh", "portfolio_value")):
        return FORMATS["tonnes"]
    if n in _PILLARS or n == "composite" or n.startswith("contrib_"):
        return FORMATS["score"]
    return FORMATS["number"]


def _write_portfolio(book: _Book, ws, items: Sequence[tuple[str, Any]], table: pd.DataFrame | None,
                     summary: Any) -> None:
    """Every figure of the portfolio summary: scalars, the headline table and its detail tables."""
    frames: list[tuple[str, pd.DataFrame]] = []
    if table is not None:
        frames.append(("Headline figures", table))
    for name in ("contributions", "by_peer_group", "engagement"):
        frame = getattr(summary, name, None)
        if isinstance(frame, pd.DataFrame) and len(frame):
            frames.append((name.replace("_", " ").capitalize(), frame))
    blocks = []
    for title, frame in frames:
        t = frame.reset_index() if frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex) \
            else frame
        names = [str(c) for c in t.columns]
        cols = [_column_values(t[c]) for c in t.columns]
        units = t["unit"].tolist() if "unit" in t.columns and "value" in t.columns else None
        fmts = [[column_format(c, units[i] if (units is not None and c == "value") else None) for i in range(len(t))]
                for c in names]
        blocks.append((title, names, cols, fmts))
    # widths: the widest need of each column position over the label/value pairs and every table
    n_cols = max([2, *(len(b[1]) for b in blocks)])
    widths = [12.0] * n_cols
    widths[0] = max([auto_width("", [k for k, _ in items], hi=40), 12.0])
    widths[1] = max(widths[1], auto_width("", [v for _, v in items], None, hi=30))
    for _, names, cols, fmts in blocks:
        for j, (c, vals, f) in enumerate(zip(names, cols, fmts, strict=True)):
            cap = 60 if c == "question" else 24 if j else 40
            head = c.replace("_", " ")
            w = max([auto_width(head, [v], f[i] if i < len(f) else None, hi=cap) for i, v in enumerate(vals)]
                    or [auto_width(head, hi=cap)])
            widths[j] = max(widths[j], w)
    _widths(ws, widths)
    _print_setup(ws, title_rows="2:2")
    book.row(ws, [_Link("<- back to Summary", location="Summary!A1")])
    book.row(ws, ["Portfolio summary (esglib.portfolio_summary at the weights the workbook was written with)"],
             "title")
    for label, value in items:
        book.row(ws, [label, value], [None, _headline_format(label, value)])
    for title, names, cols, fmts in blocks:
        book.row(ws, [])
        book.row(ws, [title], "band")
        shown = [c.replace("_", " ") for c in names]  # readable, and wraps between words
        book.row(ws, shown, "header", height=header_height(shown, widths))
        for i, rec in enumerate(zip(*cols, strict=True)):
            styles = []
            for j, v in enumerate(rec):
                if names[j] == "question":
                    styles.append("wrap")
                elif isinstance(v, (float, int)) and not isinstance(v, bool):
                    styles.append("fmt:" + fmts[j][i])
                else:
                    styles.append(None)
            book.row(ws, list(rec), styles)


def _write_weights(book: _Book, ws, cfg) -> None:
    _widths(ws, [26, 13, 13, 13, 13, 13, 13, 13, 40])
    _print_setup(ws, title_rows="3:3")
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




#: Company sheets: the chart sits right of the top block (rows 1-16, columns A-F), in the empty rows above the
#: metric table, so it never covers a cell with a value.
_CHART_FIRST_ROW, _CHART_LAST_ROW = 2, 16
_TOP_BLOCK_COLS = 6
_METRIC_COLS = ("pillar", "metric", "value", "unit", "fiscal year", "peer percentile", "metric score",
                "data quality", "compared with", "weight in pillar", "contribution", "source", "formula")
_METRIC_FORMATS = (None, None, FORMATS["number"], None, FORMATS["year"], FORMATS["score"], FORMATS["score"], None,
                   None, FORMATS["fraction"], FORMATS["score"], None, None)
_METRIC_WRAP = {"data quality": 24, "source": 60, "formula": 60}


def _metric_rows(ex: pd.DataFrame | None) -> list[list[Any]]:
    rows: list[list[Any]] = []
    if ex is None:
        return rows
    for e in ex.itertuples(index=False):
        url = _first_url(e.source_url)
        src = str(e.source)
        dq = None if _is_missing(e.data_quality) else int(e.data_quality)
        rows.append([e.pillar, e.metric, e.value, e.unit, e.fiscal_year, e.peer_percentile, e.metric_score,
                     None if dq is None else f"{dq}: {QUALITY_LABELS.get(dq, '')}", e.compared_with,
                     e.weight_in_pillar, e.contribution, _Link(src, target=url) if url else src, e.formula])
    return rows


def _chart_anchor(widths: Sequence[float], first_col: int, want: float = 75.0):
    """A two-cell anchor from ``first_col`` (0-based) spanning about ``want`` characters of column width."""
    from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor

    end, total = first_col, 0.0
    while total < want and end < len(widths):
        total += widths[end]
        end += 1
    return TwoCellAnchor(editAs="oneCell", _from=AnchorMarker(col=first_col, row=_CHART_FIRST_ROW - 1),
                         to=AnchorMarker(col=end, row=_CHART_LAST_ROW))


def _write_company(book: _Book, ws, ticker: str, rec: pd.Series, lay: _Layout, summary_row: int,
                   medians: pd.DataFrame, ex: pd.DataFrame | None, note: str | None) -> None:
    from openpyxl.chart import BarChart, Reference

    metric_rows = _metric_rows(ex)
    cols = list(_METRIC_COLS)
    widths = []
    for j, c in enumerate(cols):
        vals = [r[j] for r in metric_rows]
        hi = _METRIC_WRAP.get(c, 24)
        widths.append(auto_width(c, vals, _METRIC_FORMATS[j], lo=8, hi=hi))
    widths[0] = max(widths[0], 18.0)  # "composite (live)", "peer-group median" labels
    widths[2] = max(widths[2], 12.0)
    _widths(ws, widths)
    ws.freeze_panes = "A4"
    _print_setup(ws)
    company = rec.get("company")
    book.row(ws, [f"{'' if _is_missing(company) else company} ({ticker})"], "title")
    book.row(ws, [_Link("<- back to Summary", location=f"Summary!A{summary_row}"),
                  f"peer group: {rec.get('peer_group')}",
                  "fiscal year: " + ("-" if _is_missing(rec.get("fiscal_year")) else str(int(rec["fiscal_year"])))],
             [None, "muted", "muted"])
    book.row(ws, ["composite (live)", _F(f"=Summary!{lay.cell('composite', summary_row)}"),
                  "rating (live)", _F(f"=Summary!{lay.cell('rating', summary_row)}"),
                  "coverage", _F(f"=Summary!{lay.cell('coverage', summary_row)}")],
             ["bold", "fmt:" + FORMATS["score"], "bold", "bold", "bold", "fmt:" + FORMATS["fraction"]])
    book.row(ws, [])
    # pillar table at rows 5..10 (chart data)
    head = ["pillar", "score", "peer-group median", "weight (live)"]
    book.row(ws, head, "header", height=header_height(head, widths))
    peer = rec.get("peer_group")
    med = medians.loc[peer] if peer in medians.index else pd.Series(np.nan, index=list(_PILLARS))
    for i, p in enumerate(_PILLARS):
        book.row(ws, [p, rec.get(p), med.get(p), _F(f"={_weights_ref(i)}/Weights!$G${_W_ROW}")],
                 ["bold", "fmt:" + FORMATS["score"], "fmt:" + FORMATS["score"], "fmt:" + FORMATS["fraction"]])
    chart = BarChart()
    chart.type = "col"
    chart.title = xml_text(f"{ticker}: pillar scores vs {peer} median")
    chart.y_axis.title = "score (0-100)"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 100
    chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=5, max_row=10), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=6, max_row=10))
    chart.anchor = _chart_anchor(widths, _TOP_BLOCK_COLS + 1)  # one empty column after the top block
    ws.add_chart(chart)
    for _ in range(_CHART_LAST_ROW - 10):  # rows 11..16 stay free for the chart
        book.row(ws, [])
    # metric table from explain()
    book.row(ws, ["Metrics (from esglib.explain; peer percentile 0-100, higher = better than peers)"], "band")
    header = book.row(ws, cols, "header", height=header_height(cols, widths))
    ws.print_title_rows = f"{header}:{header}"
    if ex is None:
        book.row(ws, [note or "metric table unavailable"], "muted")
    else:
        # every cell top-aligned, so a row reads across when the source or formula wraps
        styles = ["top" if f is None else "top+fmt:" + f for f in _METRIC_FORMATS]
        for j, c in enumerate(cols):
            if c in _METRIC_WRAP:
                styles[j] = "wrap"
        for values in metric_rows:
            lines = max(text_height(str(getattr(v, "text", v)), widths[j]) for j, v in enumerate(values)
                        if cols[j] in _METRIC_WRAP and not _is_missing(v))
            book.row(ws, values, styles, height=lines)
        book.row(ws, ["contributions are at the weights the workbook was written with; the live composite is above"],
                 "muted")
    book.row(ws, [])
    book.row(ws, ["Flags"], "band")
    flags = [f.strip() for f in str(rec.get("flags") or "").split(";") if f.strip()]
    for fl in flags or ["none"]:
        book.row(ws, [fl])
    book.row(ws, [])
    book.row(ws, ["Engagement questions (missing disclosures and flags)"], "band")
    questions = explanation_questions(ex, "; ".join(flags))
    # each question wraps in one cell merged across B..M, its row as tall as the wrapped text
    span = sum(widths[1:])
    last_col = _letter(len(cols))
    for i, q in enumerate(questions or ["none: every scored metric is disclosed"], 1):
        r = book.row(ws, [i, q], ["top", "wrap"], height=text_height(q, span))
        ws.merged_cells.add(f"B{r}:{last_col}{r}")
    ws.print_area = f"A1:{last_col}{book.rows_written[ws.title]}"
