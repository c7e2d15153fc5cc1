"""Tests of esglib.market (prices, cache, snapshot, returns, market caps) and ``esglib prices``.

No test touches the network: an autouse fixture makes every socket connection fail, and yfinance is exercised
through its own parsing code with only its HTTP layer replaced by responses shaped like Yahoo's chart API
(``tests/fixtures/market/``; the rows come from the bundled snapshot), or through an injected downloader.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esglib import market
from esglib.errors import ConfigError, DataValidationError, MarketDataError
from esglib.market import MarketDataWarning

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "market"
AS_OF = "2026-05-29"


# --------------------------------------------------------------------------------------------- guards
@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any real connection attempt fails loudly: the tests prove they run offline."""

    def refuse(*args, **kwargs):
        raise OSError("network access is disabled in tests/test_market.py")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    try:  # yfinance's HTTP backend talks through libcurl, not Python sockets: block it too
        from curl_cffi.requests import Session

        monkeypatch.setattr(Session, "request", refuse)
    except ImportError:  # pragma: no cover
        pass


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Every test gets its own cache folder (never the user's) and no offline switch."""
    folder = tmp_path / "esglib-cache"
    monkeypatch.setenv("ESGLIB_CACHE_DIR", str(folder))
    monkeypatch.delenv("ESGLIB_OFFLINE", raising=False)
    return folder


@pytest.fixture(scope="module")
def snapshot_rows() -> pd.DataFrame:
    return market.load_snapshot()


def no_sleep(seconds: float) -> None:
    return None


# --------------------------------------------------------------------------------------------- fake Yahoo (HTTP)
TEMPLATE = json.loads((FIXTURES / "chart_AAPL_2024-02-05_2024-02-16.json").read_text())
NOT_FOUND = (FIXTURES / "chart_not_found.json").read_text()


class FakeResponse:
    def __init__(self, status: int, text: str, url: str):
        self.status_code = status
        self.text = text
        self.url = url

    def json(self):
        return json.loads(self.text)

    def raise_for_status(self):
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code} for {self.url}")


class FakeYahoo:
    """Serves Yahoo chart-API JSON built from snapshot rows; records every request.

    mode: "ok", "down" (connection error) or "rate_limit" (HTTP 429 for the first ``limit_count`` chart requests).
    """

    def __init__(self, rows: pd.DataFrame):
        self.rows = rows
        self.divs = market.snapshot_dividends()
        self.mode = "ok"
        self.limit_count = 10**9
        self.calls: list[tuple[str, dict]] = []
        self.lock = threading.Lock()

    def tz(self, ticker: str) -> str:
        return "Asia/Seoul" if ticker.endswith(".KS") else "America/New_York"

    def chart(self, ticker: str, params: dict) -> dict:
        tz = self.tz(ticker)
        r = self.rows[self.rows["ticker"] == ticker]
        d = self.divs[self.divs["ticker"] == ticker]
        if "period1" in params:
            lo = pd.Timestamp(params["period1"], unit="s", tz="UTC").tz_convert(tz).tz_localize(None)
            hi = pd.Timestamp(params["period2"], unit="s", tz="UTC").tz_convert(tz).tz_localize(None)
            r = r[(r["date"] >= lo) & (r["date"] < hi)]
            d = d[(d["date"] >= lo) & (d["date"] < hi)]
        else:  # range=1d: the last bar (what yfinance asks to learn the exchange time zone)
            r = r.tail(1)
            d = d.iloc[:0]
        hh, mm = (9, 0) if tz == "Asia/Seoul" else (9, 30)

        def stamp(day):
            return int(pd.Timestamp(day).replace(hour=hh, minute=mm).tz_localize(tz).timestamp())

        meta = json.loads(json.dumps(TEMPLATE["chart"]["result"][0]["meta"]))
        meta.update(symbol=ticker, exchangeTimezoneName=tz, currency="KRW" if tz == "Asia/Seoul" else "USD",
                    instrumentType="ETF" if ticker in market.BENCHMARK_ETFS else "EQUITY")
        result: dict = {"meta": meta}
        if len(r):
            stamps = [stamp(x) for x in r["date"]]
            close = r["close"].to_numpy()
            adj = market.total_return_index(pd.Series(close, index=pd.DatetimeIndex(r["date"])),
                                            pd.Series(d["dividend"].to_numpy(), index=pd.DatetimeIndex(d["date"])))
            result["timestamp"] = stamps
            if len(d):
                result["events"] = {"dividends": {str(stamp(x)): {"amount": float(a), "date": stamp(x)}
                                                  for x, a in zip(d["date"], d["dividend"], strict=True)}}
            result["indicators"] = {
                "quote": [{c: [float(v) for v in r[c]] for c in ("open", "high", "low", "close")}
                          | {"volume": [int(v) for v in r["volume"]]}],
                "adjclose": [{"adjclose": [float(v) for v in adj]}]}
        else:  # Yahoo's answer for a range without bars: meta only, empty quote
            result["indicators"] = {"quote": [{}], "adjclose": [{}]}
        return {"chart": {"result": [result], "error": None}}

    def get(self, session, url, params=None, timeout=None, **kwargs):
        params = dict(params or {})
        with self.lock:
            self.calls.append((url, params))
        if self.mode == "down":
            raise ConnectionError("Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com")
        if "/v8/finance/chart/" not in url:
            return FakeResponse(404, NOT_FOUND, url)
        ticker = url.rsplit("/", 1)[1]
        if self.mode == "rate_limit":
            with self.lock:
                limited = self.limit_count > 0
                self.limit_count -= 1
            if limited:
                return FakeResponse(429, "Too Many Requests", url)
        if ticker not in set(self.rows["ticker"].cat.categories):
            return FakeResponse(404, NOT_FOUND, url)
        return FakeResponse(200, json.dumps(self.chart(ticker, params)), url)

    def chart_calls(self, ticker: str, dated: bool = True) -> list[dict]:
        return [p for u, p in self.calls if u.endswith(f"/chart/{ticker}") and (not dated or "period1" in p)]

    def requested_days(self, ticker: str) -> list[tuple[str, str]]:
        tz = self.tz(ticker)
        return [(str(pd.Timestamp(p["period1"], unit="s", tz="UTC").tz_convert(tz).date()),
                 str(pd.Timestamp(p["period2"], unit="s", tz="UTC").tz_convert(tz).date()))
                for p in self.chart_calls(ticker)]


