"""Ticker symbols: normalisation, listing currency and trading calendar, and the market-data constants."""

from __future__ import annotations

import datetime as _dt
import re
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from esglib.errors import ConfigError
from esglib.inputs import DATA_DIR

__all__ = ['SNAPSHOT_DIR', 'MarketDataWarning', 'BENCHMARK_ETFS', 'DEFAULT_START']


#: the bundled price snapshot folder
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
