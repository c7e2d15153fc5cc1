"""Benchmark of esglib.market (issue 3 target: each load under 0.5 s, best of 5).

Loads all 67 bundled tickers (2018-01-02 .. 2026-05-29, about 127,000 rows) as one wide total-return frame:

* ``snapshot (cold)``: read, validate, adjust and pivot ``data/prices/snapshot.parquet``. The in-process memo is
  cleared before every run, so each run reads from disk.
* ``snapshot (memoised)``: the same call again within one process.
* ``cache (warm)``: 67 per-ticker Parquet files in a temporary cache folder, read and validated on every call.
* ``auto (cache complete)``: ``source="auto"`` when the cache already covers the range, so nothing is fetched.

The cache is filled offline from the snapshot through an injected downloader; no network is used.
Run: ``.venv/bin/python benchmarks/bench_market.py [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from esglib import market  # noqa: E402

TARGET_S = 0.5
END = "2026-05-29"


def snapshot_downloader(rows: pd.DataFrame, dividends: pd.DataFrame) -> Callable[..., pd.DataFrame]:
    """A stand-in for yf.download serving snapshot rows in yfinance's (Price, Ticker) layout."""

    def download(tickers, start=None, end=None, **kwargs):
        parts = {}
        for t in tickers:
            r = rows[(rows["ticker"] == t) & (rows["date"] >= start) & (rows["date"] < end)]
            d = dividends[dividends["ticker"] == t].set_index("date")["dividend"]
            idx = pd.DatetimeIndex(r["date"], name="Date")
            parts[t] = pd.DataFrame({"Open": r["open"].to_numpy(), "High": r["high"].to_numpy(),
                                     "Low": r["low"].to_numpy(), "Close": r["close"].to_numpy(),
                                     "Adj Close": r["close"].to_numpy(), "Volume": r["volume"].to_numpy(),
                                     "Dividends": d.reindex(idx).fillna(0.0).to_numpy(), "Stock Splits": 0.0},
                                    index=idx)
        data = pd.concat(parts, axis=1, names=["Ticker", "Price"])
        return data.swaplevel(0, 1, axis=1).sort_index(axis=1)

    return download


def best_of(fn: Callable[[], object], repeat: int, before: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(repeat):
        if before:
            before()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    tickers = market.snapshot_info()["ticker"].tolist()
    kw = {"allow_mixed_currency": True, "adjust": "total"}
    results: list[tuple[str, float, tuple[int, int]]] = []

    def clear_memo() -> None:
        from esglib.market import _snapshot

        _snapshot._SNAPSHOT_MEMO.clear()

    frame = market.prices(tickers, source="snapshot", **kw)
    t = best_of(lambda: market.prices(tickers, source="snapshot", **kw), args.repeat, clear_memo)
    results.append(("snapshot (cold)", t, frame.shape))
    t = best_of(lambda: market.prices(tickers, source="snapshot", **kw), args.repeat)
    results.append(("snapshot (memoised)", t, frame.shape))

    with tempfile.TemporaryDirectory(prefix="esglib-bench-") as tmp:
        rows = market.load_snapshot()
        download = snapshot_downloader(rows, market.snapshot_dividends())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", market.MarketDataWarning)
            market.refresh_cache(tickers, "2018-01-01", END, cache_dir=tmp, downloader=download)
        files = list((Path(tmp) / "prices").glob("*.parquet"))
        cached = market.prices(tickers, source="cache", cache_dir=tmp, **kw)
        assert cached.shape == frame.shape, (cached.shape, frame.shape)
        t = best_of(lambda: market.prices(tickers, source="cache", cache_dir=tmp, **kw), args.repeat)
        results.append((f"cache (warm, {len(files)} files)", t, cached.shape))

        def no_network(*a, **k):
            raise AssertionError("the cache covers the range: nothing should be fetched")

        t = best_of(lambda: market.prices(tickers, "2018-01-01", END, source="auto", cache_dir=tmp,
                                          downloader=no_network, **kw), args.repeat)
        results.append(("auto (cache complete)", t, cached.shape))

    print(f"esglib.market load of {len(tickers)} tickers, best of {args.repeat} (target < {TARGET_S} s)\n")
    print(f"{'source':28s} {'seconds':>8s} {'frame':>12s}  result")
    for name, secs, shape in results:
        verdict = "PASS" if secs < TARGET_S else "MISS"
        print(f"{name:28s} {secs:8.3f} {f'{shape[0]}x{shape[1]}':>12s}  {verdict}")
    return 0 if all(secs < TARGET_S for _, secs, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
