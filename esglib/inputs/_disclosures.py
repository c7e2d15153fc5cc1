"""Load and validate the company universe, the cited disclosures and the macro series.

Public functions return long-format pandas frames in canonical units; they never modify their input.
Validation is lazy: every problem in a file is reported at once, each naming file, row, column, rule and value.
Each rule is a vectorised mask over the whole table (lookups once per distinct metric, unit or pair); a message is
built only for a failing row, so a valid million-row file costs a few array passes.
"""

from __future__ import annotations

import datetime as _dt
import os

import numpy as np
import pandas as pd

from esglib.errors import ConfigError, DataValidationError, Problem
from esglib.inputs._readers import Table, read_table, require_columns
from esglib.inputs._schema import (
    DISCLOSURE_COLUMNS,
    METRICS,
    MIN_YEAR,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    is_known_metric,
)
from esglib.inputs._units import CANONICAL_UNIT, factor_to_canonical, reported_currency
from esglib.vocabulary import DEFAULT_PUBLICATION_LAG_DAYS

__all__ = [
    "PEER_GROUPS", "load_companies", "load_disclosures", "validate_disclosures", "load_macro", "select_figures",
    "publication_dates", "figure_publication", "available_as_of", "data_as_of", "DEFAULT_PUBLICATION_LAG_DAYS",
]


PEER_GROUPS = ("hyperscaler_cloud", "semiconductors", "hardware", "datacenter_reit", "ai_cloud_miners",
               "power_utilities")
COMPANY_COLUMNS = ("ticker", "company", "peer_group", "country", "yahoo_ticker", "fiscal_year_end",
                   "disclosure_search")
#: Days after fiscal-year end before a year's disclosures count as public (sustainability reports typically
#: appear 4 to 7 months after year end; we assume the later end so a backtest never looks ahead).
_NUMBER_OK = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def _required(path: str | os.PathLike[str] | None, what: str) -> str | os.PathLike[str]:
    """``path``, or a ConfigError naming it: the library never falls back to the bundled files."""
    if path is None or (isinstance(path, str) and not path.strip()):
        raise ConfigError(f"`path` is required: give the {what} file to load (esglib.bundled.{what}() gives the "
                          f"bundled data/{what}.csv)")
    return path


def data_as_of() -> str:
    """As-of date of the bundled disclosure data (the curation date stated in ``data/README.md``)."""
    return "2026-12-04"