@pytest.fixture
def yahoo(monkeypatch, snapshot_rows):
    """Replace only yfinance's HTTP layer (session GET, cookie/crumb fetch, tz cache) with :class:`FakeYahoo`."""
    import yfinance  # noqa: F401  (the real package, with its real parsing)
    from yfinance import _http, cache
    from yfinance.data import YfData

    fake = FakeYahoo(snapshot_rows)
    monkeypatch.setattr(_http.requests.Session, "get", lambda self, url, **kw: fake.get(self, url, **kw))
    monkeypatch.setattr(YfData, "_get_cookie_and_crumb", lambda self, timeout=30: (None, "basic"))
    monkeypatch.setattr(cache, "get_tz_cache", lambda: cache._TzCacheDummy())  # keep yfinance off the disk
    YfData.cache_get.cache_clear()
    yield fake
    YfData.cache_get.cache_clear()


def snapshot_close(rows: pd.DataFrame, tickers: list[str], start: str, end: str) -> pd.DataFrame:
    sub = rows[rows["ticker"].isin(tickers) & (rows["date"] >= start) & (rows["date"] <= end)]
    wide = sub.assign(ticker=sub["ticker"].astype(str)).pivot(index="date", columns="ticker", values="close")
    return wide[tickers]


# --------------------------------------------------------------------------------------------- fake downloader
class FakeDownloader:
    """A callable with yf.download's signature returning yfinance-shaped frames from snapshot rows."""

    def __init__(self, rows: pd.DataFrame, fail: list[BaseException] | None = None, empty: tuple[str, ...] = ()):
        self.rows = rows
        self.divs = market.snapshot_dividends()
        self.fail = list(fail or [])
        self.empty = set(empty)
        self.calls: list[dict] = []

    def __call__(self, tickers, start=None, end=None, **kwargs):
        self.calls.append({"tickers": list(tickers), "start": start, "end": end, **kwargs})
        if self.fail:
            raise self.fail.pop(0)
        parts = {}
        for t in tickers:
            r = self.rows[(self.rows["ticker"] == t) & (self.rows["date"] >= start) & (self.rows["date"] < end)]
            d = self.divs[(self.divs["ticker"] == t) & (self.divs["date"] >= start) & (self.divs["date"] < end)]
            frame = pd.DataFrame({"Adj Close": r["close"].to_numpy(), "Close": r["close"].to_numpy(),
                                  "Dividends": 0.0, "High": r["high"].to_numpy(), "Low": r["low"].to_numpy(),
                                  "Open": r["open"].to_numpy(), "Stock Splits": 0.0,
                                  "Volume": r["volume"].to_numpy()}, index=pd.DatetimeIndex(r["date"], name="Date"))
            frame.loc[frame.index.isin(d["date"]), "Dividends"] = d.set_index("date")["dividend"]
            if t in self.empty or t not in set(self.rows["ticker"].cat.categories):
                frame = frame.iloc[:0]
            parts[t] = frame
        idx = sorted(set().union(*[set(f.index) for f in parts.values()])) if parts else []
        data = pd.concat({t: f.reindex(idx) for t, f in parts.items()}, axis=1, names=["Ticker", "Price"])
        return data.swaplevel(0, 1, axis=1).sort_index(axis=1)  # yfinance's (Price, Ticker) layout


class RateLimited(Exception):
    """Stand-in named like yfinance.exceptions.YFRateLimitError (matched by class name)."""


RateLimited.__name__ = "YFRateLimitError"


# --------------------------------------------------------------------------------------------- yfinance path
def test_frozen_chart_fixture_parses_through_yfinance(yahoo, snapshot_rows):
    """The recorded-shape fixture goes through yfinance's own parser and comes out as the snapshot rows."""
    frame = market.prices("AAPL", "2024-02-05", "2024-02-16", source="yfinance", adjust="split", sleep=no_sleep)
    expected = snapshot_close(snapshot_rows, ["AAPL"], "2024-02-05", "2024-02-16")
    pd.testing.assert_frame_equal(frame, expected, check_names=False, check_freq=False)
    frozen = TEMPLATE["chart"]["result"][0]
    served = yahoo.chart("AAPL", yahoo.chart_calls("AAPL")[0])["chart"]["result"][0]
    assert served["timestamp"] == frozen["timestamp"]
    assert served["indicators"]["quote"] == frozen["indicators"]["quote"]
    assert served["events"] == frozen["events"]


