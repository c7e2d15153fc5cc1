"""The Yahoo Finance client: the only module that imports yfinance (downloads, error classification)."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from esglib.market._symbols import _iso

__all__ = []


_RATE_LIMIT_PATTERNS = ("YFRateLimitError", "Too Many Requests", "Rate limited", "429")
_NETWORK_PATTERNS = ("DNSError", "Could not resolve", "Failed to perform", "ConnectionError", "ConnectTimeout",
                     "Connection refused", "Network is unreachable", "timed out", "Timeout", "SSLError",
                     "curl: (", "Max retries exceeded", "NameResolution", "Temporary failure in name resolution")


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


def _default_ticker_factory() -> Callable[..., Any]:
    """``yfinance.Ticker`` (imported on first use: yfinance is slow to import)."""
    import yfinance as yf

    return yf.Ticker


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
