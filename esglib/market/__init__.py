"""Market data: symbols, snapshot, cache, the Yahoo client (the only yfinance user), prices, returns, market caps."""

from __future__ import annotations

from esglib.market._cache import cache_info, resolve_cache_dir
from esglib.market._caps import market_caps
from esglib.market._prices import prices, refresh_cache, returns
from esglib.market._snapshot import load_snapshot, snapshot_as_of, snapshot_dividends, snapshot_info, total_return_index
from esglib.market._symbols import BENCHMARK_ETFS, DEFAULT_START, SNAPSHOT_DIR, MarketDataWarning
from esglib.market._validate import validate_price_rows

__all__ = [
    "cache_info",
    "resolve_cache_dir",
    "market_caps",
    "prices",
    "returns",
    "refresh_cache",
    "snapshot_info",
    "snapshot_as_of",
    "load_snapshot",
    "snapshot_dividends",
    "total_return_index",
    "SNAPSHOT_DIR",
    "MarketDataWarning",
    "BENCHMARK_ETFS",
    "DEFAULT_START",
    "validate_price_rows",
]