# --------------------------------------------------------------------------------------------- companies
def load_companies(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load the company universe.

    Parameters
    ----------
    path : path-like
        CSV/XLSX with columns ``ticker, company, peer_group`` (and optionally ``country, yahoo_ticker,
        fiscal_year_end, disclosure_search``). Required: :func:`esglib.bundled.companies` gives the bundled
        ``data/companies.csv``.

    Returns
    -------
    DataFrame
        One row per company (n_companies x 7), indexed 0..n-1, ``ticker`` unique.

    Raises
    ------
    ConfigError
        ``path`` is not given.
    DataValidationError
        Missing columns, blank or duplicate tickers, unknown peer groups, bad fiscal-year ends.
    """
    table = read_table(_required(path, "companies"))
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
        problems.append(table.problem(i, "fiscal_year_end", "fiscal_year_end must be MM-DD",
                                      df.at[i, "fiscal_year_end"]))
    if problems:
        raise DataValidationError(problems)
    return df[list(COMPANY_COLUMNS)].reset_index(drop=True)


# --------------------------------------------------------------------------------------------- disclosures
def _parse_numbers(s: pd.Series) -> pd.Series:
    """Strict numeric parse: '1,234', '12%', 'n/a' and blanks become NaN (reported by the caller)."""
    ok = s.str.fullmatch(_NUMBER_OK).fillna(False).astype(bool)
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(s.where(ok, "0").to_numpy(dtype=object), type=pa.string()) if not hasattr(
            s.array, "_pa_array") else pc.if_else(pa.array(ok.to_numpy()), s.array._pa_array, "0")
        values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        out = pd.Series(np.where(ok.to_numpy(), values, np.nan), index=s.index, dtype="float64")
    except Exception:  # pragma: no cover - pyarrow missing or a cast it refuses: pandas does the same parse
        out = pd.to_numeric(s.where(ok), errors="coerce").astype("float64")
    return out


def _bound_rule(metric: str, value: float) -> str | None:
    spec = METRICS.get(metric)
    if spec is None or not np.isfinite(value):
        return None
    if spec.family == "flag" and value not in (0.0, 1.0):
        return f"{metric} {value:g} must be 0 or 1 (a yes/no flag)"
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


def _out_of_bounds(metric: str, v: np.ndarray) -> np.ndarray:
    """Mask of the values :func:`_bound_rule` refuses (vectorised; the message is built only for these)."""
    spec = METRICS[metric]
    bad = np.zeros(len(v), dtype=bool)
    with np.errstate(invalid="ignore"):
        if spec.family == "flag":
            bad |= ~np.isin(v, [0.0, 1.0])
        if metric == "pue":
            bad |= v < 1
        if spec.family == "percent":
            bad |= (v < 0) | (v > (spec.upper if spec.upper is not None else 100))
        if spec.lower is not None:
            bad |= (v < spec.lower) | ((v <= spec.lower) if spec.lower_strict else False)
        if spec.upper is not None:
            bad |= v > spec.upper
    return bad & np.isfinite(v)


def _codes(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer code per row and the distinct values (NaN gets -1): group and look up by code, not by string."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return codes, pd.Index(uniques)


def validate_disclosures(table: Table, companies: pd.DataFrame | None = None, max_year: int | None = None
                         ) -> pd.DataFrame:
    """Validate a disclosures :class:`~esglib.inputs.Table` and return the canonical frame.

    See :func:`load_disclosures` for the rules. Every check is a vectorised mask over the whole table (unit
    factors and metric lookups once per distinct value); a message is built only for a failing row.
    """
    require_columns(table, REQUIRED_COLUMNS)
    max_year = max_year or _dt.date.today().year + 1
    df = table.frame.copy()
    for col in OPTIONAL_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    index = df.index.to_numpy()
    found: list[tuple[int, int, str | None, str, object]] = []  # (position, rule order, column, rule, value)

    def add(mask: np.ndarray, order: int, column: str | None, rule, value: pd.Series | None) -> None:
        pos = np.flatnonzero(mask)
        if not len(pos):
            return
        vals = [None] * len(pos) if value is None else value.to_numpy(dtype=object)[pos]
        rules = [rule] * len(pos) if isinstance(rule, str) else rule(pos)
        found.extend(zip(pos.tolist(), [order] * len(pos), [column] * len(pos), rules, vals, strict=True))

    df["ticker"] = df["ticker"].str.upper()
    df["metric"] = df["metric"].str.strip()
    # canonical metric names are lower-case; accept "PUE" or "Scope1_tCO2e" as typed by people
    m_codes, m_uniques = _codes(df["metric"])
    lowered = [str(m).lower() for m in m_uniques]
    fixed = pd.Index([lo if lo in METRICS else m for m, lo in zip(m_uniques, lowered, strict=True)])
    if not fixed.equals(m_uniques):
        df["metric"] = pd.Series(np.asarray(fixed, dtype=object)[m_codes], index=df.index, dtype=df["metric"].dtype)
        m_codes, m_uniques = _codes(df["metric"])
    metric_names = [str(m) for m in m_uniques]
    spec_of = [METRICS.get(m) for m in metric_names]
    is_canon_u = np.array([s is not None for s in spec_of], dtype=bool)
    known_u = np.array([is_known_metric(m) for m in metric_names], dtype=bool)
    canonical = is_canon_u[m_codes]
    # numbers: strict parse, every failure named
    df["value_raw"] = df["value"]
    df["fiscal_year_raw"] = df["fiscal_year"]
    df["data_quality_raw"] = df["data_quality"]
    value = _parse_numbers(df["value"])
    v_nan = value.isna().to_numpy()
    blank_value = (df["value"] == "").to_numpy()
    add(v_nan & blank_value, 0, "value", "value is blank", df["value"])
    add(v_nan & ~blank_value, 0, "value", "value is not a plain number (no thousands separators, % signs or text)",
        df["value"])
    v = value.to_numpy()
    infinite = ~v_nan & ~np.isfinite(v)  # e.g. '1e999' parses to inf
    add(infinite, 1, "value", "value is not a finite number", df["value"])
    v = np.where(infinite, np.nan, v)
    fy = _parse_numbers(df["fiscal_year"])
    fyv = fy.to_numpy()
    bad_fy = np.isnan(fyv) | (fyv != np.floor(fyv))
    add(bad_fy, 2, "fiscal_year", "fiscal_year must be a whole year such as 2024", df["fiscal_year"])
    dq = _parse_numbers(df["data_quality"].replace("", "4"))
    add(dq.isna().to_numpy(), 3, "data_quality", "data_quality must be 1, 2, 3 or 4", df["data_quality"])
    ed_raw = df["report_edition"]
    ed = _parse_numbers(ed_raw.str.replace(r"\.0$", "", regex=True))
    edv = ed.to_numpy()
    ed_given = (ed_raw != "").to_numpy()
    add(np.isnan(edv) & ed_given, 4, "report_edition", "report_edition must be a year or blank", ed_raw)
    with np.errstate(invalid="ignore"):
        bad_ed = ~np.isnan(edv) & ((edv != np.floor(edv)) | (edv < MIN_YEAR) | (edv > max_year))
    add(bad_ed, 4, "report_edition", f"report_edition must be a whole year within {MIN_YEAR}..{max_year} or blank",
        ed_raw)
    fyv = np.where(bad_fy, np.nan, fyv)
    edv = np.where(bad_ed, np.nan, edv)
    if "published_on" in df.columns:  # publication date of the figure's source: ISO date, never after today
        # (an Excel date cell reads back as "YYYY-MM-DD 00:00:00": the same day)
        pub_text = df["published_on"].astype(str).str.strip().str.replace(
            r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00$", r"\1", regex=True)
        published = pd.to_datetime(pub_text.where(pub_text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False)),
                                   format="%Y-%m-%d", errors="coerce")
        add((published.isna() & (pub_text != "")).to_numpy(), 4, "published_on",
            "published_on must be an ISO date YYYY-MM-DD or blank", df["published_on"])
        today = pd.Timestamp(_dt.date.today())
        add((published.notna() & (published > today)).to_numpy(), 4, "published_on",
            f"published_on is after today ({today.date()}): a figure cannot have been published in the future",
            df["published_on"])
        df["published_on"] = published
    # units: canonical metrics are converted (one factor per distinct (metric, unit) pair); other: metrics keep
    # the unit as given
    u_codes, u_uniques = _codes(df["unit"])
    pair = m_codes.astype(np.int64) * (len(u_uniques) + 1) + u_codes
    pairs, pair_inv = np.unique(pair, return_inverse=True)
    pair_factor = np.empty(len(pairs))
    for j, pcode in enumerate(pairs):
        spec = spec_of[pcode // (len(u_uniques) + 1)]
        f = factor_to_canonical(u_uniques[pcode % (len(u_uniques) + 1)], spec.family) if spec is not None else 1.0
        pair_factor[j] = np.nan if f is None else f
    factors = pair_factor[pair_inv.reshape(-1)]
    with np.errstate(over="ignore", invalid="ignore"):
        vc = v * factors
    unit_ok = ~(canonical & np.isnan(factors))
    overflow = np.isfinite(v) & np.isinf(vc)  # finite as given, infinite in the canonical unit
    canon_unit_u = np.array([CANONICAL_UNIT[s.family] if s is not None else "" for s in spec_of], dtype=object)
    pair_unit = np.array([canon_unit_u[pcode // (len(u_uniques) + 1)] for pcode in pairs], dtype=object)
    for j, pcode in enumerate(pairs):
        spec = spec_of[pcode // (len(u_uniques) + 1)]
        if spec is not None and spec.family == "currency_reported":  # "<ISO> millions": the code as given
            iso = reported_currency(u_uniques[pcode % (len(u_uniques) + 1)])
            pair_unit[j] = f"{iso} millions" if iso else pair_unit[j]
    row_unit = pair_unit[pair_inv.reshape(-1)]
    add(overflow, 5, "value", lambda pos: [f"value is not a finite number after conversion to {row_unit[i]}"
                                           for i in pos], df["value_raw"])
    vc = np.where(overflow, np.nan, vc)
    # declarative rules: masks over the whole table, in the order the messages were always listed
    if companies is not None:
        add(~df["ticker"].isin(set(companies["ticker"])).to_numpy(), 6, "ticker", "ticker is not in the companies "
            "table", df["ticker"])
    add((df["ticker"].str.len() == 0).to_numpy(), 7, "ticker", "ticker is blank", None)
    with np.errstate(invalid="ignore"):
        add(~np.isnan(fyv) & ((fyv < MIN_YEAR) | (fyv > max_year)), 8, "fiscal_year",
            f"fiscal_year outside {MIN_YEAR}..{max_year}", df["fiscal_year_raw"])
    dqv = dq.to_numpy()
    add(~np.isnan(dqv) & ~np.isin(dqv, [1.0, 2.0, 3.0, 4.0]), 9, "data_quality", "data_quality must be 1, 2, 3 or 4",
        df["data_quality_raw"])
    add(~known_u[m_codes], 10, "metric", f"unknown metric (use a canonical metric or 'other:<name>'; canonical: "
                                         f"{', '.join(sorted(METRICS)[:6])}, ...)", df["metric"])
    add(~unit_ok, 11, "unit", lambda pos: [
        f"unit does not fit metric {metric_names[m_codes[i]]} (expected {spec_of[m_codes[i]].family} units such "
        f"as {CANONICAL_UNIT[spec_of[m_codes[i]].family]})" for i in pos], df["unit"])
    bounds = np.zeros(len(df), dtype=bool)
    for j in np.flatnonzero(is_canon_u):
        rows = m_codes == j
        bounds[rows] = _out_of_bounds(metric_names[j], vc[rows])
    add(bounds, 12, "value", lambda pos: [_bound_rule(metric_names[m_codes[i]], vc[i]) for i in pos],
        df["value_raw"])
    add(canonical & (df["source_title"] == "").to_numpy() & (df["source_url"] == "").to_numpy(), 13,
        "source_title", "every disclosed figure needs its source (source_title or source_url)",
        pd.Series("", index=df.index))
    df["fiscal_year"] = fyv
    df["data_quality"] = dq.to_numpy()
    df["report_edition"] = edv
    df["value_canonical"] = vc
    # conflicting duplicates: same figure identity, different values (grouped on integer codes; NaN keys such
    # as an unparseable year group together)
    ok_rows = np.flatnonzero(~np.isnan(vc))
    if len(ok_rows):
        key = ["ticker", "fiscal_year", "metric", "basis", "scope_note", "report_edition", "source_url"]
        sub = df.iloc[ok_rows]
        codes = [_codes(sub[k])[0] for k in key]
        vals = pd.Series(vc[ok_rows])
        grouped = vals.groupby(codes, sort=False, dropna=False)
        size = grouped.transform("size").to_numpy()
        if (size > 1).any():
            n_values = grouped.transform("nunique").to_numpy()
            first_value = grouped.transform("first").to_numpy()
            first_row = pd.Series(ok_rows).groupby(codes, sort=False, dropna=False).transform("first").to_numpy()
            conflict = np.zeros(len(df), dtype=bool)
            first_of = np.zeros(len(df), dtype=np.int64)
            hit = (n_values > 1) & (vc[ok_rows] != first_value)  # a repeat of the first value is no conflict
            conflict[ok_rows[hit]] = True
            first_of[ok_rows] = first_row
            add(conflict, 14, "value", lambda pos: [
                f"conflicting duplicate: same ticker, year, metric, basis and source as row "
                f"{table.row_number(index[first_of[i]])} but a different value" for i in pos], df["value_raw"])
    if found:
        found.sort(key=lambda f: (f[0], f[1]))
        problems = [table.problem(index[pos], column, rule, value) for pos, _, column, rule, value in found]
        problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        raise DataValidationError(problems)
    out = df
    converted = canonical & (out["unit"].astype(str).to_numpy(dtype=object) != canon_unit_u[m_codes])
    canon_unit = pd.Series(row_unit, index=out.index)
    if converted.any():
        fill = converted & (out["reported_value"] == "").to_numpy()
        out.loc[fill, "reported_value"] = out.loc[fill, "value_raw"]
        fill = converted & (out["reported_unit"] == "").to_numpy()
        out.loc[fill, "reported_unit"] = out.loc[fill, "unit"]
    out["value"] = vc
    out["unit"] = out["unit"].where(~canonical, canon_unit)
    out["fiscal_year"] = out["fiscal_year"].astype("int64")
    out["data_quality"] = out["data_quality"].astype("int64")
    out["report_edition"] = out["report_edition"].astype("Int64")
    if companies is not None:
        blank = out["company"] == ""
        if blank.any():
            names = companies.set_index("ticker")["company"]
            out.loc[blank, "company"] = out.loc[blank, "ticker"].map(names).fillna("")
    if table.lines:
        out["source_row"] = np.asarray(table.lines, dtype=np.int64)[index]
    else:
        out["source_row"] = index.astype(np.int64) + table.header_row + 1
    out["source_file"] = table.file
    return out[[*DISCLOSURE_COLUMNS, "source_file", "source_row"]].reset_index(drop=True)


def load_disclosures(path: str | os.PathLike[str] | None = None, companies: pd.DataFrame | None = None,
                     *, check_universe: bool = True, max_rows: int | None = None) -> pd.DataFrame:
    """Load and validate disclosures (one row per disclosed figure, long format).

    Parameters
    ----------
    path : path-like, optional
        CSV or XLSX (sheet ``Disclosures``) with at least ``ticker, fiscal_year, metric, value, unit``; source
        columns (``source_title, source_url, quote, data_quality, report_edition, basis, scope_note``) are kept.
        Required: :func:`esglib.bundled.disclosures` gives the bundled ``data/disclosures.csv``.
    companies : DataFrame
        The universe (:func:`load_companies`); tickers must be in it. Required unless ``check_universe`` is
        False.
    check_universe : bool, default True
        If False, tickers are not checked against the universe.
    max_rows : int, optional
        Most data rows read from a CSV file (default :data:`esglib.inputs.MAX_ROWS`, 500,000; raise it for a
        bigger file).

    Returns
    -------
    DataFrame
        n_figures x 19: the :data:`~esglib.inputs.DISCLOSURE_COLUMNS` with ``value`` and ``unit`` in canonical
        units (the figure as given is kept in ``reported_value``/``reported_unit``), ``fiscal_year`` and
        ``data_quality`` as int, plus ``source_file`` and ``source_row`` (line of the figure in its file).

    Raises
    ------
    ConfigError
        ``path`` is not given, or ``companies`` is not given while ``check_universe`` is True.
    DataValidationError
        Listing every problem: missing columns, unknown metric, unit that does not fit the metric, PUE below 1,
        percentages outside 0..100, negative volumes, non-numeric values, years outside 1990..next year,
        tickers not in the universe, conflicting duplicates, figures without a source.
    """
    path = _required(path, "disclosures")
    if companies is None and check_universe:
        raise ConfigError("`companies` is required to check the tickers against the universe (pass the output of "
                          "load_companies, or check_universe=False); esglib.bundled.companies() gives the bundled one")
    table = read_table(path, max_rows=max_rows)
    return validate_disclosures(table, companies if check_universe else None)


# --------------------------------------------------------------------------------------------- macro
def load_macro(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load the macro series (IEA data-centre electricity, US share, water, average PUE, carbon prices...).

    Parameters
    ----------
    path : path-like
        CSV/XLSX of macro series. Required: :func:`esglib.bundled.macro` gives the bundled ``data/macro.csv``.

    Returns
    -------
    DataFrame
        Long format: ``series, region, year, value, unit, source_title, source_url, quote, data_quality, note``.
        Rows whose note says "Do not use" are dropped.

    Raises
    ------
    ConfigError
        ``path`` is not given.
    """
    table = read_table(_required(path, "macro"))
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
    # Work on the key columns only (integer codes where possible) and take the chosen rows from the full frame
    # once: reordering a frame of many text columns is the expensive part.
    m_codes, m_uniques = pd.factorize(disclosures["metric"], sort=True)
    canon = np.isin(m_codes, np.flatnonzero(np.asarray(m_uniques.isin(list(METRICS)))))
    rows = np.flatnonzero(canon)
    mt = m_codes[rows]
    metric = np.asarray(m_uniques, dtype=object)
    basis = disclosures["basis"].iloc[rows].fillna("").astype(str)
    pref = np.full(len(rows), 9, dtype=np.int64)
    for name, order in BASIS_PREFERENCE.items():
        hit = np.flatnonzero(metric == name)
        m = (mt == hit[0]) if len(hit) else np.zeros(len(rows), dtype=bool)
        for rank, b in enumerate(order):
            pref[m & (basis == b).to_numpy()] = rank
    generic = ~np.isin(metric, list(BASIS_PREFERENCE))[mt] if len(rows) else np.zeros(0, dtype=bool)
    pref[generic & (basis != "design").to_numpy()] = 0
    note = disclosures["scope_note"].iloc[rows].fillna("").astype(str).str.lower()
    superseded = note.str.contains("superseded").to_numpy(dtype=bool).astype(int)
    edition = -disclosures["report_edition"].iloc[rows].astype("Float64").fillna(0).to_numpy(dtype=float)
    dc_only = note.str.startswith("data centre").to_numpy(dtype=bool).astype(int)
    quality = disclosures["data_quality"].iloc[rows].to_numpy()
    # sort on integer codes (factorize(sort=True) keeps the strings' order): the order sorting the strings gives
    tk = pd.factorize(disclosures["ticker"].iloc[rows], sort=True)[0]
    fy = pd.factorize(disclosures["fiscal_year"].iloc[rows], sort=True)[0]
    # one int64 key per row, (ticker, year, metric) then the tie-breakers, each as a dense sorted code; a stable
    # argsort of it keeps file order among full ties: the order of a lexicographic sort on all the columns
    parts = [pd.factorize(part, sort=True) for part in (tk, fy, mt, pref, superseded, edition, quality, dc_only)]
    if np.prod([float(max(len(u), 1)) for _, u in parts]) < 2.0**62:
        key = np.zeros(len(rows), dtype=np.int64)
        for codes, uniq in parts:
            key = key * max(len(uniq), 1) + codes
        order = np.argsort(key, kind="stable")
    else:  # (too many distinct values to pack in 64 bits)
        order = np.lexsort([codes for codes, _ in reversed(parts)])
    tk, fy, mt = tk[order], fy[order], mt[order]
    start = np.ones(len(order), dtype=bool)
    start[1:] = (tk[1:] != tk[:-1]) | (fy[1:] != fy[:-1]) | (mt[1:] != mt[:-1])
    group = np.cumsum(start) - 1
    n_candidates = np.bincount(group)[group] if len(order) else np.zeros(0, dtype=np.int64)
    chosen = disclosures.iloc[rows[order[start]]].copy()
    chosen["n_candidates"] = n_candidates[start].astype(np.int64)
    chosen["choice"] = np.where(chosen["n_candidates"] > 1,
                                "preferred basis > latest edition > best data quality > company-wide boundary",
                                "only figure")
    return chosen.reset_index(drop=True)


def publication_dates(companies: pd.DataFrame, fiscal_years: pd.Series | np.ndarray,
                      tickers: pd.Series | np.ndarray, lag_days: int = DEFAULT_PUBLICATION_LAG_DAYS) -> pd.Series:
    """Date from which a (ticker, fiscal_year) disclosure counts as public.

    Fiscal year Y of a company with year end MM-DD ends on Y-MM-DD (NVIDIA FY2025 ends 2025-01-31); the
    disclosure is assumed public ``lag_days`` later.

    Returns
    -------
    Series of datetime64, aligned with the inputs.
    """
    if "fiscal_year_end" in companies.columns:
        ends = companies.drop_duplicates("ticker").set_index("ticker")["fiscal_year_end"].replace("", None)
        fye = pd.Series(np.asarray(tickers)).map(ends).fillna("12-31")
    else:  # a universe without year ends: calendar years
        fye = pd.Series("12-31", index=range(len(tickers)))
    years = np.asarray(pd.Series(np.asarray(fiscal_years)).astype(int), dtype=np.int64)
    # parse each distinct (year end, fiscal year) once: a large file has millions of rows but few such pairs
    fye_codes, fye_uniques = pd.factorize(fye, use_na_sentinel=False)
    pair = fye_codes.astype(np.int64) * 100_000 + (years - years.min() if len(years) else years)
    uniq, inverse = np.unique(pair, return_inverse=True)
    text = [f"{y}-{fye_uniques[c // 100_000]}" for c, y in
            zip(uniq, (uniq % 100_000) + (years.min() if len(years) else 0), strict=True)]
    parsed = pd.to_datetime(pd.Series(text, dtype=object), format="%Y-%m-%d", errors="coerce").to_numpy()
    return pd.Series(parsed[inverse.reshape(-1)]) + pd.Timedelta(days=lag_days)


def figure_publication(disclosures: pd.DataFrame, companies: pd.DataFrame,
                       lag_days: int = DEFAULT_PUBLICATION_LAG_DAYS) -> pd.DataFrame:
    """Date from which each disclosure row is known, and whether that date is an estimate.

    A row is known from its ``published_on`` (the publication date of its source). A row without one is assumed
    public ``lag_days`` (default 365) after the end of its fiscal year, the conservative default of
    ``docs/methodology.md`` section 1 (sustainability reports appear 3-8 months after year end, so the default can only
    delay a figure); an undated restatement (``report_edition`` E) is known no earlier than 30 June of E.

    Returns
    -------
    DataFrame
        Aligned with ``disclosures``: ``known_from`` (datetime64) and ``published_on_estimated`` (bool).
    """
    est = publication_dates(companies, disclosures["fiscal_year"].to_numpy(), disclosures["ticker"].to_numpy(),
                            lag_days)
    edition = pd.to_datetime(disclosures["report_edition"].astype("Float64").astype("Int64").astype(str)
                             .replace("<NA>", None) + "-06-30", errors="coerce")
    est = pd.Series(np.where(edition.notna().to_numpy() & (edition.to_numpy() > est.to_numpy()), edition.to_numpy(),
                             est.to_numpy()), index=disclosures.index)
    if "published_on" in disclosures.columns:
        given = pd.to_datetime(disclosures["published_on"].replace("", None), errors="coerce")
    else:
        given = pd.Series(pd.NaT, index=disclosures.index)
    known = given.where(given.notna(), est)
    return pd.DataFrame({"known_from": pd.to_datetime(known), "published_on_estimated": given.isna().to_numpy()},
                        index=disclosures.index)


def available_as_of(disclosures: pd.DataFrame, companies: pd.DataFrame, as_of: str | pd.Timestamp,
                    lag_days: int = DEFAULT_PUBLICATION_LAG_DAYS) -> pd.DataFrame:
    """Keep only figures public on ``as_of`` (point in time, no look-ahead).

    A figure is usable from its ``published_on``; a figure without one from fiscal-year end + ``lag_days``
    (default 365, the conservative default), and an undated restatement no earlier than 30 June of its edition year
    (:func:`figure_publication`).

    Returns
    -------
    DataFrame
        The rows of ``disclosures`` usable on ``as_of`` (a copy; input not modified), with the columns
        ``known_from`` and ``published_on_estimated`` added.
    """
    as_of = pd.Timestamp(as_of)
    pub = figure_publication(disclosures, companies, lag_days)
    usable = (pub["known_from"] <= as_of).to_numpy()
    out = disclosures.loc[usable].copy()
    out["known_from"] = pub["known_from"][usable]
    out["published_on_estimated"] = pub["published_on_estimated"][usable]
    return out