def test_yfinance_several_tickers_through_http_layer(yahoo, snapshot_rows, isolated_cache):
    tickers = ["AAPL", "MSFT", "NVDA"]
    frame = market.prices(tickers, "2024-01-02", "2024-03-28", source="yfinance", adjust="split", sleep=no_sleep)
    expected = snapshot_close(snapshot_rows, tickers, "2024-01-02", "2024-03-28")
    pd.testing.assert_frame_equal(frame, expected, check_names=False, check_freq=False)
    assert frame.dtypes.eq("float64").all() and isinstance(frame.index, pd.DatetimeIndex)
    assert frame.attrs["source"] == "yfinance" and frame.attrs["as_of"] == "2024-03-28"
    for t in tickers:
        assert yahoo.requested_days(t) == [("2024-01-02", "2024-03-29")]  # end is exclusive in yfinance
        assert (isolated_cache / "prices" / f"{t}.parquet").exists()


def test_yfinance_single_ticker_through_http_layer_total_return(yahoo, snapshot_rows):
    live = market.prices(["AAPL"], "2023-12-01", "2024-03-28", source="yfinance", sleep=no_sleep)
    snap = market.prices(["AAPL"], "2023-12-01", "2024-03-28", source="snapshot")
    assert list(live.columns) == ["AAPL"] and len(live) == len(snap)
    # dividends inside the window (2024-02-09) are applied the same way; levels differ by later dividends only
    pd.testing.assert_frame_equal(market.returns(live), market.returns(snap), check_exact=False, rtol=1e-12,
                                  atol=1e-14, check_freq=False)
    split = market.prices(["AAPL"], "2023-12-01", "2024-03-28", source="cache", adjust="split")
    assert (live["AAPL"] < split["AAPL"]).loc[:"2024-02-08"].all()
    assert np.allclose(live["AAPL"].loc["2024-02-09":], split["AAPL"].loc["2024-02-09":])


def test_missing_ticker_is_named_never_an_all_nan_column(yahoo):
    with pytest.warns(MarketDataWarning, match=r"no prices for NOPE"):
        frame = market.prices(["AAPL", "NOPE"], "2024-01-02", "2024-01-31", source="yfinance", sleep=no_sleep)
    assert list(frame.columns) == ["AAPL"] and frame.attrs["missing"] == ["NOPE"]
    with pytest.raises(MarketDataError, match="NOPE"):
        market.prices(["NOPE"], "2024-01-02", "2024-01-31", source="yfinance", sleep=no_sleep)
    with pytest.raises(MarketDataError, match="NOPE.*not in the bundled snapshot"):
        market.prices(["NOPE"], "2024-01-02", "2024-01-31", source="auto", sleep=no_sleep)


def test_rate_limit_retries_then_falls_back_to_snapshot_with_as_of(yahoo):
    yahoo.mode = "rate_limit"
    slept: list[float] = []
    with pytest.warns(MarketDataWarning, match=rf"snapshot as of {AS_OF}.*rate limit"):
        frame = market.prices(["NVDA", "AAPL"], "2024-01-02", "2024-01-31", source="auto", retries=2,
                              sleep=slept.append)
    assert slept == [1.0, 2.0]  # exponential backoff, bounded
    assert frame.attrs["source"] == "snapshot" and frame.attrs["as_of"] == "2024-01-31"
    assert len(yahoo.chart_calls("NVDA", dated=False)) >= 3  # first try + two retries


def test_rate_limit_then_success_with_injected_downloader(snapshot_rows):
    dl = FakeDownloader(snapshot_rows, fail=[RateLimited("Too Many Requests. Rate limited.")])
    slept: list[float] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", MarketDataWarning)  # a recovered rate limit is no fallback
        frame = market.prices(["AAPL", "MSFT"], "2024-01-02", "2024-02-29", downloader=dl, sleep=slept.append)
    assert slept == [1.0] and len(dl.calls) == 2 and frame.attrs["source"] == "yfinance"
    assert dl.calls[0]["auto_adjust"] is False and dl.calls[0]["progress"] is False


def test_rate_limit_exhausted_on_explicit_yfinance_source_raises(snapshot_rows):
    dl = FakeDownloader(snapshot_rows, fail=[RateLimited("Too Many Requests")] * 5)
    with pytest.raises(MarketDataError, match=rf"rate-limit.*as of {AS_OF}"):
        market.prices("AAPL", "2024-01-02", "2024-01-31", source="yfinance", downloader=dl, retries=1,
                      sleep=no_sleep)
    assert len(dl.calls) == 2


def test_auto_without_network_falls_back_to_snapshot(yahoo):
    yahoo.mode = "down"
    with pytest.warns(MarketDataWarning, match=rf"snapshot as of {AS_OF} for NVDA.*unreachable"):
        frame = market.prices("NVDA", sleep=no_sleep)
    assert frame.attrs["source"] == "snapshot" and frame.attrs["as_of"] == AS_OF
    assert frame.index[-1] == pd.Timestamp(AS_OF)


def test_auto_falls_back_to_partial_cache_with_its_as_of(yahoo):
    market.prices("AAPL", "2024-01-02", "2024-02-29", sleep=no_sleep)
    yahoo.mode = "down"
    with pytest.warns(MarketDataWarning, match=r"falling back to cached prices as of 2024-02-29 \(AAPL 2024-01-02"):
        frame = market.prices("AAPL", "2024-01-02", "2024-03-28", sleep=no_sleep)
    assert frame.index[-1] == pd.Timestamp("2024-02-29") and frame.attrs["as_of"] == "2024-02-29"
    assert frame.attrs["source"] == "cache"
    # a cache with no rows in the requested range gives way to the snapshot, again with a warning
    with pytest.warns(MarketDataWarning, match=f"snapshot as of {AS_OF} for AAPL"):
        old = market.prices("AAPL", "2019-01-02", "2019-01-31", sleep=no_sleep)
    assert old.attrs["source"] == "snapshot" and len(old) == 21


