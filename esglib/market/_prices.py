"""Daily prices and returns from the snapshot, the cache or Yahoo: the one way esglib gets market data."""

from __future__ import annotations

import datetime as _dt
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from esglib.errors import ConfigError, DataValidationError, MarketDataError, Problem
from esglib.market._cache import _Cached, _CacheWriter, _gaps, _has_weekday, _merge, _read_cache, resolve_cache_dir
from esglib.market._snapshot import _adjusted, _default_snapshot, _Series, _Snapshot, snapshot_as_of
from esglib.market._symbols import (
    ADJUSTMENTS,
    DEFAULT_START,
    FREQUENCIES,
    SOURCES,
    _check_currencies,
    _iso,
    _normalise_tickers,
    _to_day,
    _warn,
    _yesterday,
)
from esglib.market._yahoo import _download, _Live

__all__ = ['prices', 'returns', 'refresh_cache']


# --------------------------------------------------------------------------------------------- refresh core
@dataclass
class _Served:
    series: _Series
    source: str
    as_of: str


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
        The bundled snapshot (``data/prices/``) is the market layer's documented offline source, so
        ``source="snapshot"`` (and the ``auto`` fallback) reads it here: the one place below ``esglib.app`` that
        reads a bundled file when asked for data (every other library function takes its data as an argument).
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
