"""Market capitalisations and shares outstanding (cached; online only when asked)."""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from esglib.atomicio import atomic_write_text
from esglib.market._cache import resolve_cache_dir
from esglib.market._prices import _first_reason
from esglib.market._symbols import _currency_of, _normalise_tickers, _warn
from esglib.market._yahoo import _default_ticker_factory

__all__ = ['market_caps']


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
            ticker_factory = _default_ticker_factory()
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
