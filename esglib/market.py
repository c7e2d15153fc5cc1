"""Daily prices: the one way esglib gets market data.

Three sources, one function (:func:`prices`):

``snapshot``
    The bundled real snapshot in ``data/prices/`` (67 tickers, 2018-01-02 .. 2026-05-29, Yahoo Finance data;
    see ``data/prices/README.md``). Always available, validated on load.
``cache``
    Parquet files (one per ticker) in the user cache folder, filled by earlier live fetches.
``yfinance``
    A live fetch through :func:`yfinance.download` (imported lazily, only here).

``source="auto"`` reads the cache, fetches the missing date ranges live when Yahoo is reachable, and otherwise
falls back to what the cache has, then to the snapshot. Every fallback is announced with a
:class:`MarketDataWarning` that names the as-of date the data falls back to; nothing is silent.

Prices are in the listing's own currency per share. Two bundled listings trade in KRW (``005930.KS``,
``000660.KS``); the rest in USD. There is no bundled FX series, so mixing currencies in one frame is refused
unless ``allow_mixed_currency=True``.

The cache folder is ``platformdirs.user_cache_dir("esglib")`` unless the ``cache_dir`` argument or the
``ESGLIB_CACHE_DIR`` environment variable says otherwise; price files live in its ``prices/`` sub-folder,
market capitalisations in ``market_caps.json``. Set ``ESGLIB_OFFLINE=1`` to make ``auto`` skip live fetches.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import re
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from esglib._io import DATA_DIR, atomic_path, atomic_write_text
from esglib.errors import ConfigError, DataValidationError, MarketDataError, Problem

__all__ = [
    "MarketDataWarning",
    "BENCHMARK_ETFS",
    "DEFAULT_START",
    "SNAPSHOT_DIR",
    "prices",
    "returns",
    "market_caps",
    "snapshot_info",
    "snapshot_as_of",
    "cache_info",
    "refresh_cache",
    "resolve_cache_dir",
    "load_snapshot",
    "snapshot_dividends",
    "validate_price_rows",
    "total_return_index",
]

#: Folder of the bundled snapshot.
SNAPSHOT_DIR = DATA_DIR / "prices"
#: Benchmark ETFs bundled with the snapshot (and refreshed by ``esglib prices refresh`` by default).
BENCHMARK_ETFS = ("SPY", "QQQ", "VTI", "IWM", "XLK", "VGT", "IVV", "VOO", "DIA")
#: First date fetched when ``start`` is not given (the snapshot's first year).
DEFAULT_START = "2018-01-01"
SOURCES = ("auto", "snapshot", "cache", "yfinance")
ADJUSTMENTS = ("total", "split")
FREQUENCIES = {"D": None, "W": "W-FRI", "M": "ME"}
PRICE_COLUMNS = ("open", "high", "low", "close")
#: Longest run of calendar days between consecutive trading days before it counts as a gap. The longest US
#: closure since 1933 (11-17 September 2001) left 7 days between sessions; Korean holiday bundles (Chuseok,
#: Lunar New Year) leave up to 8 in the snapshot.
MAX_GAP_DAYS = {"US": 7, "KRX": 10}
DEFAULT_MAX_GAP_DAYS = 10
#: Currency by Yahoo ticker suffix, for tickers not in the bundled ``symbols.csv``. No suffix means a US listing.
SUFFIX_CURRENCY = {"KS": "KRW", "KQ": "KRW", "T": "JPY", "HK": "HKD", "TW": "TWD", "TWO": "TWD", "L": "GBp",
                   "DE": "EUR", "PA": "EUR", "AS": "EUR", "MI": "EUR", "MC": "EUR", "SW": "CHF", "TO": "CAD",
                   "AX": "AUD", "SS": "CNY", "SZ": "CNY", "NS": "INR", "BO": "INR"}
SUFFIX_MARKET = {"KS": "KRX", "KQ": "KRX"}
CACHE_VERSION = 1
_RATE_LIMIT_PATTERNS = ("YFRateLimitError", "Too Many Requests", "Rate limited", "429")
_NETWORK_PATTERNS = ("DNSError", "Could not resolve", "Failed to perform", "ConnectionError", "ConnectTimeout",
                     "Connection refused", "Network is unreachable", "timed out", "Timeout", "SSLError",
                     "curl: (", "Max retries exceeded", "NameResolution", "Temporary failure in name resolution")
_TICKER_OK = re.compile(r"^[A-Z0-9^][A-Z0-9.\-^=_&]{0,24}$")


class MarketDataWarning(UserWarning):
    """A market-data fallback or gap: the message names what was used instead and its as-of date."""


def _warn(message: str, stacklevel: int = 3) -> None:
    warnings.warn(message, MarketDataWarning, stacklevel=stacklevel)


# --------------------------------------------------------------------------------------------- small helpers
def _normalise_tickers(tickers: str | Iterable[str]) -> list[str]:
    if isinstance(tickers, str):
        tickers = tickers.replace(",", " ").split()
    names: list[str] = []
    for t in tickers:
        if not isinstance(t, str):
            raise ConfigError(f"`tickers` must be strings, got {t!r}")
        name = t.strip().upper()
        if not _TICKER_OK.match(name):
            raise ConfigError(f"`tickers`: {t!r} is not a Yahoo ticker (letters, digits and . - ^ = _ & only)")
        if name not in names:
            names.append(name)
    if not names:
        raise ConfigError("`tickers` is empty: name at least one ticker")
    return names


def _to_day(value: Any, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"`{name}` must be a date such as 2024-01-31, got {value!r}") from exc
    if ts is pd.NaT:
        raise ConfigError(f"`{name}` must be a date such as 2024-01-31, got {value!r}")
    if ts.tzinfo is not None:
        ts = ts.tz_convert(None)
    return ts.normalize()


def _yesterday() -> pd.Timestamp:
    return pd.Timestamp(_dt.datetime.now(_dt.UTC).date()) - pd.Timedelta(days=1)


def _iso(ts: pd.Timestamp | None) -> str | None:
    return None if ts is None or ts is pd.NaT else ts.strftime("%Y-%m-%d")


def _suffix(ticker: str) -> str | None:
    return ticker.rsplit(".", 1)[1] if "." in ticker else None


# --------------------------------------------------------------------------------------------- symbols
_SYMBOLS: dict[str, dict[str, str]] | None = None


def _symbols() -> dict[str, dict[str, str]]:
    """``symbols.csv`` of the snapshot as {ticker: {name, market, currency}} (read once)."""
    global _SYMBOLS
    if _SYMBOLS is None:
        import csv

        path = SNAPSHOT_DIR / "symbols.csv"
        out: dict[str, dict[str, str]] = {}
        if path.exists():
            with open(path, newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    out[row["ticker"].strip().upper()] = {k: (v or "").strip() for k, v in row.items()}
        _SYMBOLS = out
    return _SYMBOLS


def _currency_of(ticker: str) -> str | None:
    row = _symbols().get(ticker)
    if row and row.get("currency"):
        return row["currency"]
    suffix = _suffix(ticker)
    if suffix is None:
        return "USD"
    return SUFFIX_CURRENCY.get(suffix)


def _calendar_of(ticker: str) -> str:
    """Trading calendar group of a ticker: ``KRX`` for Korean listings, ``US`` for US ones, else the suffix."""
    row = _symbols().get(ticker)
    if row and row.get("market"):
        return "KRX" if row["market"] == "KRX" else "US"
    suffix = _suffix(ticker)
    if suffix is None:
        return "US"
    return SUFFIX_MARKET.get(suffix, suffix)


def _check_currencies(names: Sequence[str], allow_mixed: bool) -> dict[str, str | None]:
    cur = {t: _currency_of(t) for t in names}
    known = {c for c in cur.values() if c}
    if len(known) > 1 and not allow_mixed:
        groups = {c: [t for t in names if cur[t] == c] for c in sorted(known)}
        listing = "; ".join(f"{c}: {', '.join(ts)}" for c, ts in groups.items())
        raise ConfigError(
            f"refusing to mix currencies in one price frame ({listing}). esglib has no bundled FX series to convert "
            "them; request each currency separately, or pass allow_mixed_currency=True to get each listing in its own "
            "currency (attrs['currency'] then names the currency of every column)")
    unknown = [t for t, c in cur.items() if c is None]
    if unknown and len(known) >= 1 and len(names) > 1:
        _warn(f"currency of {', '.join(unknown)} is unknown (not in the bundled symbols.csv, unrecognised suffix); "
              "check it matches the other tickers before comparing prices", stacklevel=4)
    return cur


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


# --------------------------------------------------------------------------------------------- snapshot
@dataclass(frozen=True)
class _Series:
    """One ticker's split-adjusted closes and cash dividends (numpy arrays, ascending dates)."""

    dates: np.ndarray  # datetime64[ns]
    close: np.ndarray  # float64, listing currency per share
    div_dates: np.ndarray  # datetime64[ns], ex-dates
    div_amounts: np.ndarray  # float64, cash per share

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> _Series:
        """From a frame indexed by date with ``close`` and ``dividend`` columns."""
        div = frame["dividend"].to_numpy(dtype="float64")
        has = div != 0
        dates = frame.index.to_numpy(dtype="datetime64[ns]")
        return cls(dates, frame["close"].to_numpy(dtype="float64"), dates[has], div[has])