def test_korean_listing_through_http_layer(yahoo, snapshot_rows):
    frame = market.prices("005930.KS", "2024-01-02", "2024-02-29", source="yfinance", adjust="split", sleep=no_sleep)
    expected = snapshot_close(snapshot_rows, ["005930.KS"], "2024-01-02", "2024-02-29")
    pd.testing.assert_frame_equal(frame, expected, check_names=False, check_freq=False)
    assert frame.attrs["currency"] == "KRW"
    assert yahoo.requested_days("005930.KS") == [("2024-01-02", "2024-03-01")]


def test_offline_switch_skips_the_network_but_still_warns(monkeypatch, snapshot_rows):
    monkeypatch.setenv("ESGLIB_OFFLINE", "1")
    dl = FakeDownloader(snapshot_rows)
    with pytest.warns(MarketDataWarning, match=f"as of {AS_OF}"):
        market.prices("NVDA", downloader=dl)
    assert dl.calls == []


def test_partial_refresh_fetches_only_the_gap(yahoo, snapshot_rows):
    market.prices("AAPL", "2024-01-02", "2024-02-29", source="auto", sleep=no_sleep)
    assert yahoo.requested_days("AAPL") == [("2024-01-02", "2024-03-01")]
    yahoo.calls.clear()
    frame = market.prices("AAPL", "2024-01-02", "2024-03-28", source="auto", adjust="split", sleep=no_sleep)
    assert yahoo.requested_days("AAPL") == [("2024-03-01", "2024-03-29")]  # only the missing tail
    pd.testing.assert_frame_equal(frame, snapshot_close(snapshot_rows, ["AAPL"], "2024-01-02", "2024-03-28"),
                                  check_names=False, check_freq=False)
    yahoo.calls.clear()
    market.prices("AAPL", "2024-01-02", "2024-03-28", source="auto", sleep=no_sleep)
    assert yahoo.calls == []  # fully cached: no request at all
    frame = market.prices("AAPL", "2023-11-01", "2024-03-28", source="auto", adjust="split", sleep=no_sleep)
    # before the cache: the missing head plus the first cached day as an anchor
    assert yahoo.requested_days("AAPL") == [("2023-11-01", "2024-01-03")]
    pd.testing.assert_frame_equal(frame, snapshot_close(snapshot_rows, ["AAPL"], "2023-11-01", "2024-03-28"),
                                  check_names=False, check_freq=False)


def test_partial_refresh_requests_exact_range_with_downloader(snapshot_rows):
    dl = FakeDownloader(snapshot_rows)
    market.prices(["AAPL", "MSFT"], "2024-01-02", "2024-02-29", downloader=dl)
    market.prices(["AAPL", "MSFT"], "2024-01-02", "2024-03-28", downloader=dl)
    assert [(c["start"], c["end"], sorted(c["tickers"])) for c in dl.calls] == [
        ("2024-01-02", "2024-03-01", ["AAPL", "MSFT"]), ("2024-03-01", "2024-03-29", ["AAPL", "MSFT"])]


def test_split_in_new_range_rescales_cached_rows(snapshot_rows, isolated_cache):
    dl = FakeDownloader(snapshot_rows)
    market.prices("AAPL", "2024-01-02", "2024-02-29", downloader=dl, adjust="split")

    def with_split(tickers, start=None, end=None, **kw):  # a 2:1 split on 2024-03-01
        data = dl(tickers, start=start, end=end, **kw)
        for col in ("Open", "High", "Low", "Close", "Adj Close"):
            data[(col, "AAPL")] = data[(col, "AAPL")] / 2
        data.loc[pd.Timestamp("2024-03-01"), ("Stock Splits", "AAPL")] = 2.0
        return data

    frame = market.prices("AAPL", "2024-01-02", "2024-03-28", downloader=with_split, adjust="split")
    expected = snapshot_close(snapshot_rows, ["AAPL"], "2024-01-02", "2024-03-28") / 2
    pd.testing.assert_frame_equal(frame, expected, check_names=False, check_freq=False)


def test_corrupt_cache_file_is_discarded_and_refetched(yahoo, isolated_cache, snapshot_rows):
    market.prices("MSFT", "2024-01-02", "2024-01-31", source="auto", sleep=no_sleep)
    path = isolated_cache / "prices" / "MSFT.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    yahoo.calls.clear()
    from yfinance.data import YfData

    YfData.cache_get.cache_clear()  # yfinance's own in-memory response cache would answer otherwise
    with pytest.warns(MarketDataWarning, match="discarded corrupt cache file .*MSFT.parquet"):
        frame = market.prices("MSFT", "2024-01-02", "2024-01-31", source="auto", adjust="split", sleep=no_sleep)
    assert yahoo.requested_days("MSFT") == [("2024-01-02", "2024-02-01")]
    pd.testing.assert_frame_equal(frame, snapshot_close(snapshot_rows, ["MSFT"], "2024-01-02", "2024-01-31"),
                                  check_names=False, check_freq=False)
    assert market.cache_info()["status"].tolist() == ["ok"]


def test_cache_with_bad_rows_is_corrupt_and_offline_falls_back(snapshot_rows, isolated_cache):
    dl = FakeDownloader(snapshot_rows)
    market.prices("MSFT", "2024-01-02", "2024-01-31", downloader=dl)
    path = isolated_cache / "prices" / "MSFT.parquet"
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    close = table.column("close").to_numpy().copy()
    close[3] = -1.0
    pq.write_table(table.set_column(table.column_names.index("close"), "close", [close]), path)
    assert market.cache_info()["status"].tolist() == ["corrupt"]
    down = FakeDownloader(snapshot_rows, fail=[ConnectionError("Could not resolve host")] * 3)
    with pytest.warns(MarketDataWarning) as record:
        frame = market.prices("MSFT", "2024-01-02", "2024-01-31", downloader=down, sleep=no_sleep)
    text = " | ".join(str(w.message) for w in record)
    assert "discarded corrupt cache file" in text and "close price must be positive" in text
    assert f"snapshot as of {AS_OF}" in text and frame.attrs["source"] == "snapshot"


