"""Validation of daily price rows (one problem per failing row and rule)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from esglib.errors import Problem
from esglib.market._symbols import DEFAULT_MAX_GAP_DAYS, MAX_GAP_DAYS, PRICE_COLUMNS, _calendar_of

__all__ = ['validate_price_rows']


# --------------------------------------------------------------------------------------------- validation
def _ticker_codes(tickers: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer code per row (-1 for a blank ticker) and the names the codes stand for."""
    if isinstance(tickers.dtype, pd.CategoricalDtype):
        codes = tickers.cat.codes.to_numpy(dtype="int64", copy=True)
        names = [str(c).strip().upper() for c in tickers.cat.categories]
    else:
        codes, uniq = pd.factorize(tickers.astype("string").str.strip().str.upper())
        codes = np.asarray(codes, dtype="int64")
        names = [str(u) for u in uniq]
    blank = [i for i, nm in enumerate(names) if nm in ("", "<NA>", "NAN")]
    if blank:
        codes[np.isin(codes, blank)] = -1
    return codes, names


def validate_price_rows(frame: pd.DataFrame, file: str = "<frame>", *, calendar: bool = True,
                        max_gap_days: dict[str, int] | None = None) -> list[Problem]:
    """Check long-format daily price rows; return every problem found (empty list when clean).

    Parameters
    ----------
    frame : DataFrame
        Long format, n_rows x >= 6: ``date`` (datetime64), ``ticker`` (str), ``open, high, low, close``
        (float, listing currency per share) and optionally ``volume``. Not modified.
    file : str
        Name used in the problems.
    calendar : bool, default True
        Also flag trading days missing inside a ticker's range when at least half of the other listings of the
        same market (three or more listings) traded that day.
    max_gap_days : dict, optional
        Market -> most calendar days allowed between consecutive rows (default :data:`MAX_GAP_DAYS`; other
        markets 10).

    Returns
    -------
    list of Problem
        ``row`` is the 1-based data row (the first row of a Parquet file is row 1; Parquet has no header line).

    Notes
    -----
    Rules: required columns present; date and ticker present; no duplicate (ticker, date); every price present
    (a missing price inside a range is a gap) and > 0; no more than ``max_gap_days`` calendar days between
    consecutive rows of a ticker; no trading day of the ticker's market calendar missing inside its range.
    """
    missing = [c for c in ("date", "ticker", *PRICE_COLUMNS) if c not in frame.columns]
    if missing:
        return [Problem(file, None, c, "required column is missing") for c in missing]
    limits = {**MAX_GAP_DAYS, **(max_gap_days or {})}
    problems: list[Problem] = []
    raw_dates = frame["date"]
    if not pd.api.types.is_datetime64_any_dtype(raw_dates):
        raw_dates = pd.to_datetime(raw_dates, errors="coerce")
    dates = raw_dates.to_numpy(dtype="datetime64[ns]")
    codes, names = _ticker_codes(frame["ticker"])

    def label(code: int) -> str:
        return names[code] if code >= 0 else "?"

    for i in np.flatnonzero(np.isnat(dates)):
        problems.append(Problem(file, int(i) + 1, "date", "date is missing or not a date", frame["date"].iloc[i]))
    for i in np.flatnonzero(codes < 0):
        problems.append(Problem(file, int(i) + 1, "ticker", "ticker is blank"))
    for col in PRICE_COLUMNS:
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        for i in np.flatnonzero(np.isnan(values)):
            problems.append(Problem(file, int(i) + 1, col,
                                    f"gap: {col} price is missing for {label(codes[i])} on {_np_day(dates[i])}"))
        for i in np.flatnonzero(values <= 0):
            problems.append(Problem(file, int(i) + 1, col,
                                    f"{col} price must be positive ({label(codes[i])} on {_np_day(dates[i])})",
                                    float(values[i])))
    ok = np.flatnonzero(~np.isnat(dates) & (codes >= 0))
    order = _sorted_order(codes, dates, ok)
    c, d, rows = codes[order], dates[order], order + 1
    if len(order) > 1:
        same = c[1:] == c[:-1]
        dup = np.concatenate([[False], same & (d[1:] == d[:-1])])
        if dup.any():
            group_start = np.maximum.accumulate(np.where(dup, 0, np.arange(len(c))))
            for i in np.flatnonzero(dup):
                problems.append(Problem(file, int(rows[i]), "date",
                                        f"duplicate date for {label(c[i])} (same date as row {rows[group_start[i]]})",
                                        _np_day(d[i])))
            keep = ~dup
            c, d, rows = c[keep], d[keep], rows[keep]
            same = c[1:] == c[:-1]
        market_of = np.array([_calendar_of(nm) if nm else "" for nm in names] or [""], dtype=object)
        market = market_of[c]
        flagged = np.zeros(len(c), dtype=bool)
        if calendar:
            for mkt in np.unique(market):
                idx = np.flatnonzero(market == mkt)
                if len(np.unique(c[idx])) < 3:
                    continue
                cal = _majority_calendar(c[idx], d[idx])
                pair = (idx[1:] - idx[:-1] == 1) & same[idx[:-1]]
                lo = np.searchsorted(cal, d[idx[:-1]], side="right")
                hi = np.searchsorted(cal, d[idx[1:]], side="left")
                for j in np.flatnonzero(pair & (hi > lo)):
                    i = idx[j + 1]
                    flagged[i] = True
                    problems.append(Problem(
                        file, int(rows[i]), "date",
                        f"gap: {hi[j] - lo[j]} {mkt} trading day(s) missing for {label(c[i])} before this row "
                        f"(first missing: {_np_day(cal[lo[j]])}; most other {mkt} listings traded then)",
                        _np_day(d[i])))
        gap = (d[1:] - d[:-1]).astype("timedelta64[D]").astype("int64")
        limit_of = np.array([limits.get(m, DEFAULT_MAX_GAP_DAYS) for m in market_of], dtype="int64")
        limit = limit_of[c[1:]]
        for j in np.flatnonzero(same & (gap > limit) & ~flagged[1:]):
            i = j + 1
            problems.append(Problem(
                file, int(rows[i]), "date",
                f"gap: {gap[j]} calendar days since the previous row ({_np_day(d[j])}) for {label(c[i])}; "
                f"at most {limit[j]} allowed for a {market[i]} listing", _np_day(d[i])))
    problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    return problems


def _sorted_order(codes: np.ndarray, dates: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``rows`` ordered by (code, date, row); skips the sort when already in that order (the usual case)."""
    c, d = codes[rows], dates[rows].view("int64")
    if len(rows) < 2 or bool(np.all((c[1:] > c[:-1]) | ((c[1:] == c[:-1]) & (d[1:] >= d[:-1])))):
        return rows
    return rows[np.lexsort((rows, d, c))]


def _np_day(value: Any) -> str:
    return "NaT" if pd.isna(value) else str(np.datetime64(value, "D"))


def _majority_calendar(codes: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Days on which at least half of the listings alive then (between their first and last row) traded.

    ``codes``/``dates`` are sorted by code then date, without duplicates.
    """
    days, counts = np.unique(dates, return_counts=True)
    starts = np.flatnonzero(np.concatenate([[True], codes[1:] != codes[:-1]]))
    ends = np.concatenate([starts[1:] - 1, [len(codes) - 1]])
    first, last = np.sort(dates[starts]), np.sort(dates[ends])
    alive = np.searchsorted(first, days, side="right") - np.searchsorted(last, days, side="left")
    return days[2 * counts >= alive]