@dataclass(frozen=True)
class _Snapshot:
    rows: pd.DataFrame  # long: date, ticker, open..close (float64), volume; sorted by ticker, date
    dividends: pd.DataFrame  # long: date, ticker, dividend
    as_of: str
    provenance: str
    by_ticker: dict[str, _Series] = field(repr=False)


_SNAPSHOT_MEMO: dict[tuple[Any, ...], _Snapshot] = {}


def _parquet_meta(table: Any) -> dict[str, Any]:
    raw = (table.schema.metadata or {}).get(b"esglib")
    if not raw:
        return {}
    try:
        meta = json.loads(raw)
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _read_parquet(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    frame = table.to_pandas(date_as_object=False)
    return frame, _parquet_meta(table)


def _default_snapshot() -> _Snapshot:
    return _load_snapshot(SNAPSHOT_DIR / "snapshot.parquet", SNAPSHOT_DIR / "dividends.parquet")


def _load_snapshot(path: Path, dividends_path: Path) -> _Snapshot:
    for p in (path, dividends_path):
        if not p.exists():
            raise MarketDataError(f"price snapshot file not found: {p} (the bundled one is rebuilt by "
                                  "data/prices/build_snapshot.py)")
    key = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in (path, dividends_path))
    hit = _SNAPSHOT_MEMO.get(key)
    if hit is not None:
        return hit
    try:
        rows, meta = _read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for unreadable files
        raise DataValidationError(Problem(str(path), None, None, f"not a readable Parquet file ({exc})")) from exc
    try:
        divs, _ = _read_parquet(dividends_path)
    except Exception as exc:
        raise DataValidationError(Problem(str(dividends_path), None, None,
                                          f"not a readable Parquet file ({exc})")) from exc
    problems = validate_price_rows(rows, str(path))
    problems += [Problem(str(dividends_path), None, col, "required column is missing")
                 for col in ("date", "ticker", "dividend") if col not in divs.columns]
    if problems:
        raise DataValidationError(problems)
    amounts = pd.to_numeric(divs["dividend"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    ex_dates = pd.to_datetime(divs["date"], errors="coerce").to_numpy(dtype="datetime64[ns]")
    bad = np.isnan(amounts) | (amounts < 0) | np.isnat(ex_dates)
    if bad.any():
        raise DataValidationError([Problem(str(dividends_path), int(i) + 1, "dividend",
                                           "dividend must be a non-negative number with an ex-date",
                                           divs["dividend"].iloc[i]) for i in np.flatnonzero(bad)])
    codes, names = _ticker_codes(rows["ticker"])
    dates = rows["date"].to_numpy(dtype="datetime64[ns]")
    order = _sorted_order(codes, dates, np.arange(len(codes)))
    codes, dates = codes[order], dates[order]
    close = rows["close"].to_numpy(dtype="float64")[order]
    div_codes, div_names = _ticker_codes(divs["ticker"])
    div_by: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    div_tickers = np.array([div_names[k] if k >= 0 else "" for k in div_codes], dtype=object)
    for t in np.unique(div_tickers):
        m = div_tickers == t
        o = np.argsort(ex_dates[m], kind="stable")
        div_by[str(t)] = (ex_dates[m][o], amounts[m][o])
    starts = np.flatnonzero(np.concatenate([[True], codes[1:] != codes[:-1]]))
    ends = np.concatenate([starts[1:], [len(codes)]])
    empty = (np.array([], dtype="datetime64[ns]"), np.array([], dtype="float64"))
    by_ticker: dict[str, _Series] = {}
    for a, b in zip(starts, ends, strict=True):
        t = names[codes[a]]
        dd, aa = div_by.get(t, empty)
        by_ticker[t] = _Series(dates[a:b], close[a:b], dd, aa)
    tidy = pd.DataFrame({"date": dates, "ticker": pd.Categorical.from_codes(codes, names),
                         **{col: rows[col].to_numpy(dtype="float64")[order] for col in PRICE_COLUMNS},
                         "volume": (rows["volume"].to_numpy()[order] if "volume" in rows else np.nan)})
    div_frame = pd.DataFrame({"date": ex_dates, "ticker": div_tickers.astype(str), "dividend": amounts})
    snap = _Snapshot(rows=tidy, dividends=div_frame.sort_values(["ticker", "date"], ignore_index=True),
                     as_of=str(meta.get("as_of") or "unknown"), provenance=str(meta.get("source") or ""),
                     by_ticker=by_ticker)
    _SNAPSHOT_MEMO.clear()
    _SNAPSHOT_MEMO[key] = snap
    return snap


def load_snapshot(path: str | os.PathLike[str] | None = None,
                  dividends_path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load and validate a price snapshot (long format); by default the bundled one.

    Parameters
    ----------
    path : path-like, optional
        Parquet file with columns ``date, ticker, open, high, low, close, volume``. Default
        ``data/prices/snapshot.parquet``.
    dividends_path : path-like, optional
        Parquet file with ``date, ticker, dividend``. Default ``data/prices/dividends.parquet``.

    Returns
    -------
    DataFrame
        n_rows x 7: ``date`` (datetime64), ``ticker`` (categorical), ``open, high, low, close`` (float64,
        listing currency per share, split-adjusted, not dividend-adjusted), ``volume`` (shares), sorted by ticker
        then date. ``attrs``: ``as_of`` (snapshot date), ``source`` and ``provenance``. The dividends come from
        :func:`snapshot_dividends`.

    Raises
    ------
    DataValidationError
        Gaps, duplicate dates or non-positive prices, naming file, row and rule (see
        :func:`validate_price_rows`).
    MarketDataError
        A file is missing.
    """
    snap = _load_snapshot(Path(path) if path else SNAPSHOT_DIR / "snapshot.parquet",
                          Path(dividends_path) if dividends_path else SNAPSHOT_DIR / "dividends.parquet")
    out = snap.rows.copy()
    out.attrs = {"as_of": snap.as_of, "source": "snapshot", "provenance": snap.provenance}
    return out


def snapshot_dividends(path: str | os.PathLike[str] | None = None,
                       dividends_path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Cash dividends of a price snapshot (by default the bundled one), validated with it.

    Returns
    -------
    DataFrame
        n_dividends x 3: ``date`` (datetime64, ex-date), ``ticker`` (str), ``dividend`` (float64, cash per
        share in the listing currency, split-adjusted), sorted by ticker then date. ``attrs["as_of"]`` is the
        snapshot date.
    """
    snap = _load_snapshot(Path(path) if path else SNAPSHOT_DIR / "snapshot.parquet",
                          Path(dividends_path) if dividends_path else SNAPSHOT_DIR / "dividends.parquet")
    out = snap.dividends.copy()
    out.attrs = {"as_of": snap.as_of, "source": "snapshot"}
    return out


def snapshot_as_of() -> str:
    """As-of date (``YYYY-MM-DD``) of the bundled snapshot, read from its Parquet metadata."""
    return _default_snapshot().as_of


def snapshot_info() -> pd.DataFrame:
    """Describe the bundled snapshot.

    Returns
    -------
    DataFrame
        One row per ticker (n_tickers x 7): ``ticker``, ``first, last`` (datetime64), ``rows`` (int),
        ``currency, market`` (str) and ``source`` (``"snapshot"``). ``attrs["as_of"]`` is the snapshot date.
    """
    snap = _default_snapshot()
    recs = []
    for t, s in snap.by_ticker.items():
        sym = _symbols().get(t, {})
        recs.append({"ticker": t, "first": pd.Timestamp(s.dates[0]), "last": pd.Timestamp(s.dates[-1]),
                     "rows": len(s.dates), "currency": _currency_of(t) or "", "market": sym.get("market", ""),
                     "source": "snapshot"})
    out = pd.DataFrame(recs)
    out.attrs = {"as_of": snap.as_of, "provenance": snap.provenance}
    return out


# --------------------------------------------------------------------------------------------- total return
def _tr_factor(dates: np.ndarray, close: np.ndarray, div_dates: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """Cumulative back-adjustment factor per row (1 on the last row)."""
    g = np.ones(len(close))
    if len(close) == 0 or len(amounts) == 0:
        return g
    pos = np.searchsorted(dates, div_dates, side="left")  # first trading row on/after the ex-date
    ok = (pos > 0) & (pos < len(close)) & (amounts != 0)
    np.multiply.at(g, pos[ok] - 1, 1.0 - amounts[ok] / close[pos[ok] - 1])
    return np.cumprod(g[::-1])[::-1]  # factor[t] = product of g[k] for k >= t


def total_return_index(close: pd.Series, dividends: pd.Series) -> pd.Series:
    """Dividend-reinvested (total-return) price series from split-adjusted closes and cash dividends.

    On each ex-date the back-adjustment factor is ``1 - dividend / previous_close`` (the close of the last
    trading day before the ex-date); it multiplies every earlier price. The last price is left unchanged, as in
    Yahoo's ``Adj Close``.

    Parameters
    ----------
    close : Series
        Split-adjusted closes (listing currency per share) on an ascending DatetimeIndex, no NaN.
    dividends : Series
        Cash dividend per share (same currency, split-adjusted) indexed by ex-date. An ex-date that is no
        trading day applies from the next trading day. Ex-dates on or before the first close, or after the last,
        change nothing (there is no earlier price to adjust, or no ex-date price yet).

    Returns
    -------
    Series
        Same index and name as ``close``, float64.
    """
    dates = pd.DatetimeIndex(close.index).to_numpy(dtype="datetime64[ns]")
    div = dividends.sort_index()
    factor = _tr_factor(dates, close.to_numpy(dtype="float64"),
                        pd.DatetimeIndex(div.index).to_numpy(dtype="datetime64[ns]"), div.to_numpy(dtype="float64"))
    return pd.Series(close.to_numpy(dtype="float64") * factor, index=close.index, name=close.name)


def _adjusted(s: _Series, adjust: str) -> np.ndarray:
    if adjust == "split":
        return s.close
    return s.close * _tr_factor(s.dates, s.close, s.div_dates, s.div_amounts)


# --------------------------------------------------------------------------------------------- cache
def resolve_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Cache folder: the argument, else ``$ESGLIB_CACHE_DIR``, else ``platformdirs.user_cache_dir("esglib")``."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get("ESGLIB_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("esglib"))


def _cache_file(root: Path, ticker: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9.\-^=_&]", "_", ticker)
    return root / "prices" / f"{safe}.parquet"


@dataclass
class _Cached:
    frame: pd.DataFrame  # index date; open, high, low, close, volume, dividend (float64)
    coverage_start: pd.Timestamp
    coverage_end: pd.Timestamp
    fetched_at: str = ""


def _read_cache(root: Path, ticker: str, *, discard_corrupt: bool = True) -> _Cached | None:
    """Read and check one cache file; a corrupt one is deleted with a warning (it will be refetched)."""
    path = _cache_file(root, ticker)
    try:
        if not path.is_file():
            return None
    except OSError:  # an unreadable folder: nothing usable cached
        return None
    try:
        import pyarrow.parquet as pq

        table = pq.ParquetFile(path).read(use_threads=False)
        meta = _parquet_meta(table)
        if meta.get("version") != CACHE_VERSION or str(meta.get("ticker", "")).upper() != ticker:
            raise ValueError("metadata missing or for another ticker/version")
        cols = (*PRICE_COLUMNS, "volume", "dividend")
        missing = [c for c in ("date", *cols) if c not in table.column_names]
        if missing:
            raise ValueError(f"missing columns {missing}")
        dates = np.asarray(table.column("date").to_numpy()).astype("datetime64[ns]")
        data = {c: np.asarray(table.column(c).to_numpy(), dtype="float64") for c in cols}
        rule = _cache_rule(dates, data)
        if rule:
            raise ValueError(rule)
        frame = pd.DataFrame(data, index=pd.DatetimeIndex(dates, name="date"))
        return _Cached(frame, pd.Timestamp(meta["coverage_start"]), pd.Timestamp(meta["coverage_end"]),
                       str(meta.get("fetched_at", "")))
    except Exception as exc:  # any unreadable/invalid file is corrupt: never crash on it
        if discard_corrupt:
            with contextlib.suppress(OSError):
                path.unlink()
            _warn(f"discarded corrupt cache file {path} ({type(exc).__name__}: {exc}); it will be refetched", 5)
        return None


def _cache_rule(dates: np.ndarray, data: dict[str, np.ndarray]) -> str | None:
    """First broken rule of a cache file's rows (1-based data row), or None."""
    bad = np.flatnonzero(np.isnat(dates))
    if len(bad):
        return f"row {bad[0] + 1}: date is missing"
    bad = np.flatnonzero(dates[1:] <= dates[:-1])
    if len(bad):
        return f"row {bad[0] + 2}: duplicate or unsorted date {_np_day(dates[bad[0] + 1])}"
    for c in PRICE_COLUMNS:
        bad = np.flatnonzero(~(np.isfinite(data[c]) & (data[c] > 0)))  # NaN and inf fail too
        if len(bad):
            return f"row {bad[0] + 1}: {c} price must be positive (got {data[c][bad[0]]!r})"
    return None


class _CacheWriter:
    """Writes cache files atomically; after the first failure warns once and stops trying."""

    def __init__(self, root: Path):
        self.root = root
        self.disabled = False

    def write(self, ticker: str, cached: _Cached) -> bool:
        if self.disabled:
            return False
        import pyarrow as pa
        import pyarrow.parquet as pq

        f = cached.frame
        columns = (*PRICE_COLUMNS, "volume", "dividend")
        table = pa.table({"date": pa.array(f.index.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")),
                          **{c: pa.array(f[c].to_numpy(dtype="float64")) for c in columns}})
        meta = {"version": CACHE_VERSION, "ticker": ticker, "source": "yfinance",
                "coverage_start": _iso(cached.coverage_start), "coverage_end": _iso(cached.coverage_end),
                "fetched_at": cached.fetched_at, "currency": _currency_of(ticker)}
        table = table.replace_schema_metadata({b"esglib": json.dumps(meta).encode()})
        try:
            with atomic_path(_cache_file(self.root, ticker)) as tmp:
                pq.write_table(table, tmp, compression="zstd", use_dictionary=False)
        except OSError as exc:
            self.disabled = True
            _warn(f"cache folder {self.root} is not writable ({exc.strerror or exc}); continuing without caching "
                  "(set ESGLIB_CACHE_DIR or pass cache_dir to use another folder)", 5)
            return False
        return True


def cache_info(cache_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Describe the price cache without changing it.

    Returns
    -------
    DataFrame
        One row per cache file (n_files x 9): ``ticker, first, last`` (datetime64, first/last cached trading
        day), ``rows`` (int), ``coverage_start, coverage_end`` (datetime64, the date range fetched), ``fetched_at``
        (str, UTC), ``status`` (``"ok"`` or ``"corrupt"``) and ``source`` (``"cache"``).
        ``attrs["cache_dir"]`` is the folder.
    """
    root = resolve_cache_dir(cache_dir)
    recs = []
    folder = root / "prices"
    for path in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
        ticker = path.stem.upper()
        c = _read_cache(root, ticker, discard_corrupt=False)
        if c is None:
            recs.append({"ticker": ticker, "first": pd.NaT, "last": pd.NaT, "rows": 0, "coverage_start": pd.NaT,
                         "coverage_end": pd.NaT, "fetched_at": "", "status": "corrupt", "source": "cache"})
            continue
        recs.append({"ticker": ticker, "first": c.frame.index.min(), "last": c.frame.index.max(), "rows": len(c.frame),
                     "coverage_start": c.coverage_start, "coverage_end": c.coverage_end, "fetched_at": c.fetched_at,
                     "status": "ok", "source": "cache"})
    cols = ["ticker", "first", "last", "rows", "coverage_start", "coverage_end", "fetched_at", "status", "source"]
    out = pd.DataFrame(recs, columns=cols)
    out.attrs = {"cache_dir": str(root)}
    return out


# --------------------------------------------------------------------------------------------- live (yfinance)
@dataclass
class _Live:
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)  # index date; OHLCV, dividend, split
    failures: dict[str, str] = field(default_factory=dict)  # ticker -> reason
    kinds: dict[str, str] = field(default_factory=dict)  # ticker -> rate_limit, network, no_data, error, offline

    @property
    def unreachable(self) -> bool:
        return bool(self.kinds) and all(k in ("network", "rate_limit") for k in self.kinds.values())


class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:  # pragma: no cover - trivial
        with contextlib.suppress(Exception):
            self.messages.append(record.getMessage())


def _classify(text: str) -> str:
    if any(p in text for p in _RATE_LIMIT_PATTERNS):
        return "rate_limit"
    if any(p in text for p in _NETWORK_PATTERNS):
        return "network"
    return "no_data"


def _classify_exception(exc: BaseException) -> str:
    names = {k.__name__ for k in type(exc).__mro__}
    if "YFRateLimitError" in names:
        return "rate_limit"
    if isinstance(exc, (OSError, TimeoutError, ConnectionError)) or any(
            n in names for n in ("ConnectionError", "Timeout", "DNSError", "RequestException", "CurlError")):
        return "network"
    kind = _classify(f"{type(exc).__name__}: {exc}")
    return "error" if kind == "no_data" else kind


def _default_downloader() -> Callable[..., Any]:
    import yfinance as yf  # the only place esglib imports yfinance

    return yf.download


def _download_once(names: list[str], start: pd.Timestamp, end_excl: pd.Timestamp,
                   downloader: Callable[..., Any]) -> _Live:
    """One call of the downloader; split its answer per ticker and explain every ticker it did not serve."""
    live = _Live()
    capture = _LogCapture()
    yf_logger = logging.getLogger("yfinance")
    yf_logger.addHandler(capture)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # yfinance's own pandas deprecation noise
            data = downloader(names, start=_iso(start), end=_iso(end_excl), interval="1d", auto_adjust=False,
                              actions=True, progress=False, threads=True, group_by="column", ignore_tz=True,
                              multi_level_index=True)
    except Exception as exc:  # yfinance raises many types; we classify them all
        kind = _classify_exception(exc)
        for t in names:
            live.failures[t] = f"{type(exc).__name__}: {exc}"
            live.kinds[t] = kind
        return live
    finally:
        yf_logger.removeHandler(capture)
    per = _split_download(data, names)
    for t in names:
        frame = per.get(t)
        if frame is not None and len(frame):
            live.frames[t] = frame
            continue
        msgs = [m for m in capture.messages if t in m]
        text = " | ".join(msgs) if msgs else "; ".join(capture.messages)
        kind = _classify(text) if text else "no_data"
        live.failures[t] = (text or "Yahoo returned no rows").strip()[:300]
        live.kinds[t] = kind
    return live


def _split_download(data: Any, names: list[str]) -> dict[str, pd.DataFrame]:
    """Per-ticker OHLCV frames from yf.download's answer ((Price, Ticker) MultiIndex, or flat for one ticker)."""
    out: dict[str, pd.DataFrame] = {}
    if not isinstance(data, pd.DataFrame) or data.empty:
        return out
    cols = data.columns
    if isinstance(cols, pd.MultiIndex):
        field_level = next((i for i in range(cols.nlevels) if "Close" in set(cols.get_level_values(i))), None)
        if field_level is None:
            return out
        ticker_level = 1 - field_level if cols.nlevels == 2 else None
        if ticker_level is None:
            return out
        available = {str(v).upper(): v for v in cols.get_level_values(ticker_level)}
        parts = {t: data.xs(available[t], axis=1, level=ticker_level) for t in names if t in available}
    elif len(names) == 1 and "Close" in cols:
        parts = {names[0]: data}
    else:
        return out
    for t, part in parts.items():
        if "Close" not in part.columns:
            continue
        idx = pd.DatetimeIndex(part.index)
        if idx.tz is not None:
            idx = idx.tz_localize(None)
        frame = pd.DataFrame(index=idx.normalize().rename("date"))
        for src, dst in (("Open", "open"), ("High", "high"), ("Low", "low"), ("Close", "close"), ("Volume", "volume"),
                         ("Dividends", "dividend"), ("Stock Splits", "split")):
            frame[dst] = pd.to_numeric(part[src], errors="coerce").to_numpy(dtype="float64") if src in part else 0.0
        frame = frame[np.isfinite(frame["close"]) & (frame["close"] > 0)]  # a broken feed can send inf
        for c in ("open", "high", "low"):
            frame[c] = frame[c].where(np.isfinite(frame[c]) & (frame[c] > 0), frame["close"])
        frame[["volume", "dividend", "split"]] = frame[["volume", "dividend", "split"]].fillna(0.0)
        frame = frame[~frame.index.duplicated(keep="last")].sort_index()
        out[t] = frame
    return out


def _download(names: list[str], start: pd.Timestamp, end_excl: pd.Timestamp, downloader: Callable[..., Any] | None,
              retries: int, sleep: Callable[[float], Any], backoff: float) -> _Live:
    """Download with bounded retries and exponential backoff for the tickers that were rate-limited."""
    downloader = downloader or _default_downloader()
    result = _Live()
    pending = list(names)
    attempt = 0
    while pending:
        live = _download_once(pending, start, end_excl, downloader)
        result.frames.update(live.frames)
        limited = [t for t in pending if live.kinds.get(t) == "rate_limit"]
        for t in pending:
            if t in live.failures and t not in limited:
                result.failures[t], result.kinds[t] = live.failures[t], live.kinds[t]
        if not limited:
            break
        if attempt >= retries:
            for t in limited:
                result.failures[t] = f"rate-limited by Yahoo Finance after {retries} retries ({live.failures[t]})"
                result.kinds[t] = "rate_limit"
            break
        sleep(backoff * 2 ** attempt)
        attempt += 1
        pending = limited
    return result


# --------------------------------------------------------------------------------------------- refresh core
@dataclass
class _Served:
    series: _Series
    source: str
    as_of: str


def _gaps(cached: _Cached | None, start: pd.Timestamp, end: pd.Timestamp, full: bool
          ) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Date ranges ``[start, end_exclusive)`` to fetch so the cache covers ``[start, end]``.

    After the cache: ``[coverage_end + 1 day, end + 1 day)``, exactly the missing days (a split inside it is seen
    in Yahoo's split column and applied to the cached rows). Before the cache: ``[start, first cached day + 1 day)``,
    the missing days plus the first cached day as an anchor that reveals any later split or restatement.
    """
    one = pd.Timedelta(days=1)
    if cached is None or full or len(cached.frame) == 0:
        return [(start, end + one)]
    out = []
    if start < cached.coverage_start:
        out.append((start, cached.frame.index[0] + one))
    if end > cached.coverage_end:
        out.append((cached.coverage_end + one, end + one))
    return out


def _has_weekday(a: pd.Timestamp, b_excl: pd.Timestamp) -> bool:
    return bool(np.busday_count(a.date(), b_excl.date()) > 0)


def _merge(cached: _Cached | None, new: pd.DataFrame, gap: tuple[pd.Timestamp, pd.Timestamp]) -> _Cached:
    start, end_excl = gap
    end = end_excl - pd.Timedelta(days=1)
    new = new[(new.index >= start) & (new.index <= end)]
    if cached is None or len(cached.frame) == 0:
        cols = [*PRICE_COLUMNS, "volume", "dividend"]
        base_start = start if cached is None else min(start, cached.coverage_start)
        base_end = end if cached is None else max(end, cached.coverage_end)
        return _Cached(new[cols].copy(), base_start, base_end)
    old = cached.frame
    factor = 1.0
    if len(new) and new.index[0] > old.index[-1]:  # after the cache: apply splits inside the new range
        splits = new["split"].to_numpy()
        splits = splits[splits > 0]
        factor = float(np.prod(splits)) if len(splits) else 1.0
    elif len(new) and old.index[0] in new.index:  # before the cache: anchor day tells any later rescaling
        ratio = float(new.at[old.index[0], "close"] / old["close"].iloc[0])
        factor = 1.0 if abs(ratio - 1.0) < 1e-4 else 1.0 / ratio
    if factor != 1.0:
        old = old.copy()
        old[[*PRICE_COLUMNS, "dividend"]] = old[[*PRICE_COLUMNS, "dividend"]] / factor
        old["volume"] = old["volume"] * factor
    cols = [*PRICE_COLUMNS, "volume", "dividend"]
    merged = pd.concat([old[~old.index.isin(new.index)], new[cols]]).sort_index()
    return _Cached(merged, min(start, cached.coverage_start), max(end, cached.coverage_end))


def _refresh(names: list[str], start: pd.Timestamp, end: pd.Timestamp, root: Path, writer: _CacheWriter,
             downloader: Callable[..., Any] | None, retries: int, sleep: Callable[[float], Any],
             full: bool = False, backoff: float = 1.0
             ) -> tuple[dict[str, _Cached | None], dict[str, bool], _Live]:
    """Bring each ticker's cache up to ``[start, end]``; return caches, which were updated, and the failures."""
    caches = {t: _read_cache(root, t) for t in names}
    updated = {t: False for t in names}
    failures = _Live()
    plan: dict[tuple[pd.Timestamp, pd.Timestamp], list[str]] = {}
    for t in names:
        for gap in _gaps(caches[t], start, end, full):
            if not _has_weekday(*gap):  # only a weekend is missing: nothing to fetch
                c = caches[t]
                if c is not None:
                    caches[t] = _Cached(c.frame, min(c.coverage_start, gap[0]),
                                        max(c.coverage_end, gap[1] - pd.Timedelta(days=1)), c.fetched_at)
                continue
            plan.setdefault(gap, []).append(t)
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for gap, tickers in sorted(plan.items()):
        live = _download(tickers, gap[0], gap[1], downloader, retries, sleep, backoff)
        for t in tickers:
            if t in live.frames:
                caches[t] = _merge(None if full else caches[t], live.frames[t], gap)
                caches[t].fetched_at = stamp
                updated[t] = True
            elif (live.kinds.get(t) == "no_data" and caches[t] is not None and len(caches[t].frame)
                  and (gap[1] - gap[0]).days <= 7):
                c = caches[t]  # a few holidays: Yahoo has no rows, the cache is complete through gap end
                caches[t] = _Cached(c.frame, min(c.coverage_start, gap[0]),
                                    max(c.coverage_end, gap[1] - pd.Timedelta(days=1)), stamp)
                updated[t] = True
            else:
                failures.failures[t] = live.failures.get(t, "no rows")
                failures.kinds[t] = live.kinds.get(t, "no_data")
    for t in names:
        if updated[t] and caches[t] is not None:
            writer.write(t, caches[t])
    return caches, updated, failures


# --------------------------------------------------------------------------------------------- prices
def prices(tickers: str | Iterable[str], start: Any = None, end: Any = None, source: str = "auto",
           adjust: str = "total", cache_dir: str | os.PathLike[str] | None = None,
           downloader: Callable[..., Any] | None = None, *, allow_mixed_currency: bool = False, retries: int = 3,
           sleep: Callable[[float], Any] | None = None) -> pd.DataFrame:
    """Daily prices for ``tickers`` as a wide frame.

    Parameters
    ----------
    tickers : str or iterable of str
        Yahoo tickers (``"NVDA"``, ``["AAPL", "MSFT"]`` or ``"AAPL MSFT"``); case-insensitive.
    start, end : date-like, optional
        Inclusive date range. Default start: all the source has (``2018-01-01`` for live fetches);
        default end: the last available day. Live fetches stop at yesterday (UTC): today's bar is not final.
    source : {"auto", "snapshot", "cache", "yfinance"}
        ``auto``: the cache, refreshed live for missing dates when Yahoo is reachable, else the cache as is, else
        the bundled snapshot (each fallback warns with its as-of date). ``snapshot``/``cache``: only that source.
        ``yfinance``: a full live fetch (stored in the cache); raises if Yahoo cannot serve.
    adjust : {"total", "split"}
        ``total``: dividends reinvested (rebuilt from cash dividends, see :func:`total_return_index`);
        ``split``: split-adjusted close.
    cache_dir : path-like, optional
        Cache folder (default :func:`resolve_cache_dir`).
    downloader : callable, optional
        Replacement for ``yfinance.download`` (same signature), e.g. in tests.
    allow_mixed_currency : bool, default False
        Allow tickers quoted in different currencies in one frame (each stays in its own currency).
    retries : int, default 3
        Retries after a Yahoo rate limit, with exponential backoff (1, 2, 4 ... seconds).
    sleep : callable, optional
        Replacement for :func:`time.sleep` used between retries (tests pass a no-op).

    Returns
    -------
    DataFrame
        n_days x n_tickers, DatetimeIndex ``date`` (trading days, union over tickers), one float64 column per
        ticker in request order, price in the listing currency per share. ``attrs``: ``as_of`` (the earliest
        date through which every column is complete, ``YYYY-MM-DD``), ``source`` (``snapshot``, ``cache``,
        ``yfinance`` or ``mixed``), ``sources`` and ``as_of_by_ticker`` (per ticker), ``currency`` (str, or
        dict when mixed), ``adjust``, ``missing`` (tickers with no data, also named in a warning).

    Raises
    ------
    ConfigError
        Bad argument, or currencies mixed without ``allow_mixed_currency``.
    MarketDataError
        No requested ticker could be served by the allowed sources.

    Warns
    -----
    MarketDataWarning
        Every fallback (naming the as-of date used), tickers without data, a corrupt cache file discarded, an
        unwritable cache folder.
    """
    names = _normalise_tickers(tickers)
    if source not in SOURCES:
        raise ConfigError(f"`source` must be one of {', '.join(SOURCES)}, got {source!r}")
    if adjust not in ADJUSTMENTS:
        raise ConfigError(f"`adjust` must be 'total' or 'split', got {adjust!r}")
    if not isinstance(retries, int) or retries < 0:
        raise ConfigError(f"`retries` must be a whole number >= 0, got {retries!r}")
    start_ts, end_ts = _to_day(start, "start"), _to_day(end, "end")
    if start_ts is not None and end_ts is not None and start_ts > end_ts:
        raise ConfigError(f"`start` {_iso(start_ts)} is after `end` {_iso(end_ts)}")
    currencies = _check_currencies(names, allow_mixed_currency)
    sleep = sleep or time.sleep
    served: dict[str, _Served] = {}
    missing: dict[str, str] = {}

    if source == "snapshot":
        snap = _default_snapshot()
        for t in names:
            if t in snap.by_ticker:
                served[t] = _Served(snap.by_ticker[t], "snapshot", snap.as_of)
            else:
                missing[t] = f"not in the bundled snapshot (as of {snap.as_of})"
    else:
        root = resolve_cache_dir(cache_dir)
        if source == "cache":
            for t in names:
                c = _read_cache(root, t)
                if c is not None and len(c.frame):
                    served[t] = _Served(_Series.from_frame(c.frame), "cache", _iso(c.coverage_end) or "")
                else:
                    missing[t] = f"not in the cache folder {root / 'prices'}"
        else:
            live_start = start_ts or pd.Timestamp(DEFAULT_START)
            live_end = min(end_ts or _yesterday(), _yesterday())  # today's bar is not final: never cached
            live_start = min(live_start, live_end)
            offline = source == "auto" and os.environ.get("ESGLIB_OFFLINE", "") not in ("", "0")
            writer = _CacheWriter(root)
            if offline:
                caches = {t: _read_cache(root, t) for t in names}
                updated = {t: False for t in names}
                failed = _Live(failures={t: "live fetches are off (ESGLIB_OFFLINE is set)" for t in names},
                               kinds={t: "offline" for t in names})
            else:
                caches, updated, failed = _refresh(names, live_start, live_end, root, writer, downloader, retries,
                                                   sleep, full=(source == "yfinance"))
            if source == "yfinance":
                bad = {t: failed.failures[t] for t in names if t in failed.failures}
                if len(bad) == len(names):
                    hint = ("Yahoo Finance is unreachable or rate-limiting" if failed.unreachable
                            else "Yahoo Finance returned no data")
                    raise MarketDataError(
                        f"{hint} for {', '.join(names)} ({_first_reason(bad)}). Use source='auto' to fall back to the "
                        f"cache or the bundled snapshot (as of {snapshot_as_of()}).")
                for t in names:
                    if t in bad:
                        missing[t] = f"yfinance: {bad[t]}"
                    else:
                        c = caches[t]
                        served[t] = _Served(_Series.from_frame(c.frame), "yfinance", _iso(c.coverage_end) or "")
            else:
                served, missing = _auto_choose(names, caches, updated, failed, start_ts, end_ts)
    return _assemble(names, served, missing, start_ts, end_ts, adjust, currencies)


def _first_reason(reasons: dict[str, str]) -> str:
    first = next(iter(reasons.values()), "")
    return first if len(first) < 200 else first[:200] + "..."


def _failure_summary(failed: _Live) -> str:
    """One short phrase for why live data was not available."""
    if not failed.failures:
        return ""
    kinds = set(failed.kinds.values())
    detail = _first_reason(failed.failures)
    if kinds == {"offline"}:
        return detail
    detail = detail if len(detail) <= 140 else detail[:140] + "..."
    if kinds == {"rate_limit"}:
        return f"Yahoo Finance rate limit: {detail}"
    if kinds <= {"network", "rate_limit"}:
        return f"Yahoo Finance unreachable: {detail}"
    return detail


def _auto_choose(names: list[str], caches: dict[str, _Cached | None], updated: dict[str, bool], failed: _Live,
                 start: pd.Timestamp | None, end: pd.Timestamp | None) -> tuple[dict[str, _Served], dict[str, str]]:
    """Per ticker: the (refreshed) cache when it has rows in the range, else the snapshot; warn on each fallback."""
    served: dict[str, _Served] = {}
    missing: dict[str, str] = {}
    snap: _Snapshot | None = None
    fallback_cache: list[str] = []
    fallback_snap: list[str] = []
    for t in names:
        c = caches.get(t)
        reason = failed.failures.get(t)
        in_range = False
        if c is not None and len(c.frame):
            idx = c.frame.index
            in_range = bool(((idx >= (start or idx[0])) & (idx <= (end or idx[-1]))).any())
        if c is not None and in_range:
            served[t] = _Served(_Series.from_frame(c.frame), "yfinance" if updated[t] else "cache",
                                _iso(c.coverage_end) or "")
            if reason is not None:
                fallback_cache.append(t)
            continue
        if snap is None:
            snap = _default_snapshot()
        if t in snap.by_ticker:
            served[t] = _Served(snap.by_ticker[t], "snapshot", snap.as_of)
            fallback_snap.append(t)
        else:
            missing[t] = f"no data from yfinance ({reason or 'not fetched'}) and not in the bundled snapshot"
    why = _failure_summary(failed)
    if fallback_cache:
        spans = ", ".join(f"{t} {_iso(caches[t].coverage_start)}..{served[t].as_of}"  # type: ignore[union-attr]
                          for t in fallback_cache)
        _warn(f"live refresh failed ({why}); falling back to cached prices as of {served[fallback_cache[0]].as_of} "
              f"({spans})", 4)
    if fallback_snap:
        _warn(f"falling back to the bundled snapshot as of {snap.as_of if snap else ''} for "
              f"{', '.join(fallback_snap)} (no cached prices; live fetch failed: {why or 'no data'})", 4)
    return served, missing


def _assemble(names: list[str], served: dict[str, _Served], missing: dict[str, str], start: pd.Timestamp | None,
              end: pd.Timestamp | None, adjust: str, currencies: dict[str, str | None]) -> pd.DataFrame:
    cols: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    lo = np.datetime64(start.to_datetime64(), "ns") if start is not None else None
    hi = np.datetime64(end.to_datetime64(), "ns") if end is not None else None
    for t in names:
        if t not in served:
            continue
        s = served[t].series
        values = _adjusted(s, adjust)
        keep = np.ones(len(values), dtype=bool)
        if lo is not None:
            keep &= s.dates >= lo
        if hi is not None:
            keep &= s.dates <= hi
        if not keep.any():
            missing[t] = (f"no {served[t].source} prices between {_iso(start) or 'the start'} and "
                          f"{_iso(end) or 'the end'}")
            continue
        cols[t] = (s.dates[keep], values[keep])
    if missing:
        detail = "; ".join(f"{t}: {why}" for t, why in missing.items())
        if not cols:
            raise MarketDataError(f"no prices for {', '.join(missing)} ({detail})")
        _warn(f"no prices for {', '.join(missing)}, left out of the frame ({detail})", 4)
    kept = list(cols)
    days = np.unique(np.concatenate([d for d, _ in cols.values()]))
    matrix = np.full((len(days), len(kept)), np.nan)
    for j, (d, v) in enumerate(cols.values()):
        matrix[np.searchsorted(days, d), j] = v
    out = pd.DataFrame(matrix, index=pd.DatetimeIndex(days, name="date"), columns=pd.Index(kept, name="ticker"))
    sources = {t: served[t].source for t in kept}
    as_of = {t: served[t].as_of for t in kept}
    if end is not None:
        as_of = {t: min(d, _iso(end) or d) for t, d in as_of.items()}
    cur = {t: currencies[t] for t in kept}
    uniq = set(sources.values())
    out.attrs = {
        "as_of": min(as_of.values()),
        "source": uniq.pop() if len(uniq) == 1 else "mixed",
        "sources": sources,
        "as_of_by_ticker": as_of,
        "currency": next(iter(set(cur.values()))) if len(set(cur.values())) == 1 else cur,
        "adjust": adjust,
        "missing": list(missing),
    }
    return out


# --------------------------------------------------------------------------------------------- refresh (public)
def refresh_cache(tickers: str | Iterable[str], start: Any = None, end: Any = None, *,
                  cache_dir: str | os.PathLike[str] | None = None, downloader: Callable[..., Any] | None = None,
                  retries: int = 3, sleep: Callable[[float], Any] | None = None) -> pd.DataFrame:
    """Fetch the missing date ranges of ``tickers`` from Yahoo Finance into the cache.

    Parameters
    ----------
    tickers : str or iterable of str
        Yahoo tickers.
    start, end : date-like, optional
        Range the cache should cover (default ``DEFAULT_START`` .. yesterday, UTC).
    cache_dir, downloader, retries, sleep
        As in :func:`prices`.

    Returns
    -------
    DataFrame
        One row per ticker (n_tickers x 6): ``ticker``, ``status`` (``updated``, ``up to date`` or ``failed``),
        ``first, last`` (datetime64, cached range), ``rows`` (int) and ``message`` (str, the reason of a failure).

    Raises
    ------
    MarketDataError
        Yahoo is unreachable or rate-limiting for every ticker, or the cache folder is not writable.
    """
    names = _normalise_tickers(tickers)
    start_ts = _to_day(start, "start") or pd.Timestamp(DEFAULT_START)
    end_ts = min(_to_day(end, "end") or _yesterday(), _yesterday())  # today's bar is not final: never cached
    if start_ts > end_ts:
        raise ConfigError(f"`start` {_iso(start_ts)} is after `end` {_iso(end_ts)}")
    root = resolve_cache_dir(cache_dir)
    writer = _CacheWriter(root)
    caches, updated, failed = _refresh(names, start_ts, end_ts, root, writer, downloader, retries,
                                       sleep or time.sleep)
    if writer.disabled:
        raise MarketDataError(f"cache folder {root} is not writable: nothing was stored (set ESGLIB_CACHE_DIR or "
                              "pass --cache-dir to use another folder)")
    if len(failed.failures) == len(names) and failed.unreachable:
        raise MarketDataError(
            f"cannot reach Yahoo Finance ({_first_reason(failed.failures)}); nothing refreshed. Prices stay "
            f"available from the cache and the bundled snapshot (as of {snapshot_as_of()}).")
    recs = []
    for t in names:
        c = caches.get(t)
        status = "failed" if t in failed.failures else ("updated" if updated[t] else "up to date")
        has = c is not None and len(c.frame) > 0
        recs.append({"ticker": t, "status": status, "first": c.frame.index[0] if has else pd.NaT,
                     "last": c.frame.index[-1] if has else pd.NaT, "rows": len(c.frame) if has else 0,
                     "message": failed.failures.get(t, "")})
    return pd.DataFrame(recs, columns=["ticker", "status", "first", "last", "rows", "message"])


# --------------------------------------------------------------------------------------------- returns
def returns(prices: pd.DataFrame | pd.Series, freq: str = "D", *, allow_mixed_currency: bool = False
            ) -> pd.DataFrame | pd.Series:
    """Compute simple returns from a price frame, compounded to weekly or monthly periods.

    Parameters
    ----------
    prices : DataFrame or Series
        n_days x n_tickers prices (any currency per share) on an ascending DatetimeIndex, as from
        :func:`prices`; NaN where a ticker has no price that day. Not modified.
    freq : {"D", "W", "M"}
        ``D``: one return per trading day (a day without a price is NaN and the next return spans it). ``W``
        (weeks ending Friday) and ``M`` (calendar months, labelled by month end): the product of ``1 + r`` over
        the period's daily returns, minus 1. The first period runs from the first price.
    allow_mixed_currency : bool, default False
        Accept a frame whose ``attrs["currency"]`` names more than one currency.

    Returns
    -------
    DataFrame or Series
        n_periods x n_tickers simple returns (fraction, 0.01 = 1 %), float64. The first day (no previous price)
        is dropped for ``D``. ``attrs`` are copied from ``prices`` with ``freq`` added.

    Raises
    ------
    ConfigError
        Bad ``freq``, no DatetimeIndex, or mixed currencies without ``allow_mixed_currency``.
    DataValidationError
        A price is zero or negative.
    """
    if freq not in FREQUENCIES:
        raise ConfigError(f"`freq` must be 'D', 'W' or 'M', got {freq!r}")
    if not isinstance(prices, (pd.DataFrame, pd.Series)):
        raise ConfigError("`prices` must be a DataFrame or Series of prices")
    if not isinstance(prices.index, pd.DatetimeIndex):
        raise ConfigError("`prices` must have a DatetimeIndex (dates as rows)")
    cur = prices.attrs.get("currency")
    if isinstance(cur, dict) and len({c for c in cur.values() if c}) > 1 and not allow_mixed_currency:
        groups: dict[str, list[str]] = {}
        for t, c in cur.items():
            groups.setdefault(str(c), []).append(str(t))
        raise ConfigError("refusing to compute returns across currencies (" + "; ".join(
            f"{c}: {', '.join(ts)}" for c, ts in groups.items()) + "); pass allow_mixed_currency=True to accept")
    px = prices.sort_index().astype("float64")
    values = px.to_numpy()
    if (values <= 0).any():
        frame = px.to_frame() if isinstance(px, pd.Series) else px
        bad = frame.stack()
        bad = bad[bad <= 0]
        raise DataValidationError([Problem("<frame>", None, str(col), f"price must be positive on {_iso(day)}",
                                           float(v)) for (day, col), v in bad.items()])
    filled = px.ffill(limit_area="inside")
    daily = filled.pct_change(fill_method=None).where(px.notna())
    rule = FREQUENCIES[freq]
    if rule is None:
        out = daily.iloc[1:]
    else:
        out = (1.0 + daily).resample(rule).prod(min_count=1) - 1.0
    out = out.astype("float64")
    out.attrs = {**prices.attrs, "freq": freq}
    return out


# --------------------------------------------------------------------------------------------- market caps
def market_caps(tickers: str | Iterable[str], online: bool = False, *,
                cache_dir: str | os.PathLike[str] | None = None,
                ticker_factory: Callable[[str], Any] | None = None) -> pd.DataFrame:
    """Market capitalisation and shares outstanding, from yfinance's ``Ticker(t).fast_info`` (cached).

    Parameters
    ----------
    tickers : str or iterable of str
        Yahoo tickers.
    online : bool, default False
        Fetch from Yahoo (and update the cache). Offline, only cached values are returned.
    cache_dir : path-like, optional
        Cache folder (default :func:`resolve_cache_dir`); values are kept in ``market_caps.json``.
    ticker_factory : callable, optional
        Replacement for ``yfinance.Ticker`` (tests).

    Returns
    -------
    DataFrame
        Indexed by ticker (n_tickers x 5): ``market_cap`` (float64, listing currency), ``shares`` (float64,
        shares outstanding), ``currency`` (str), ``as_of`` (str, UTC date of the fetch) and ``source``
        (``yfinance``, ``cache`` or ``unavailable``). Unavailable values are NaN, never estimated;
        ``attrs["missing"]`` lists those tickers and a :class:`MarketDataWarning` names them.
    """
    names = _normalise_tickers(tickers)
    root = resolve_cache_dir(cache_dir)
    path = root / "market_caps.json"
    stored: dict[str, dict[str, Any]] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            stored = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError) as exc:
            _warn(f"ignored corrupt market-cap cache {path} ({exc})")
    rows: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    fetched = False
    if online:
        if ticker_factory is None:
            import yfinance as yf

            ticker_factory = yf.Ticker
        today = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d")
        for t in names:
            try:
                fi = ticker_factory(t).fast_info
                cap = _float_or_nan(fi["marketCap"])
            except Exception as exc:  # yfinance raises many types
                errors[t] = f"{type(exc).__name__}: {exc}"
                continue
            shares, currency = _optional(fi, "shares"), _optional(fi, "currency")
            shares = _float_or_nan(shares)
            currency = str(currency or _currency_of(t) or "")
            if not np.isfinite(cap) or cap <= 0:
                errors[t] = "Yahoo gave no market capitalisation"
                continue
            rows[t] = {"market_cap": cap, "shares": shares, "currency": currency, "as_of": today, "source": "yfinance"}
            stored[t] = {k: v for k, v in rows[t].items() if k != "source"}
            fetched = True
        if fetched:
            try:
                atomic_write_text(path, json.dumps(stored, indent=1, sort_keys=True))
            except OSError as exc:
                _warn(f"cache folder {root} is not writable ({exc.strerror or exc}); market caps not cached")
    for t in names:
        if t in rows:
            continue
        entry = stored.get(t)
        if isinstance(entry, dict) and np.isfinite(_float_or_nan(entry.get("market_cap"))):
            rows[t] = {"market_cap": _float_or_nan(entry.get("market_cap")),
                       "shares": _float_or_nan(entry.get("shares")), "currency": str(entry.get("currency", "")),
                       "as_of": str(entry.get("as_of", "")), "source": "cache"}
        else:
            rows[t] = {"market_cap": np.nan, "shares": np.nan, "currency": _currency_of(t) or "", "as_of": "",
                       "source": "unavailable"}
    out = pd.DataFrame.from_dict(rows, orient="index").reindex(names)
    out.index.name = "ticker"
    out = out.astype({"market_cap": "float64", "shares": "float64"})
    missing = [t for t in names if out.at[t, "source"] == "unavailable"]
    stale = [t for t in names if t in errors and out.at[t, "source"] == "cache"]
    if stale:
        dated = ", ".join(f"{t} as of {out.at[t, 'as_of']}" for t in stale)
        _warn(f"market caps for {', '.join(stale)} could not be refreshed; using cached values ({dated})")
    if missing:
        why = "not cached and online=False" if not online else _first_reason({t: errors.get(t, '') for t in missing})
        _warn(f"market capitalisation unavailable for {', '.join(missing)} ({why}); left as NaN")
    out.attrs = {"missing": missing, "source": "mixed" if out["source"].nunique() > 1 else out["source"].iloc[0],
                 "cache_file": str(path)}
    return out


def _optional(info: Any, key: str) -> Any:
    """``info[key]``, or None when yfinance cannot provide it."""
    try:
        return info[key]
    except Exception:  # yfinance raises many types for a missing field
        return None


def _float_or_nan(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return out