def test_unwritable_cache_folder_warns_and_continues(snapshot_rows, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    dl = FakeDownloader(snapshot_rows)
    with pytest.warns(MarketDataWarning, match="not writable.*continuing without caching"):
        frame = market.prices("AAPL", "2024-01-02", "2024-01-31", downloader=dl, cache_dir=blocker / "cache")
    assert frame.attrs["source"] == "yfinance" and len(frame) == 21
    with pytest.raises(MarketDataError, match="not writable"), pytest.warns(MarketDataWarning):
        market.refresh_cache("AAPL", "2024-01-02", "2024-01-31", downloader=dl, cache_dir=blocker / "cache")


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
                    reason="root ignores folder permissions")
def test_read_only_cache_folder_warns(snapshot_rows, tmp_path):  # pragma: no cover - not run as root
    folder = tmp_path / "ro"
    (folder / "prices").mkdir(parents=True)
    (folder / "prices").chmod(0o500)
    try:
        with pytest.warns(MarketDataWarning, match="not writable"):
            market.prices("AAPL", "2024-01-02", "2024-01-31", downloader=FakeDownloader(snapshot_rows),
                          cache_dir=folder)
    finally:
        (folder / "prices").chmod(0o700)


def test_empty_and_all_nan_answers_are_named(snapshot_rows):
    dl = FakeDownloader(snapshot_rows, empty=("MSFT",))  # yfinance prints the failure and returns NaN columns
    with pytest.warns(MarketDataWarning, match=r"no prices for MSFT"):
        frame = market.prices(["AAPL", "MSFT"], "2024-01-02", "2024-01-31", source="yfinance", downloader=dl)
    assert list(frame.columns) == ["AAPL"]


def test_flat_single_ticker_frame_is_accepted(snapshot_rows):
    dl = FakeDownloader(snapshot_rows)

    def flat(tickers, **kw):
        return dl(tickers, **kw).droplevel(1, axis=1)

    frame = market.prices("NVDA", "2024-01-02", "2024-01-31", source="yfinance", downloader=flat, adjust="split")
    pd.testing.assert_frame_equal(frame, snapshot_close(snapshot_rows, ["NVDA"], "2024-01-02", "2024-01-31"),
                                  check_names=False, check_freq=False)


def test_cache_source_reads_without_network(snapshot_rows):
    dl = FakeDownloader(snapshot_rows)
    first = market.prices(["AAPL", "MSFT"], "2024-01-02", "2024-03-28", downloader=dl)
    again = market.prices(["AAPL", "MSFT"], "2024-01-02", "2024-03-28", source="cache")
    pd.testing.assert_frame_equal(first, again)
    assert again.attrs["source"] == "cache" and len(dl.calls) == 1
    with pytest.warns(MarketDataWarning, match="IBM"):
        market.prices(["AAPL", "IBM"], source="cache")


# --------------------------------------------------------------------------------------------- snapshot
def test_bundled_snapshot_is_valid_compact_and_dated(snapshot_rows):
    info = market.snapshot_info()
    assert len(info) == 67 and info.attrs["as_of"] == AS_OF == market.snapshot_as_of()
    assert set(info.columns) >= {"ticker", "first", "last", "rows", "currency", "source"}
    assert set(info.loc[info["currency"] == "KRW", "ticker"]) == {"005930.KS", "000660.KS"}
    assert info["last"].max() == pd.Timestamp(AS_OF) and info["first"].min() == pd.Timestamp("2018-01-02")
    assert snapshot_rows.attrs["as_of"] == AS_OF and len(snapshot_rows) == info["rows"].sum()
    folder = market.SNAPSHOT_DIR
    assert (folder / "snapshot.parquet").stat().st_size < 5_000_000
    for name in ("symbols.csv", "LICENSE.Apache-2.0.txt", "README.md", "build_snapshot.py", "dividends.parquet"):
        assert (folder / name).exists(), name
    import pyarrow.parquet as pq

    schema = pq.read_schema(folder / "snapshot.parquet")
    assert str(schema.field("close").type) == "float" and str(schema.field("date").type) == "date32[day]"


def write_rows(path: Path, rows: pd.DataFrame) -> Path:
    rows.to_parquet(path, index=False)
    return path


def three_tickers(snapshot_rows: pd.DataFrame) -> pd.DataFrame:
    sub = snapshot_rows[snapshot_rows["ticker"].isin(["AAPL", "MSFT", "NVDA"])
                        & (snapshot_rows["date"] >= "2024-01-02") & (snapshot_rows["date"] <= "2024-03-28")]
    out = sub.copy()
    out["ticker"] = out["ticker"].astype(str)
    return out.reset_index(drop=True)


@pytest.fixture
def good_dividends(tmp_path):
    path = tmp_path / "dividends.parquet"
    pd.DataFrame({"date": pd.to_datetime(["2024-02-09"]), "ticker": ["AAPL"], "dividend": [0.24]}).to_parquet(path)
    return path


def test_loader_accepts_a_clean_custom_snapshot(tmp_path, snapshot_rows, good_dividends):
    rows = three_tickers(snapshot_rows)
    out = market.load_snapshot(write_rows(tmp_path / "ok.parquet", rows), good_dividends)
    assert len(out) == len(rows)


