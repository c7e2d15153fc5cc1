"""Load and validate the company universe, the cited disclosures and the macro series.

Public functions return long-format pandas frames in canonical units; they never modify their input.
Validation is lazy (pandera): every problem in a file is reported at once, each naming file, row, column,
rule and value.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from esglib.errors import DataValidationError, Problem
from esglib.inputs._paths import DATA_DIR
from esglib.inputs._readers import Table, read_table, require_columns
from esglib.inputs._schema import (
    DISCLOSURE_COLUMNS,
    METRICS,
    MIN_YEAR,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    is_known_metric,
)
from esglib.inputs._units import CANONICAL_UNIT, factor_to_canonical
from esglib.vocabulary import DEFAULT_PUBLICATION_LAG_DAYS

__all__ = ['PEER_GROUPS', 'load_companies', 'load_disclosures', 'validate_disclosures', 'load_macro', 'select_figures', 'publication_dates', 'available_as_of', 'data_as_of', 'DEFAULT_PUBLICATION_LAG_DAYS']


PEER_GROUPS = ("hyperscaler_cloud", "semiconductors", "hardware", "datacenter_reit", "ai_cloud_miners",
               "power_utilities")
COMPANY_COLUMNS = ("ticker", "company", "peer_group", "country", "yahoo_ticker", "fiscal_year_end",
                   "disclosure_search")
#: Days after fiscal-year end before a year's disclosures count as public (sustainability reports typically
#: appear 4 to 7 months after year end; we assume the later end so a backtest never looks ahead).
_NUMBER_OK = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def _default(name: str) -> Path:
    return DATA_DIR / name


def data_as_of() -> str:
    """As-of date of the bundled disclosure data (the curation date stated in ``data/README.md``)."""
    return "2026-05-31"


# --------------------------------------------------------------------------------------------- companies
def load_companies(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load the company universe.

    Parameters
    ----------
    path : path-like, optional
        CSV/XLSX with columns ``ticker, company, peer_group`` (and optionally ``country, yahoo_ticker,
        fiscal_year_end, disclosure_search``). Default: the bundled ``data/companies.csv``.

    Returns
    -------
    DataFrame
        One row per company (n_companies x 7), indexed 0..n-1, ``ticker`` unique.

    Raises
    ------
    DataValidationError
        Missing columns, blank or duplicate tickers, unknown peer groups, bad fiscal-year ends.
    """
    table = read_table(path or _default("companies.csv"))
    require_columns(table, ("ticker", "company", "peer_group"))
    df = table.frame.copy()
    for col in COMPANY_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    df["ticker"] = df["ticker"].str.upper()
    df.loc[df["yahoo_ticker"] == "", "yahoo_ticker"] = df["ticker"]
    df.loc[df["fiscal_year_end"] == "", "fiscal_year_end"] = "12-31"
    problems: list[Problem] = []
    for i in df.index[df["ticker"] == ""]:
        problems.append(table.problem(i, "ticker", "ticker is blank"))
    for i in df.index[df["ticker"].duplicated(keep="first") & (df["ticker"] != "")]:
        problems.append(table.problem(i, "ticker", "duplicate ticker", df.at[i, "ticker"]))
    for i in df.index[~df["peer_group"].isin(PEER_GROUPS)]:
        problems.append(table.problem(i, "peer_group", f"unknown peer group (one of {', '.join(PEER_GROUPS)})",
                                      df.at[i, "peer_group"]))
    fye = pd.to_datetime("2001-" + df["fiscal_year_end"], format="%Y-%m-%d", errors="coerce")
    for i in df.index[fye.isna()]:
        problems.append(table.problem(i, "fiscal_year_end", "fiscal_year_end must be MM-DD", df.at[i, "fiscal_year_end"]))
    if problems:
        raise DataValidationError(problems)
    return df[list(COMPANY_COLUMNS)].reset_index(drop=True)


# --------------------------------------------------------------------------------------------- disclosures
def _parse_numbers(s: pd.Series) -> pd.Series:
    """Strict numeric parse: '1,234', '12%', 'n/a' and blanks become NaN (reported by the caller)."""
    ok = s.str.fullmatch(_NUMBER_OK)
    out = pd.to_numeric(s.where(ok), errors="coerce")
    return out.astype("float64")


