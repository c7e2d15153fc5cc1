"""The Excel scorecard: one workbook from one scoring pass (never re-scores)."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from esglib.atomicio import atomic_path
from esglib.errors import ConfigError
from esglib.inputs import DATA_DIR, data_as_of
from esglib.outputs.excel._cells import _RESERVED_SHEETS, _is_missing, sheet_title
from esglib.outputs.excel._docsheets import _sources_frame, _write_methodology, _write_sources
from esglib.outputs.excel._sheets import (
    _PILLARS,
    _fmt,
    _headline,
    _peer_medians,
    _write_company,
    _write_portfolio,
    _write_summary,
    _write_weights,
)
from esglib.outputs.excel._styling import _check_xlsx, _new_book
from esglib.portfolio import holdings_weights, portfolio_summary
from esglib.scoring import ScoreConfig, explain_many

__all__ = ['write_scorecard', 'PER_COMPANY_SHEETS_MAX']


#: Per-company sheets are written by default up to this many companies (a sheet per company is unreadable
#: and slow beyond it; the Summary says so).
PER_COMPANY_SHEETS_MAX = 60


# ------------------------------------------------------------------------------------------------ inputs
@dataclass(frozen=True)
class _Inputs:
    scores: pd.DataFrame
    disclosures: pd.DataFrame | None
    companies: pd.DataFrame | None
    config: Any
    year: int | None
    bundled: bool
    fx: pd.DataFrame | None = None


def _resolve_inputs(scores, disclosures, companies, config, year) -> _Inputs:
    bundled = False
    if scores is None:
        raise ConfigError("`scores` is required: pass the output of esglib.scoring.score (the workbook never "
                          "re-scores)")
    if not isinstance(scores, pd.DataFrame):
        raise ConfigError(f"`scores` must be a DataFrame from esglib.score(), got {type(scores).__name__}")
    need = ["company", "peer_group", "fiscal_year", *_PILLARS, "composite", "rating", "coverage", "flags"]
    missing = [c for c in need if c not in scores.columns]
    if missing:
        raise ConfigError(f"`scores` lacks column(s) {missing}; pass the output of esglib.score()")
    config = config or scores.attrs.get("config") or ScoreConfig()
    if disclosures is not None and "source_file" in disclosures.columns and len(disclosures):
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
    agg = holdings_weights(h.set_index("ticker"), long_only=True)  # the one normaliser: a missing weight raises
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


def write_scorecard(path: str | os.PathLike[str], scores: pd.DataFrame | None = None,
                    disclosures: pd.DataFrame | None = None, companies: pd.DataFrame | None = None,
                    config=None, year: int | None = None, holdings: pd.DataFrame | None = None,
                    summary: Any = None, prices_as_of: str | _dt.date | None = None, *,
                    per_company_sheets: bool | None = None, on_step: Callable[[str, Path], None] | None = None,
                    fx: pd.DataFrame | None = None) -> Path:
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
    scores : DataFrame
        :func:`esglib.scoring.score` output (n_companies x 15, index ``ticker``); the workbook never re-scores.
    disclosures : DataFrame, optional
        Validated disclosures (:func:`esglib.inputs.load_disclosures`). Needed for the metric tables, the
        Sources sheet and a portfolio summary from ``holdings``; omitted (with a note) when not given.
    companies : DataFrame, optional
        The universe (for the per-company explanations).
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
    on_step : callable, optional
        Called as ``on_step(stage, tmp_path)`` before each stage of the write: ``"summary"``, ``"portfolio"``
        (holdings only), ``"weights"``, ``"companies"``, ``"methodology"``, ``"sources"`` and ``"save"``;
        ``tmp_path`` is the temporary file that replaces ``path`` on success. A progress hook, and the seam
        for fault-injection tests: whatever it raises aborts the write and leaves ``path`` untouched.
    fx : DataFrame, optional
        The FX rates ``scores`` were computed with (:func:`esglib.scoring.score`'s ``fx``), so that each company
        sheet's metric table explains the same figures.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ConfigError
        ``path`` does not end in ``.xlsx``; ``scores`` or ``holdings`` lack required columns.

    Notes
    -----
    openpyxl cannot store computed values, so formula cells have none until the workbook is opened in a
    spreadsheet (which recalculates on load). Static numbers (pillar scores, peer medians, KPI values) are
    written as values; only the weight-dependent columns are formulas.
    """
    target = _check_xlsx(path)
    inp = dataclasses.replace(_resolve_inputs(scores, disclosures, companies, config, year), fx=fx)
    cfg = inp.config
    scores = inp.scores
    holdings_mode = holdings is not None
    if holdings_mode:
        if summary is None:
            summary = _portfolio_summary(holdings, scores, inp.disclosures, inp.companies, inp.config)
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
        def step(stage: str) -> None:
            if on_step is not None:
                on_step(stage, tmp)

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
        step("summary")
        lay = _write_summary(book, ws_sum, rows, cfg, holdings_mode, sheet_of, notes, _headline(items, table),
                             reason)
        if ws_p is not None:
            step("portfolio")
            _write_portfolio(book, ws_p, items, table, summary)
        step("weights")
        _write_weights(book, ws_w, cfg)
        step("companies")
        medians = _peer_medians(scores)
        for k, t in enumerate(rows.index):
            if t in company_ws:
                _write_company(book, company_ws[t], str(t), rows.loc[t], lay, lay.first + k, medians,
                               explain_of.get(t), explain_note.get(t))
        step("methodology")
        _write_methodology(book, ws_m, cfg, as_of_lines, inp.year)
        step("sources")
        if inp.disclosures is not None:
            _write_sources(book, ws_s, _sources_frame(inp.disclosures, rows, cfg), None)
        else:
            _write_sources(book, ws_s, pd.DataFrame(), "no disclosures were given to write_scorecard, so the cited "
                                                        "figures are not listed")
        step("save")
        book.save(tmp)
    return target


def _explain_all(rows: pd.DataFrame, inp: _Inputs) -> tuple[dict[str, pd.DataFrame | None], dict[str, str]]:
    """:func:`esglib.explain` for every row that can be explained (needs the disclosures)."""
    out: dict[str, pd.DataFrame | None] = {}
    notes: dict[str, str] = {}
    if inp.disclosures is None:
        return out, {t: "metric table needs the disclosures (pass disclosures= to write_scorecard)" for t in rows.index}
    scored = set(inp.scores.index)
    wanted = [t for t in rows.index if t in scored]
    # the universe of the scores themselves when none is given (ticker, company, peer group are all explain needs)
    companies = inp.companies if inp.companies is not None else (
        inp.scores[["company", "peer_group"]].rename_axis("ticker").reset_index())
    as_of = inp.scores.attrs.get("as_of") if hasattr(inp, "scores") else None
    explained = explain_many(wanted, inp.disclosures, inp.config, inp.year, companies=companies,
                             as_of=as_of, fx=inp.fx) if wanted else {}
    for t in rows.index:
        if t not in scored:
            notes[t] = "not in the scored universe: no metric table"
            continue
        out[t] = explained[t]
    return out, notes


def _portfolio_summary(holdings: pd.DataFrame, scores: pd.DataFrame, disclosures: pd.DataFrame | None,
                       companies: pd.DataFrame | None, config: Any) -> Any:
    """:func:`esglib.portfolio.portfolio_summary` of the given scores (never re-scored), with the same config."""
    if disclosures is None:
        raise ConfigError("`holdings` without `summary=` needs `disclosures` (for the portfolio footprint)")
    return portfolio_summary(holdings, scores, disclosures, companies=companies, config=config)