def test_loader_rejects_duplicate_dates(tmp_path, snapshot_rows, good_dividends):
    rows = three_tickers(snapshot_rows)
    rows = pd.concat([rows, rows.iloc[[5]]], ignore_index=True)  # MSFT? no: row 5 of AAPL, appended at the end
    path = write_rows(tmp_path / "dup.parquet", rows)
    with pytest.raises(DataValidationError, match=rf"dup.parquet, row {len(rows)}, column date: duplicate date for "
                                                  r"AAPL \(same date as row 6\)"):
        market.load_snapshot(path, good_dividends)


def test_loader_rejects_non_positive_prices(tmp_path, snapshot_rows, good_dividends):
    rows = three_tickers(snapshot_rows)
    rows.loc[10, "close"] = 0.0
    rows.loc[20, "low"] = -3.5
    path = write_rows(tmp_path / "neg.parquet", rows)
    with pytest.raises(DataValidationError) as info:
        market.load_snapshot(path, good_dividends)
    text = str(info.value)
    assert "2 problems in" in text
    assert "neg.parquet, row 11, column close: close price must be positive (AAPL on" in text
    assert "row 21, column low: low price must be positive" in text and "(got -3.5)" in text


def test_loader_rejects_missing_price_as_gap(tmp_path, snapshot_rows, good_dividends):
    rows = three_tickers(snapshot_rows)
    rows.loc[7, "close"] = np.nan
    with pytest.raises(DataValidationError, match=r"row 8, column close: gap: close price is missing for AAPL"):
        market.load_snapshot(write_rows(tmp_path / "nan.parquet", rows), good_dividends)


def test_loader_rejects_missing_trading_day_against_market_calendar(tmp_path, snapshot_rows, good_dividends):
    rows = three_tickers(snapshot_rows)
    dropped = rows[(rows["ticker"] == "MSFT") & (rows["date"] == "2024-02-14")].index
    rows = rows.drop(dropped).reset_index(drop=True)
    with pytest.raises(DataValidationError, match=r"gap: 1 US trading day\(s\) missing for MSFT .*2024-02-14"):
        market.load_snapshot(write_rows(tmp_path / "hole.parquet", rows), good_dividends)


def test_loader_rejects_long_calendar_gap_for_a_lone_ticker(tmp_path, snapshot_rows, good_dividends):
    rows = three_tickers(snapshot_rows)
    rows = rows[(rows["ticker"] == "NVDA") & ~rows["date"].between("2024-02-05", "2024-02-14")]
    with pytest.raises(DataValidationError, match=r"gap: 13 calendar days since the previous row \(2024-02-02\) for "
                                                  r"NVDA; at most 7 allowed for a US listing"):
        market.load_snapshot(write_rows(tmp_path / "lone.parquet", rows.reset_index(drop=True)), good_dividends)


def test_validate_price_rows_reports_every_problem_and_keeps_input(snapshot_rows):
    rows = three_tickers(snapshot_rows)
    rows.loc[0, "ticker"] = " "
    rows.loc[1, "open"] = -1.0
    before = rows.copy()
    problems = market.validate_price_rows(rows, "frame.csv")
    assert [(p.row, p.column) for p in problems] == [(1, "ticker"), (2, "open")]
    pd.testing.assert_frame_equal(rows, before)
    assert market.validate_price_rows(rows.drop(columns="close"), "x")[0].rule == "required column is missing"


def test_unreadable_snapshot_file_is_a_validation_error(tmp_path, good_dividends):
    bad = tmp_path / "junk.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(DataValidationError, match="junk.parquet: not a readable Parquet file"):
        market.load_snapshot(bad, good_dividends)
    with pytest.raises(MarketDataError, match="not found"):
        market.load_snapshot(tmp_path / "absent.parquet", good_dividends)


# --------------------------------------------------------------------------------------------- total return
def test_total_return_hand_made_example():
    idx = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"])
    close = pd.Series([100.0, 102.0, 100.0, 101.0], index=idx)
    divs = pd.Series([2.0, 1.0], index=pd.to_datetime(["2024-01-04", "2024-01-06"]))  # second is after the data
    got = market.total_return_index(close, divs)
    f = 1 - 2.0 / 102.0  # ex-date 01-04: previous close 102 -> every earlier price times f
    expected = pd.Series([100.0 * f, 102.0 * f, 100.0, 101.0], index=idx)
    pd.testing.assert_series_equal(got, expected)
    # the total return from 01-03 to 01-04 is (100 + 2) / 102 - 1 = 0
    assert got.iloc[2] / got.iloc[1] - 1 == pytest.approx(0.0, abs=1e-15)
    non_trading = pd.Series([2.0], index=pd.to_datetime(["2024-01-03 12:00"]))  # applies from the next bar
    assert market.total_return_index(close, non_trading).iloc[0] == pytest.approx(100.0 * (1 - 2.0 / 102.0))


def test_total_return_matches_independent_computation_on_aapl(snapshot_rows):
    rows = snapshot_rows[snapshot_rows["ticker"] == "AAPL"].set_index("date")["close"]
    divs = market.snapshot_dividends()
    divs = divs[divs["ticker"] == "AAPL"].set_index("date")["dividend"]
    assert len(divs) >= 30
    independent = rows.copy()
    for ex_date, amount in divs.items():  # plain loop: multiply every earlier price on each ex-date
        earlier = rows.index < ex_date
        if earlier.any() and (~earlier).any():
            previous_close = rows[earlier].iloc[-1]
            independent[earlier] *= 1 - amount / previous_close
    total = market.prices("AAPL", source="snapshot", adjust="total")["AAPL"]
    split = market.prices("AAPL", source="snapshot", adjust="split")["AAPL"]
    np.testing.assert_allclose(total.to_numpy(), independent.to_numpy(), rtol=1e-12)
    cumulative = total / split  # == cumulative dividend factor, a step function changing on ex-dates only
    steps = cumulative.index[cumulative.diff().abs() > 1e-15]
    assert set(steps).issubset(set(divs.index)) and cumulative.iloc[-1] == 1.0
    assert total.iloc[0] < split.iloc[0] * 0.97  # 8 years of AAPL dividends: a few percent


