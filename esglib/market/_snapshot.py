"""The bundled price snapshot (parquet) and the total-return rebuild from dividends."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from esglib.errors import DataValidationError, MarketDataError, Problem
from esglib.market._symbols import PRICE_COLUMNS, SNAPSHOT_DIR, _currency_of, _symbols
from esglib.market._validate import _sorted_order, _ticker_codes, validate_price_rows

__all__ = ['snapshot_info', 'snapshot_as_of', 'load_snapshot', 'snapshot_dividends', 'total_return_index']


#: Folder of the bundled snapshot.


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