def _bound_rule(metric: str, value: float) -> str | None:
    spec = METRICS.get(metric)
    if spec is None or not np.isfinite(value):
        return None
    if metric == "pue" and value < 1:
        return f"PUE {value:g} is below 1 (PUE = facility energy / IT energy >= 1 by definition)"
    if spec.family == "percent" and (value < 0 or value > (spec.upper if spec.upper is not None else 100)):
        return f"{metric} {value:g} % is outside 0..{spec.upper:g} %"
    if spec.lower is not None and (value < spec.lower or (spec.lower_strict and value <= spec.lower)):
        word = "must be positive" if spec.lower == 0 and spec.lower_strict else (
            "must not be negative" if spec.lower == 0 else f"is below {spec.lower:g} {spec.unit}")
        return f"{metric} {value:g} {word}"
    if spec.upper is not None and value > spec.upper:
        return f"{metric} {value:g} is above the plausible maximum {spec.upper:g} {spec.unit}"
    return None


def _validate_with_pandera(df: pd.DataFrame, table: Table, universe: set[str] | None, max_year: int
                           ) -> list[Problem]:
    """Run the declarative checks (pandera, lazy) and translate failures into located Problems."""
    import pandera.pandas as pa

    def rowwise(name: str, fn: Callable[[pd.DataFrame], pd.Series]) -> pa.Check:
        return pa.Check(fn, name=name)

    canonical = df["metric"].isin(list(METRICS))
    unit_ok = pd.Series(
        [factor_to_canonical(u, METRICS[m].family) is not None if m in METRICS else True
         for m, u in zip(df["metric"], df["unit"], strict=True)], index=df.index, dtype=bool)
    bounds = pd.Series([_bound_rule(m, v) for m, v in zip(df["metric"], df["value_canonical"], strict=True)],
                       index=df.index, dtype=object)

    checks = [
        rowwise("unknown_metric", lambda d: d["metric"].map(is_known_metric).astype(bool)),
        rowwise("unit_fits_metric", lambda d: unit_ok.reindex(d.index, fill_value=True)),
        rowwise("value_in_bounds", lambda d: bounds.reindex(d.index).isna()),
        rowwise("source_given", lambda d: ~(canonical.reindex(d.index, fill_value=False)
                                              & (d["source_title"] == "") & (d["source_url"] == ""))),
    ]
    if universe is not None:
        checks.append(rowwise("ticker_in_universe", lambda d: d["ticker"].isin(universe)))
    schema = pa.DataFrameSchema(
        {
            "ticker": pa.Column(None, pa.Check(lambda s: s.astype(str).str.len() > 0, name="ticker_not_blank"),
                                nullable=False),
            "fiscal_year": pa.Column(None, pa.Check(lambda s: s.isna() | s.between(MIN_YEAR, max_year),
                                                    name="year_in_range"), nullable=True),
            "data_quality": pa.Column(None, pa.Check(lambda s: s.isna() | s.isin([1.0, 2.0, 3.0, 4.0]),
                                                     name="quality_scale"), nullable=True),
        },
        checks=checks,
        strict=False,
    )
    try:
        schema.validate(df, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
    problems: list[Problem] = []
    fc = fc[fc["index"].notna()].drop_duplicates(["index", "check"])
    rules = {
        "unknown_metric": ("metric", lambda i: (f"unknown metric (use a canonical metric or 'other:<name>'; "
                                                f"canonical: {', '.join(sorted(METRICS)[:6])}, ...)",
                                                df.at[i, "metric"])),
        "unit_fits_metric": ("unit", lambda i: (
            f"unit does not fit metric {df.at[i, 'metric']} (expected {METRICS[df.at[i, 'metric']].family} units "
            f"such as {CANONICAL_UNIT[METRICS[df.at[i, 'metric']].family]})", df.at[i, "unit"])),
        "value_in_bounds": ("value", lambda i: (bounds.at[i], df.at[i, "value_raw"])),
        "source_given": ("source_title", lambda i: ("every disclosed figure needs its source (source_title or "
                                                    "source_url)", "")),
        "ticker_in_universe": ("ticker", lambda i: ("ticker is not in the companies table", df.at[i, "ticker"])),
    }
    for _, r in fc.iterrows():
        idx = r["index"]
        check = str(r["check"])
        if idx is None or (isinstance(idx, float) and np.isnan(idx)):
            continue
        idx = int(idx)
        if check == "year_in_range":
            problems.append(table.problem(idx, "fiscal_year",
                                          f"fiscal_year outside {MIN_YEAR}..{max_year}", df.at[idx, "fiscal_year_raw"]))
        elif check == "quality_scale":
            problems.append(table.problem(idx, "data_quality", "data_quality must be 1, 2, 3 or 4",
                                          df.at[idx, "data_quality_raw"]))
        elif check == "ticker_not_blank":
            problems.append(table.problem(idx, "ticker", "ticker is blank"))
        else:
            name = next((k for k in rules if check.startswith(k)), None)
            if name is None:  # pragma: no cover - every check is named above
                problems.append(table.problem(idx, None, check, r["failure_case"]))
                continue
            column, make = rules[name]
            rule, value = make(idx)
            problems.append(table.problem(idx, column, rule, value))
    return problems


def validate_disclosures(table: Table, companies: pd.DataFrame | None = None, max_year: int | None = None
                         ) -> pd.DataFrame:
    """Validate a disclosures :class:`~esglib.inputs.Table` and return the canonical frame.

    See :func:`load_disclosures` for the rules.
    """
    require_columns(table, REQUIRED_COLUMNS)
    max_year = max_year or _dt.date.today().year + 1
    df = table.frame.copy()
    for col in OPTIONAL_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    problems: list[Problem] = []
    df["ticker"] = df["ticker"].str.upper()
    df["metric"] = df["metric"].str.strip()
    # canonical metric names are lower-case; accept "PUE" or "Scope1_tCO2e" as typed by people
    lowered = df["metric"].str.lower()
    df["metric"] = df["metric"].where(~lowered.isin(list(METRICS)), lowered)
    # numbers: strict parse, every failure named
    df["value_raw"] = df["value"]
    df["fiscal_year_raw"] = df["fiscal_year"]
    df["data_quality_raw"] = df["data_quality"]
    value = _parse_numbers(df["value"])
    for i in df.index[value.isna()]:
        raw = df.at[i, "value"]
        rule = "value is blank" if raw == "" else "value is not a plain number (no thousands separators, % signs or text)"
        problems.append(table.problem(i, "value", rule, raw))
    infinite = value.notna() & ~np.isfinite(value)  # e.g. '1e999' parses to inf
    for i in df.index[infinite]:
        problems.append(table.problem(i, "value", "value is not a finite number", df.at[i, "value"]))
    value = value.where(~infinite)
    fy = _parse_numbers(df["fiscal_year"])
    bad_fy = fy.isna() | (fy.notna() & (fy != np.floor(fy)))
    for i in df.index[bad_fy]:
        problems.append(table.problem(i, "fiscal_year", "fiscal_year must be a whole year such as 2024",
                                      df.at[i, "fiscal_year"]))
    dq = _parse_numbers(df["data_quality"].replace("", "4"))
    for i in df.index[dq.isna()]:
        problems.append(table.problem(i, "data_quality", "data_quality must be 1, 2, 3 or 4", df.at[i, "data_quality"]))
    ed = _parse_numbers(df["report_edition"].str.replace(r"\.0$", "", regex=True).replace("", "nan"))
    for i in df.index[ed.isna() & (df["report_edition"] != "")]:
        problems.append(table.problem(i, "report_edition", "report_edition must be a year or blank",
                                      df.at[i, "report_edition"]))
    df["fiscal_year"] = fy.where(~bad_fy)
    df["data_quality"] = dq
    df["report_edition"] = ed
    # units: canonical metrics are converted; other: metrics keep the unit as given
    factors = pd.Series(
        [factor_to_canonical(u, METRICS[m].family) if m in METRICS else 1.0
         for m, u in zip(df["metric"], df["unit"], strict=True)], index=df.index, dtype="float64")
    df["value_canonical"] = value * factors
    problems += _validate_with_pandera(df, table, set(companies["ticker"]) if companies is not None else None,
                                       max_year)
    # conflicting duplicates: same figure identity, different values
    key = ["ticker", "fiscal_year", "metric", "basis", "scope_note", "report_edition", "source_url"]
    ok_rows = df["value_canonical"].notna()
    dup = df[ok_rows].copy()
    dup["_ed"] = dup["report_edition"].fillna(-1)
    dup_key = [k if k != "report_edition" else "_ed" for k in key]
    grouped = dup.assign(_row=dup.index).groupby(dup_key, dropna=False)
    n_values = grouped["value_canonical"].transform("nunique")
    first_of_key = grouped["_row"].transform("first")  # (NaN keys such as an unparseable year group together)
    first_value = grouped["value_canonical"].transform("first")
    conflict = (n_values > 1) & (dup["value_canonical"] != first_value)  # a repeat of the first value is no conflict
    for i in dup.index[conflict.to_numpy()]:
        first = first_of_key.at[i]
        problems.append(table.problem(
            i, "value", f"conflicting duplicate: same ticker, year, metric, basis and source as row "
                        f"{table.row_number(first)} but a different value", df.at[i, "value_raw"]))
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        raise DataValidationError(problems)
    out = df.copy()
    converted = out["metric"].isin(list(METRICS)) & (out["unit"].map(str) != out["metric"].map(
        lambda m: CANONICAL_UNIT[METRICS[m].family] if m in METRICS else ""))
    out.loc[converted & (out["reported_value"] == ""), "reported_value"] = out.loc[converted, "value_raw"]
    out.loc[converted & (out["reported_unit"] == ""), "reported_unit"] = out.loc[converted, "unit"]
    out["value"] = out["value_canonical"]
    canon_unit = out["metric"].map(lambda m: CANONICAL_UNIT[METRICS[m].family] if m in METRICS else None)
    out["unit"] = canon_unit.fillna(out["unit"])
    out["fiscal_year"] = out["fiscal_year"].astype("int64")
    out["data_quality"] = out["data_quality"].astype("int64")
    out["report_edition"] = out["report_edition"].astype("Int64")
    if companies is not None:
        names = companies.set_index("ticker")["company"]
        blank = out["company"] == ""
        out.loc[blank, "company"] = out.loc[blank, "ticker"].map(names).fillna("")
    out["source_row"] = [table.row_number(i) for i in out.index]
    out["source_file"] = table.file
    return out[[*DISCLOSURE_COLUMNS, "source_file", "source_row"]].reset_index(drop=True)


def load_disclosures(path: str | os.PathLike[str] | None = None, companies: pd.DataFrame | None = None,
                     *, check_universe: bool = True) -> pd.DataFrame:
    """Load and validate disclosures (one row per disclosed figure, long format).

    Parameters
    ----------
    path : path-like, optional
        CSV or XLSX (sheet ``Disclosures``) with at least ``ticker, fiscal_year, metric, value, unit``; source
        columns (``source_title, source_url, quote, data_quality, report_edition, basis, scope_note``) are kept.
        Default: the bundled ``data/disclosures.csv``.
    companies : DataFrame, optional
        The universe (default: :func:`load_companies`); tickers must be in it.
    check_universe : bool, default True
        If False, tickers are not checked against the universe.

    Returns
    -------
    DataFrame
        n_figures x 19: the :data:`~esglib.inputs.DISCLOSURE_COLUMNS` with ``value`` and ``unit`` in canonical
        units (the figure as given is kept in ``reported_value``/``reported_unit``), ``fiscal_year`` and
        ``data_quality`` as int, plus ``source_file`` and ``source_row`` (line of the figure in its file).

    Raises
    ------
    DataValidationError
        Listing every problem: missing columns, unknown metric, unit that does not fit the metric, PUE below 1,
        percentages outside 0..100, negative volumes, non-numeric values, years outside 1990..next year,
        tickers not in the universe, conflicting duplicates, figures without a source.
    """
    if companies is None and check_universe:
        companies = load_companies()
    table = read_table(path or _default("disclosures.csv"))
    return validate_disclosures(table, companies if check_universe else None)


# --------------------------------------------------------------------------------------------- macro
def load_macro(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load the macro series (IEA data-centre electricity, US share, water, average PUE, carbon prices...).

    Returns
    -------
    DataFrame
        Long format: ``series, region, year, value, unit, source_title, source_url, quote, data_quality, note``.
        Rows whose note says "Do not use" are dropped.
    """
    table = read_table(path or _default("macro.csv"))
    require_columns(table, ("series", "region", "year", "value", "unit", "source_title", "source_url"))
    df = table.frame.copy()
    df["value"] = _parse_numbers(df["value"])
    df["year"] = _parse_numbers(df["year"]).astype("Int64")
    df["data_quality"] = _parse_numbers(df.get("data_quality", pd.Series("", index=df.index))).astype("Int64")
    bad = df["value"].isna()
    if bad.any():
        raise DataValidationError([table.problem(i, "value", "value is not a number", table.frame.at[i, "value"])
                                   for i in df.index[bad]])
    dont = df.get("note", pd.Series("", index=df.index)).str.contains("do not use", case=False)
    return df.loc[~dont].reset_index(drop=True)


# --------------------------------------------------------------------------------------------- selection
#: Preferred ``basis`` per metric (lower = preferred). Anything else ranks after these.
BASIS_PREFERENCE: dict[str, tuple[str, ...]] = {
    "pue": ("", "operational"),
    "wue_l_per_kwh": ("", "operational"),
    "total_ghg_tco2e": ("", "market-based"),
    "scope2_market_tco2e": ("market-based", ""),
    "scope2_location_tco2e": ("location-based", ""),
}


def select_figures(disclosures: pd.DataFrame) -> pd.DataFrame:
    """Pick one figure per (ticker, fiscal_year, metric) among canonical metrics, with the rule made visible.

    Choice rule, in order: (1) the preferred basis for the metric (operational PUE/WUE over design values,
    the standard total over alternative bases); (2) not superseded: the newest ``report_edition`` wins
    (restatements); (3) the better ``data_quality`` (1 best); (4) a company-wide boundary over a
    data-centre-only one; (5) file order.

    Parameters
    ----------
    disclosures : DataFrame
        Output of :func:`load_disclosures` (not modified).

    Returns
    -------
    DataFrame
        One row per (ticker, fiscal_year, metric) with the chosen figure's columns plus ``n_candidates`` and
        ``choice`` (why it won when there was a choice, else "only figure").
    """
    d = disclosures[disclosures["metric"].isin(list(METRICS))].copy()
    basis = d["basis"].fillna("").astype(str)
    pref = np.full(len(d), 9, dtype=np.int64)
    for metric, order in BASIS_PREFERENCE.items():
        m = (d["metric"] == metric).to_numpy()
        for rank, b in enumerate(order):
            pref[m & (basis == b).to_numpy()] = rank
    generic = ~d["metric"].isin(list(BASIS_PREFERENCE)).to_numpy()
    pref[generic & (basis != "design").to_numpy()] = 0
    d["_basis_rank"] = pref
    note = d["scope_note"].fillna("").astype(str).str.lower()
    d["_superseded"] = note.str.contains("superseded").astype(int)
    d["_edition"] = -d["report_edition"].astype("Float64").fillna(0).astype(float)
    d["_dc_only"] = note.str.startswith("data centre").astype(int)
    d["_order"] = np.arange(len(d))
    d = d.sort_values(["ticker", "fiscal_year", "metric", "_basis_rank", "_superseded", "_edition", "data_quality",
                       "_dc_only", "_order"])
    keys = ["ticker", "fiscal_year", "metric"]
    d["n_candidates"] = d.groupby(keys)["value"].transform("size")
    first = ~d.duplicated(keys, keep="first")
    chosen = d[first].copy()
    chosen["choice"] = np.where(chosen["n_candidates"] > 1,
                                "preferred basis > latest edition > best data quality > company-wide boundary",
                                "only figure")
    return chosen.drop(columns=["_basis_rank", "_superseded", "_edition", "_dc_only", "_order"]).reset_index(drop=True)


def publication_dates(companies: pd.DataFrame, fiscal_years: pd.Series | np.ndarray,
                      tickers: pd.Series | np.ndarray, lag_days: int = DEFAULT_PUBLICATION_LAG_DAYS) -> pd.Series:
    """Date from which a (ticker, fiscal_year) disclosure counts as public.

    Fiscal year Y of a company with year end MM-DD ends on Y-MM-DD (NVIDIA FY2025 ends 2025-01-31); the
    disclosure is assumed public ``lag_days`` later.

    Returns
    -------
    Series of datetime64, aligned with the inputs.
    """
    fye = pd.Series(np.asarray(tickers)).map(companies.set_index("ticker")["fiscal_year_end"]).fillna("12-31")
    years = pd.Series(np.asarray(fiscal_years)).astype(int).astype(str)
    ends = pd.to_datetime(years + "-" + fye, format="%Y-%m-%d", errors="coerce")
    return ends + pd.Timedelta(days=lag_days)


def available_as_of(disclosures: pd.DataFrame, companies: pd.DataFrame, as_of: str | pd.Timestamp,
                    lag_days: int = DEFAULT_PUBLICATION_LAG_DAYS) -> pd.DataFrame:
    """Keep only figures public on ``as_of`` (point in time, no look-ahead).

    A figure for fiscal year Y is usable from fiscal-year end + ``lag_days``. Where a ``report_edition`` is
    given, a restated figure is usable only from 30 June of its edition year at the earliest (so a 2025 restatement
    of a 2023 figure cannot be used in 2024). Targets follow the same rule as every other figure (usable
    ``lag_days`` after the end of the fiscal year they were stated in), which never looks ahead.

    Returns
    -------
    DataFrame
        The rows of ``disclosures`` usable on ``as_of`` (a copy; input not modified).
    """
    as_of = pd.Timestamp(as_of)
    pub = publication_dates(companies, disclosures["fiscal_year"].to_numpy(), disclosures["ticker"].to_numpy(),
                            lag_days)
    edition = pd.to_datetime(disclosures["report_edition"].astype("Float64").astype("Int64").astype(str)
                             .replace("<NA>", None) + "-06-30", errors="coerce")
    usable = pub.to_numpy() <= as_of.to_datetime64()
    ed = edition.to_numpy()
    usable &= np.isnat(ed) | (ed <= as_of.to_datetime64())
    return disclosures.loc[usable].copy()