def test_total_return_without_dividends_equals_split_close():
    total = market.prices("NVDA", "2025-01-02", "2025-03-31", source="snapshot", adjust="total")
    split = market.prices("NVDA", "2025-01-02", "2025-03-31", source="snapshot", adjust="split")
    assert np.allclose(total, split, rtol=1e-3) and total.attrs["adjust"] == "total"


# --------------------------------------------------------------------------------------------- currency
def test_mixing_krw_and_usd_is_refused_with_names():
    with pytest.raises(ConfigError, match=r"KRW: 005930.KS, 000660.KS; USD: NVDA"):
        market.prices(["NVDA", "005930.KS", "000660.KS"], source="snapshot")
    both = market.prices(["NVDA", "005930.KS"], source="snapshot", allow_mixed_currency=True)
    assert both.attrs["currency"] == {"NVDA": "USD", "005930.KS": "KRW"}
    with pytest.raises(ConfigError, match="across currencies"):
        market.returns(both)
    assert market.returns(both, "M", allow_mixed_currency=True).shape[1] == 2
    krw = market.prices(["005930.KS", "000660.KS"], source="snapshot")
    assert krw.attrs["currency"] == "KRW" and krw["005930.KS"].iloc[-1] > 1000


# --------------------------------------------------------------------------------------------- arguments
@pytest.mark.parametrize(("kwargs", "message"), [
    ({"source": "web"}, "`source` must be one of"),
    ({"adjust": "dividends"}, "`adjust` must be 'total' or 'split'"),
    ({"start": "2024-02-01", "end": "2024-01-01"}, "is after `end`"),
    ({"start": "yesterday-ish"}, "`start` must be a date"),
    ({"retries": -1}, "`retries`"),
])
def test_bad_arguments_raise_config_error(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        market.prices("AAPL", **kwargs)


def test_ticker_names_are_normalised():
    frame = market.prices("aapl, msft aapl", "2024-01-02", "2024-01-05", source="snapshot")
    assert list(frame.columns) == ["AAPL", "MSFT"]
    with pytest.raises(ConfigError, match="empty"):
        market.prices([], source="snapshot")
    with pytest.raises(ConfigError, match="not a Yahoo ticker"):
        market.prices(["AA PL/../x"], source="snapshot")


def test_snapshot_range_and_unknown_ticker_warning():
    with pytest.warns(MarketDataWarning, match="TCEHY.*not in the bundled snapshot"):
        frame = market.prices(["NVDA", "TCEHY"], "2024-01-02", "2024-01-31", source="snapshot")
    assert list(frame.columns) == ["NVDA"] and frame.index.min() >= pd.Timestamp("2024-01-02")
    assert frame.attrs["as_of"] == "2024-01-31" and frame.attrs["missing"] == ["TCEHY"]
    with pytest.raises(MarketDataError, match="CRWV"):  # listed in 2025: nothing in 2019
        market.prices("CRWV", "2019-01-01", "2019-12-31", source="snapshot")


# --------------------------------------------------------------------------------------------- returns
def test_returns_daily_weekly_monthly():
    px = market.prices(["AAPL", "MSFT"], "2024-01-02", "2024-03-28", source="snapshot", adjust="split")
    before = px.copy()
    daily = market.returns(px)
    assert len(daily) == len(px) - 1
    np.testing.assert_allclose(daily["AAPL"].iloc[0], px["AAPL"].iloc[1] / px["AAPL"].iloc[0] - 1)
    monthly = market.returns(px, "M")
    assert list(monthly.index.strftime("%Y-%m-%d")) == ["2024-01-31", "2024-02-29", "2024-03-31"]
    feb = px.loc["2024-02-29"] / px.loc["2024-01-31"] - 1
    np.testing.assert_allclose(monthly.loc["2024-02-29"], feb)
    weekly = market.returns(px, "W")
    assert (weekly.index.day_of_week == 4).all()
    pd.testing.assert_frame_equal(px, before)  # input untouched
    assert monthly.attrs["freq"] == "M" and monthly.attrs["source"] == "snapshot"
    assert isinstance(market.returns(px["AAPL"], "W"), pd.Series)


def test_returns_rejects_bad_input():
    px = pd.DataFrame({"A": [1.0, 0.0, 2.0]}, index=pd.date_range("2024-01-01", periods=3))
    with pytest.raises(DataValidationError, match="price must be positive"):
        market.returns(px)
    with pytest.raises(ConfigError, match="`freq`"):
        market.returns(px.abs() + 1, "Q")
    with pytest.raises(ConfigError, match="DatetimeIndex"):
        market.returns(pd.DataFrame({"A": [1.0, 2.0]}))


prices_paths = st.lists(st.floats(min_value=-0.2, max_value=0.2, allow_nan=False), min_size=2, max_size=120)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=prices_paths, holes=st.lists(st.integers(min_value=1, max_value=118), max_size=5),
       freq=st.sampled_from(["W", "M"]))
