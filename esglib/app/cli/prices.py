"""``esglib prices``: refresh the price cache, describe it, and show prices.

pandas, tqdm and :mod:`esglib.market` are imported inside the handlers so ``esglib --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``prices`` command (with ``refresh``, ``info`` and ``show``) to the top-level sub-parsers."""
    parser = subparsers.add_parser(
        "prices", help="daily prices: refresh the cache from Yahoo Finance, describe it, show prices",
        description="Daily prices from the cache (filled from Yahoo Finance) or the bundled snapshot.",
        epilog="Examples:\n  esglib prices info\n  esglib prices show NVDA AAPL --start 2025-01-01\n"
               "  esglib prices refresh NVDA --start 2024-01-01\n\nThe cache folder is --cache-dir, else "
               "$ESGLIB_CACHE_DIR, else the user cache folder. Exit status: 0 ok, 1 some tickers failed to refresh, "
               "2 nothing could be done (e.g. offline).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="prices_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: (parser.print_help(), 0)[1])

    p = sub.add_parser("refresh", help="fetch missing days from Yahoo Finance into the cache",
                       description="Fetch only the date ranges the cache lacks, ticker by ticker, with a progress bar. "
                                   "Default tickers: the universe's Yahoo tickers plus the benchmark ETFs.")
    p.add_argument("tickers", nargs="*", metavar="TICKER", help="Yahoo tickers (default: universe + benchmark ETFs)")
    p.add_argument("--start", help="first date the cache should cover (default 2018-01-01)")
    p.add_argument("--end", help="last date (default: yesterday, UTC)")
    p.add_argument("--cache-dir", help="cache folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_refresh)

    p = sub.add_parser("info", help="list the cache folder and the bundled snapshot",
                       description="List each ticker's first and last date, row count and source (cache or "
                                   "snapshot), the cache folder and the snapshot's as-of date.")
    p.add_argument("--cache-dir", help="cache folder")
    p.set_defaults(func=_info)

    p = sub.add_parser("show", help="print the last rows of daily prices",
                       description="Print the last rows of daily prices and their as-of date and source.")
    p.add_argument("tickers", nargs="+", metavar="TICKER")
    p.add_argument("--start", help="first date (YYYY-MM-DD)")
    p.add_argument("--end", help="last date (YYYY-MM-DD)")
    p.add_argument("--adjust", choices=("total", "split"), default="total",
                   help="total: dividends reinvested (default); split: split-adjusted close")
    p.add_argument("--source", choices=("auto", "snapshot", "cache", "yfinance"), default="auto",
                   help="where prices come from (default auto: cache, live refresh, then snapshot)")
    p.add_argument("--rows", type=int, default=10, help="number of rows to print (default 10)")
    p.add_argument("--allow-mixed-currency", action="store_true",
                   help="allow KRW and USD listings in one table (no conversion)")
    p.add_argument("--cache-dir", help="cache folder")
    p.set_defaults(func=_show)


def _print_warnings(caught: list[warnings.WarningMessage]) -> None:
    seen = set()
    for w in caught:
        text = str(w.message)
        if text not in seen:
            seen.add(text)
            print(f"esglib: warning: {text}", file=sys.stderr)


def _default_tickers() -> list[str]:
    from esglib.app import bundled
    from esglib.market import BENCHMARK_ETFS

    names = [str(t).upper() for t in bundled.companies()["yahoo_ticker"] if str(t).strip()]
    return list(dict.fromkeys([*names, *BENCHMARK_ETFS]))


def _refresh(args: argparse.Namespace) -> int:
    import pandas as pd
    from tqdm import tqdm

    from esglib.errors import MarketDataError
    from esglib.market import refresh_cache, resolve_cache_dir

    tickers = [t.upper() for t in args.tickers] or _default_tickers()
    root = resolve_cache_dir(args.cache_dir)
    results = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bar = tqdm(tickers, desc="prices", unit="ticker", disable=args.quiet, file=sys.stderr)
        try:
            for t in bar:
                bar.set_postfix_str(t)
                try:
                    results.append(refresh_cache([t], args.start, args.end, cache_dir=root))
                except MarketDataError as exc:
                    if not results or all(r["status"].eq("failed").all() for r in results):
                        raise
                    results.append(pd.DataFrame([{"ticker": t, "status": "failed", "first": pd.NaT,
                                                  "last": pd.NaT, "rows": 0, "message": str(exc)}]))
        finally:
            bar.close()
    _print_warnings(caught)
    table = pd.concat(results, ignore_index=True)
    shown = table.assign(first=table["first"].dt.strftime("%Y-%m-%d"), last=table["last"].dt.strftime("%Y-%m-%d"),
                         message=table["message"].str.slice(0, 80))
    print(shown.to_string(index=False, na_rep="-"))
    print(f"\ncache folder: {root / 'prices'}")
    failed = table[table["status"] == "failed"]
    if len(failed):
        print(f"esglib: {len(failed)} of {len(table)} tickers failed: {', '.join(failed['ticker'])}", file=sys.stderr)
        return 1
    return 0


def _info(args: argparse.Namespace) -> int:
    import os

    import pandas as pd

    from esglib.market import cache_info, resolve_cache_dir, snapshot_info

    root = resolve_cache_dir(args.cache_dir)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        snap = snapshot_info()
        cached = cache_info(root)
    _print_warnings(caught)
    folder = root / "prices"
    if folder.is_dir():
        state = "writable" if os.access(folder, os.W_OK) else "read-only"
        print(f"cache folder: {folder} ({len(cached)} files, {state})")
    else:
        print(f"cache folder: {folder} (empty: not created yet; `esglib prices refresh` fills it)")
    print(f"bundled snapshot: {len(snap)} tickers, as of {snap.attrs['as_of']} (data/prices/snapshot.parquet)\n")
    rows = []
    in_cache = {r.ticker: r for r in cached.itertuples() if r.status == "ok"}
    for r in snap.itertuples():
        c = in_cache.pop(r.ticker, None)
        if c is not None:
            rows.append({"ticker": r.ticker, "first": c.first, "last": c.last, "rows": c.rows, "source": "cache",
                         "as_of": c.coverage_end, "currency": r.currency})
        else:
            rows.append({"ticker": r.ticker, "first": r.first, "last": r.last, "rows": r.rows, "source": "snapshot",
                         "as_of": pd.Timestamp(snap.attrs["as_of"]), "currency": r.currency})
    for t, c in sorted(in_cache.items()):
        rows.append({"ticker": t, "first": c.first, "last": c.last, "rows": c.rows, "source": "cache",
                     "as_of": c.coverage_end, "currency": ""})
    for r in cached.itertuples():
        if r.status != "ok":
            rows.append({"ticker": r.ticker, "first": pd.NaT, "last": pd.NaT, "rows": 0, "source": "cache (corrupt)",
                         "as_of": pd.NaT, "currency": ""})
    table = pd.DataFrame(rows)
    for col in ("first", "last", "as_of"):
        table[col] = pd.to_datetime(table[col]).dt.strftime("%Y-%m-%d")
    print(table.to_string(index=False, na_rep="-"))
    return 0


def _show(args: argparse.Namespace) -> int:
    import pandas as pd

    from esglib.errors import ConfigError, MarketDataError
    from esglib.market import prices

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = prices(args.tickers, start=args.start, end=args.end, source=args.source, adjust=args.adjust,
                           cache_dir=args.cache_dir, allow_mixed_currency=args.allow_mixed_currency)
        except ConfigError as exc:  # in the command line's terms
            if len(exc.args) == 1:
                exc.args = (str(exc.args[0]).replace("pass allow_mixed_currency=True", "add --allow-mixed-currency")
                            .replace("(attrs['currency'] then names the currency of every column)",
                                     "(the output then names each column's currency)"),)
            raise
        except MarketDataError as exc:  # the error first, then what was noticed on the way
            notes = list(dict.fromkeys(str(w.message) for w in caught))
            if notes and len(exc.args) == 1:
                exc.args = (str(exc.args[0]) + "".join(f"\n  note: {n}" for n in notes),)
            raise
    _print_warnings(caught)
    rows = max(int(args.rows), 1)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(frame.tail(rows).to_string(float_format=lambda v: f"{v:,.4f}"))
    cur = frame.attrs.get("currency")
    cur_text = cur if isinstance(cur, str) else ", ".join(f"{t} {c}" for t, c in cur.items())
    adjust = "total return (dividends reinvested)" if args.adjust == "total" else "split-adjusted close"
    sources = frame.attrs.get("sources", {})
    src = frame.attrs["source"] if frame.attrs["source"] != "mixed" else ", ".join(
        f"{t}: {s}" for t, s in sources.items())
    print(f"\nas of {frame.attrs['as_of']} | source: {src} | {adjust} | currency: {cur_text}")
    return 0