def test_resampling_compounds_daily_returns(steps, holes, freq):
    days = pd.bdate_range("2024-01-01", periods=len(steps))
    px = pd.Series(100 * np.exp(np.cumsum(steps)), index=days, name="X")
    for h in holes:  # market holidays inside the range
        if h < len(px) - 1:
            px.iloc[h] = np.nan
    daily = market.returns(px)
    period = market.returns(px, freq)
    total = px.dropna().iloc[-1] / px.dropna().iloc[0]
    assert np.prod(1 + daily.dropna()) == pytest.approx(total, rel=1e-9)
    assert np.prod(1 + period.dropna()) == pytest.approx(total, rel=1e-9)
    # each period's return is its last price over the previous period's last price
    last = px.dropna().resample({"W": "W-FRI", "M": "ME"}[freq]).last().dropna()
    np.testing.assert_allclose(period.dropna().iloc[1:], (last / last.shift(1)).iloc[1:] - 1, rtol=1e-9)


# --------------------------------------------------------------------------------------------- market caps
class FakeTicker:
    def __init__(self, info: dict | Exception):
        self._info = info

    @property
    def fast_info(self):
        if isinstance(self._info, Exception):
            raise self._info
        return self._info


def test_market_caps_online_cached_and_unavailable(isolated_cache):
    table = {"NVDA": {"marketCap": 5.1e12, "shares": 2.43e10, "currency": "USD"},
             "AAPL": {"marketCap": 4.6e12, "shares": 1.47e10, "currency": "USD"}}

    def factory(t):
        return FakeTicker(table[t] if t in table else ConnectionError("Could not resolve host"))

    with pytest.warns(MarketDataWarning, match="unavailable for MSFT"):
        caps = market.market_caps(["NVDA", "AAPL", "MSFT"], online=True, ticker_factory=factory)
    assert caps.loc["NVDA", "market_cap"] == 5.1e12 and caps.loc["AAPL", "shares"] == 1.47e10
    assert np.isnan(caps.loc["MSFT", "market_cap"]) and caps.attrs["missing"] == ["MSFT"]
    assert (isolated_cache / "market_caps.json").exists()
    with pytest.warns(MarketDataWarning, match="MSFT.*not cached and online=False"):
        offline = market.market_caps(["NVDA", "MSFT"])
    assert offline.loc["NVDA", "source"] == "cache" and offline.loc["NVDA", "market_cap"] == 5.1e12
    with pytest.warns(MarketDataWarning, match="NVDA could not be refreshed; using cached values"):
        stale = market.market_caps(["NVDA"], online=True, ticker_factory=lambda t: FakeTicker(RuntimeError("x")))
    assert stale.loc["NVDA", "market_cap"] == 5.1e12


def test_market_caps_offline_without_cache_never_guesses():
    with pytest.warns(MarketDataWarning, match="unavailable for NVDA"):
        caps = market.market_caps("NVDA")
    assert caps["market_cap"].isna().all() and caps.loc["NVDA", "source"] == "unavailable"


# --------------------------------------------------------------------------------------------- refresh + CLI
def test_refresh_cache_reports_per_ticker(snapshot_rows):
    dl = FakeDownloader(snapshot_rows)
    out = market.refresh_cache(["AAPL", "NOPE"], "2024-01-02", "2024-02-29", downloader=dl)
    assert out.set_index("ticker")["status"].to_dict() == {"AAPL": "updated", "NOPE": "failed"}
    again = market.refresh_cache("AAPL", "2024-01-02", "2024-02-29", downloader=dl)
    assert again["status"].tolist() == ["up to date"] and len(dl.calls) == 1
    down = FakeDownloader(snapshot_rows, fail=[ConnectionError("Could not resolve host")])
    with pytest.raises(MarketDataError, match="cannot reach Yahoo Finance"):
        market.refresh_cache("MSFT", "2024-01-02", "2024-02-29", downloader=down)


def test_cli_show_and_info_offline(yahoo, capsys):
    from esglib.app.cli import main

    yahoo.mode = "down"
    assert main(["prices", "show", "NVDA", "--rows", "3"]) == 0
    out, err = capsys.readouterr()
    assert "NVDA" in out and f"as of {AS_OF}" in out and "source: snapshot" in out
    assert f"snapshot as of {AS_OF}" in err
    assert main(["prices", "show", "AAPL", "--source", "snapshot", "--adjust", "split", "--end", "2024-01-05"]) == 0
    out, _ = capsys.readouterr()
    assert "2024-01-05" in out and "split-adjusted close" in out
    assert main(["prices", "info"]) == 0
    out, _ = capsys.readouterr()
    assert f"as of {AS_OF}" in out and "005930.KS" in out and "snapshot" in out and "cache folder:" in out


def test_cli_refresh_offline_exits_2_and_info_lists_cache(yahoo, capsys, snapshot_rows):
    from esglib.app.cli import main

    yahoo.mode = "down"
    assert main(["prices", "refresh", "NVDA", "AAPL", "--quiet"]) == 2
    _, err = capsys.readouterr()
    assert "cannot reach Yahoo Finance" in err and AS_OF in err
    yahoo.mode = "ok"
    assert main(["prices", "refresh", "NVDA", "--start", "2024-01-02", "--end", "2024-02-29", "--quiet"]) == 0
    out, _ = capsys.readouterr()
    assert "updated" in out
    assert main(["prices", "info"]) == 0
    out, _ = capsys.readouterr()
    nvda = next(line for line in out.splitlines() if line.strip().startswith("NVDA"))
    assert "cache" in nvda and "2024-02-29" in nvda
    assert main(["prices", "show", "NVDA", "005930.KS", "--source", "snapshot"]) == 2


def test_importing_market_does_not_import_yfinance():
    code = "import sys, esglib.market, esglib.app.cli.prices; print('yfinance' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "False"
