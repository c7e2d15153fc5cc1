"""Faults: writes killed with SIGKILL, market data that is absent, rate-limited, empty, corrupt or unwritable.

* **SIGKILL** (POSIX only): a child process writes over an existing file and is killed at a chosen point
  (before the temporary file exists, while the workbook is built, half-way through the zip, after the save but
  before the rename) and at random moments. The existing file must stay byte-identical; the next successful
  write must leave no ``.esglib-tmp-*`` file in the folder (``esglib.atomicio`` sweeps the temp files of writers
  that are gone at once, and any other after :data:`esglib.atomicio.STALE_AFTER_SECONDS`).
* **Market data**: every combination of a failing downloader (network down, rate limit, empty answer, all-NaN
  answer, wrong type, parser error, nonsense prices) with a cache state (none, corrupt file, truncated file,
  unwritable folder) and a source (``auto``, ``yfinance``, ``cache``) either serves prices with a stated
  as-of date and source (and a warning naming the as-of date whenever it fell back) or stops with a
  :class:`~esglib.errors.MarketDataError`; never an all-NaN or non-positive column presented as prices. The
  downloader is always injected: no test touches the network.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import random
import re
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

HERE = Path(__file__).resolve().parent
TMP_PREFIX = ".esglib-tmp-"

posix_only = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX-only")


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(TMP_PREFIX))


def child_env(tmp_path: Path) -> dict[str, str]:
    tmpdir = tmp_path / "child-tmp"  # openpyxl's own streaming temp files go here, not into /tmp
    tmpdir.mkdir(exist_ok=True)
    return {**os.environ, "ESGLIB_OFFLINE": "1", "ESGLIB_CACHE_DIR": str(tmp_path / "cache"), "TMPDIR": str(tmpdir),
            "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "PYTHONWARNINGS": "ignore"}


class Child:
    """A ``python -c`` child that prints a line at each hook point; the test kills it with SIGKILL."""

    def __init__(self, code: str, args: list[str], env: dict[str, str], timeout: float = 90):
        self.proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self._timer = threading.Timer(timeout, self.proc.kill)  # never hang the suite
        self._timer.start()

    def wait_for(self, word: str) -> None:
        for line in self.proc.stdout:
            if line.strip() == word:
                return
        self.proc.wait()
        raise AssertionError(f"child ended (exit {self.proc.returncode}) before {word!r}:\n{self.proc.stderr.read()}")

    def kill(self) -> int:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        rc = self.proc.wait()
        self._timer.cancel()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc


# ------------------------------------------------------------------------------------------------ atomic writes
ATOMIC_CHILD = r"""
import sys, time
from esglib.atomicio import atomic_write_with

def writer(tmp):
    with open(tmp, "wb") as fh:
        fh.write(b"half of the new cont")
        fh.flush()
    print("writing", flush=True)
    time.sleep(120)

atomic_write_with(sys.argv[1], writer)
"""


@posix_only
def test_sigkill_during_atomic_write_keeps_target_and_next_write_sweeps(tmp_path):
    target = tmp_path / "out" / "scores.csv"
    target.parent.mkdir()
    target.write_bytes(b"old,content\n1,2\n")
    target.chmod(0o640)
    child = Child(ATOMIC_CHILD, [str(target)], child_env(tmp_path))
    child.wait_for("writing")
    assert len(temp_files(target.parent)) == 1  # the kill lands mid-write
    assert child.kill() == -signal.SIGKILL
    assert target.read_bytes() == b"old,content\n1,2\n"
    assert len(temp_files(target.parent)) == 1  # a SIGKILL cannot clean up: the next run must

    from esglib.atomicio import atomic_write_text

    atomic_write_text(target, "new,content\n")
    assert target.read_text() == "new,content\n"
    assert temp_files(target.parent) == []
    assert target.stat().st_mode & 0o777 == 0o640  # permissions of the replaced file are kept


def test_sweep_spares_a_live_writer_and_other_targets(tmp_path):
    """A temp file of a writer that is still running (or of another target) is never swept."""
    from esglib import atomicio as _io

    folder = tmp_path
    mine = folder / f"{TMP_PREFIX}a.csv.{os.getpid()}-{_io._host_tag()}.abc123"  # this process: alive
    other_host = folder / f"{TMP_PREFIX}a.csv.1-00000000.def456"
    other_target = folder / f"{TMP_PREFIX}b.csv.999999999-{_io._host_tag()}.ghi789"
    legacy_old = folder / f"{TMP_PREFIX}a.csv.jkl012"
    for p in (mine, other_host, other_target, legacy_old):
        p.write_bytes(b"x")
    old = time.time() - 2 * _io.STALE_AFTER_SECONDS
    os.utime(legacy_old, (old, old))
    _io.atomic_write_text(folder / "a.csv", "new\n")
    assert temp_files(folder) == sorted([mine.name, other_host.name, other_target.name])


def test_new_file_gets_default_permissions_not_0600(tmp_path):
    from esglib.atomicio import atomic_write_text

    mask = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "new.csv", "x\n")
    finally:
        os.umask(mask)
    assert (tmp_path / "new.csv").stat().st_mode & 0o777 == 0o644


# ------------------------------------------------------------------------------------------------ scorecard
SCORECARD_CHILD = r"""
import os, pickle, sys, time, zipfile
mode, target, inputs = sys.argv[1:4]

def pause(word):
    print(word, flush=True)
    time.sleep(120)

from esglib.outputs.excel import write_scorecard
with open(inputs, "rb") as fh:
    kw = pickle.load(fh)
on_step = None
if mode == "building":  # temp file exists, workbook being built (the Weights sheet is written)
    def on_step(stage, tmp):
        if stage == "methodology":
            pause(mode)
elif mode == "mid_zip":  # some zip members written to the temp file, central directory not yet
    real_writestr = zipfile.ZipFile.writestr
    count = [0]
    def writestr(self, *a, **k):
        real_writestr(self, *a, **k)
        count[0] += 1
        if count[0] == 4:
            self.fp.flush()
            pause(mode)
    zipfile.ZipFile.writestr = writestr
elif mode == "before_rename":  # complete temp workbook, not yet moved over the target
    real_replace = os.replace
    def replace(a, b, **k):
        pause(mode)
    os.replace = replace
print("ready", flush=True)
if mode == "loading":
    pause(mode)
write_scorecard(target, per_company_sheets=False, on_step=on_step, **kw)
print("done", flush=True)
"""


@pytest.fixture(scope="module")
def scorecard_inputs(tmp_path_factory):
    """Scores, disclosures, companies and config of the bundled data, pickled for the children."""
    pytest.importorskip("esglib.outputs.excel", reason="esglib.outputs.excel has not landed")
    from esglib import bundled
    from esglib.scoring import ScoreConfig, score

    companies = bundled.companies()
    disclosures = bundled.disclosures()
    cfg = ScoreConfig()
    kw = {"scores": score(disclosures, cfg, companies=companies), "disclosures": disclosures,
          "companies": companies, "config": cfg}
    path = tmp_path_factory.mktemp("inputs") / "inputs.pkl"
    path.write_bytes(pickle.dumps(kw))
    return path, kw


def _existing_workbook(path: Path) -> bytes:
    """A real, small workbook standing for yesterday's scorecard."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["yesterday's scorecard", 42])
    wb.save(path)
    return path.read_bytes()


def _assert_valid_scorecard(path: Path) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        assert "Summary" in wb.sheetnames and "Sources" in wb.sheetnames
    finally:
        wb.close()


@posix_only
@pytest.mark.parametrize("point", ["loading", "building", "mid_zip", "before_rename"])
def test_sigkill_scorecard_at_each_point(point, tmp_path, scorecard_inputs):
    inputs, kw = scorecard_inputs
    folder = tmp_path / "reports"
    folder.mkdir()
    target = folder / "scorecard.xlsx"
    old = _existing_workbook(target)
    child = Child(SCORECARD_CHILD, [point, str(target), str(inputs)], child_env(tmp_path))
    child.wait_for(point)
    leftover = temp_files(folder)
    if point == "loading":
        assert leftover == []
    else:
        assert len(leftover) == 1, leftover  # proves the kill landed inside the write
        if point in ("mid_zip", "before_rename"):
            assert (folder / leftover[0]).stat().st_size > 0
    assert child.kill() == -signal.SIGKILL
    assert target.read_bytes() == old, f"killed at {point}: the existing workbook changed"
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(TMP_PREFIX)) == ["scorecard.xlsx"]

    from esglib.outputs.excel import write_scorecard

    write_scorecard(target, per_company_sheets=False, **kw)  # the next run
    assert temp_files(folder) == [], "the next run left the killed run's temp file behind"
    assert target.read_bytes() != old
    _assert_valid_scorecard(target)


@posix_only
@pytest.mark.xfail(reason="esglib/export.py: openpyxl's write-only mode streams each sheet through a temp file in "
                          "the system temp folder (openpyxl.XXXX); a SIGKILL while the workbook is built leaves "
                          "them there (nothing is left in the target's folder, which is what the issue asks)",
                   strict=False)
def test_sigkill_while_building_leaves_no_temp_file_anywhere(tmp_path, scorecard_inputs):
    inputs, _ = scorecard_inputs
    target = tmp_path / "scorecard.xlsx"
    env = child_env(tmp_path)
    child = Child(SCORECARD_CHILD, ["building", str(target), str(inputs)], env)
    child.wait_for("building")
    child.kill()
    assert sorted(os.listdir(env["TMPDIR"])) == []


@posix_only
def test_sigkill_scorecard_at_random_moments(tmp_path, scorecard_inputs):
    """Whenever the kill lands, the target is the old workbook or a complete new one, never a partial one."""
    inputs, kw = scorecard_inputs
    folder = tmp_path / "reports"
    folder.mkdir()
    target = folder / "scorecard.xlsx"
    old = _existing_workbook(target)
    rng = random.Random(7)
    outcomes = []
    for _ in range(3):
        child = Child(SCORECARD_CHILD, ["random", str(target), str(inputs)], child_env(tmp_path))
        child.wait_for("ready")
        time.sleep(rng.uniform(0.0, 1.2))
        child.kill()
        data = target.read_bytes()
        if data == old:
            outcomes.append("old")
        else:
            _assert_valid_scorecard(target)
            outcomes.append("new")
            target.write_bytes(old)
    from esglib.outputs.excel import write_scorecard

    write_scorecard(target, per_company_sheets=False, **kw)
    assert temp_files(folder) == []
    _assert_valid_scorecard(target)
    assert set(outcomes) <= {"old", "new"}


def test_scorecard_failure_inside_the_write_keeps_target(tmp_path, scorecard_inputs):
    """An exception half-way (disk full, a bug) leaves the existing workbook and no temp file."""
    _, kw = scorecard_inputs
    from esglib.outputs.excel import write_scorecard

    target = tmp_path / "scorecard.xlsx"
    old = _existing_workbook(target)

    def boom(stage, tmp):
        if stage == "methodology":
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_scorecard(target, per_company_sheets=False, on_step=boom, **kw)
    assert target.read_bytes() == old
    assert temp_files(tmp_path) == []


# ------------------------------------------------------------------------------------------------ market data
TICKERS = ["NVDA", "MSFT"]
START, END = "2024-01-02", "2024-03-28"
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")


def _no_sleep(seconds: float) -> None:
    return None


class RateLimited(Exception):
    """Named like yfinance.exceptions.YFRateLimitError (esglib classifies by name and message)."""


RateLimited.__name__ = "YFRateLimitError"


def _good(rows: pd.DataFrame):
    """A downloader with yf.download's signature answering from the bundled snapshot's rows."""

    def download(tickers, start=None, end=None, **kwargs):
        parts = {}
        for t in tickers:
            r = rows[(rows["ticker"] == t) & (rows["date"] >= start) & (rows["date"] < end)]
            parts[t] = pd.DataFrame({"Open": r["open"].to_numpy(), "High": r["high"].to_numpy(),
                                     "Low": r["low"].to_numpy(), "Close": r["close"].to_numpy(),
                                     "Adj Close": r["close"].to_numpy(), "Volume": r["volume"].to_numpy(),
                                     "Dividends": 0.0, "Stock Splits": 0.0},
                                    index=pd.DatetimeIndex(r["date"], name="Date"))
        data = pd.concat(parts, axis=1, names=["Ticker", "Price"])
        return data.swaplevel(0, 1, axis=1).sort_index(axis=1)

    return download


def _faulty(kind: str, rows: pd.DataFrame):
    good = _good(rows)

    def download(tickers, start=None, end=None, **kwargs):
        if kind == "network_down":
            raise ConnectionError("Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com")
        if kind == "rate_limited":
            raise RateLimited("Too Many Requests. Rate limited. Try after a while.")
        if kind == "empty":
            return pd.DataFrame()
        if kind == "wrong_type":
            return "<html><body>Will be right back</body></html>"
        if kind == "parser_error":
            raise KeyError("chart")
        data = good(tickers, start, end)
        if kind == "all_nan":
            return data * np.nan
        if kind == "nonsense_prices":  # zero, negative and infinite closes from a broken feed
            data = data.copy()
            close = [c for c in data.columns if c[0] in ("Close", "Adj Close")]
            data.loc[data.index[::3], close] = 0.0
            data.loc[data.index[1::3], close] = -5.0
            data.loc[data.index[2::3], close] = np.inf
            return data
        if kind == "partial":  # the first ticker only; the others come back empty (yfinance prints an error)
            return data.loc[:, [c for c in data.columns if c[1] == tickers[0]]]
        raise AssertionError(kind)

    return download


#: ``nonsense_prices`` found a bug, fixed in esglib/market.py: a feed answering infinite closes was served and
#: cached as prices (``close > 0`` lets inf through); both the download filter and the cache check now require
#: finite prices.
FAULTS = ["network_down", "rate_limited", "empty", "all_nan", "wrong_type", "parser_error", "nonsense_prices",
          "partial"]
CACHE_STATES = ["none", "corrupt", "truncated", "unwritable", "permission_denied"]


@pytest.fixture(scope="module")
def snapshot_rows():
    market = pytest.importorskip("esglib.market", reason="esglib.market has not landed")
    return market.load_snapshot()


@pytest.fixture
def no_live_yahoo(monkeypatch):
    """Any code path that would reach the real yfinance gets a 'network down' downloader instead."""
    market = pytest.importorskip("esglib.market", reason="esglib.market has not landed")
    import yfinance  # the third-party download function esglib calls when no `downloader=` is given

    monkeypatch.setattr(yfinance, "download", _faulty("network_down", pd.DataFrame()))
    monkeypatch.delenv("ESGLIB_OFFLINE", raising=False)
    return market


def _prepare_cache(state: str, tmp_path: Path, rows: pd.DataFrame, market, monkeypatch) -> Path:
    root = tmp_path / "cache"
    if state == "permission_denied":  # a read-only cache folder; simulated, since root ignores folder permissions
        import tempfile

        (root / "prices").mkdir(parents=True)
        real_mkstemp = tempfile.mkstemp

        def mkstemp(*args, dir=None, **kwargs):
            if dir is not None and Path(dir).resolve().is_relative_to(root.resolve()):
                raise PermissionError(13, "Permission denied", str(dir))
            return real_mkstemp(*args, dir=dir, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)  # the standard library's, used by esglib.atomicio
        return root
    if state == "unwritable":
        blocker = tmp_path / "blocker"
        blocker.write_text("a file where the cache folder should be")
        return blocker / "cache"  # mkdir fails: the cache folder cannot be created or written
    if state in ("corrupt", "truncated"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            market.prices(TICKERS, "2024-01-02", "2024-02-15", cache_dir=root, downloader=_good(rows),
                          sleep=_no_sleep)
        path = root / "prices" / "NVDA.parquet"
        assert path.is_file()
        if state == "corrupt":
            path.write_bytes(b"PAR1 this is not a parquet file PAR1")
        else:
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 2])
    return root


def check_promise(call, requested: list[str], source: str) -> str:
    """Run ``call``; assert it served honest prices or stopped with MarketDataError. Returns the outcome."""
    from esglib.errors import MarketDataError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = call()
        except MarketDataError as exc:
            text = str(exc)
            assert len(text) > 20 and any(t in text for t in requested), text
            return "stopped"
    notes = " | ".join(str(w.message) for w in caught)
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0 and len(frame.columns) > 0
    assert set(frame.columns) <= set(requested)
    attrs = frame.attrs
    assert DATE.match(str(attrs.get("as_of", ""))), attrs
    assert attrs.get("source") in {"snapshot", "cache", "yfinance", "mixed"}, attrs
    by_ticker = attrs.get("as_of_by_ticker", {})
    for t in frame.columns:
        col = frame[t]
        assert col.notna().any(), f"{t}: an all-NaN column presented as prices"
        assert DATE.match(str(by_ticker.get(t, ""))) and attrs["as_of"] <= by_ticker[t], attrs
        # up to its stated as-of date a column is complete (both tickers trade on the US calendar); after it,
        # NaN is the documented "no data after as_of", never a price
        covered = col.loc[col.first_valid_index(): pd.Timestamp(by_ticker[t])]
        assert covered.notna().all(), f"{t}: NaN inside the range it claims to cover (as of {by_ticker[t]})"
        assert col.loc[pd.Timestamp(by_ticker[t]) + pd.Timedelta(days=1):].isna().all(), \
            f"{t}: prices after its stated as-of date {by_ticker[t]}"
        values = col.dropna().to_numpy()
        assert np.isfinite(values).all() and (values > 0).all(), f"{t}: non-positive or infinite prices served"
    for t in set(requested) - set(frame.columns):
        assert t in notes and t in attrs.get("missing", []), f"{t} dropped silently: {notes}"
    served = set(attrs.get("sources", {}).values())
    if served - {source} and source != "auto" or served & {"snapshot", "cache"} and source == "auto":
        # anything other than fresh live data must say what it fell back to and as of when
        assert re.search(r"as of \d{4}-\d\d-\d\d", notes) or served <= {"cache"} and source == "cache", notes
    return "served:" + ",".join(sorted(served))


@pytest.mark.parametrize("cache_state", CACHE_STATES)
@pytest.mark.parametrize("fault", FAULTS)
def test_market_faults_serve_with_as_of_or_stop(fault, cache_state, tmp_path, snapshot_rows, no_live_yahoo,
                                               monkeypatch):
    market = no_live_yahoo
    root = _prepare_cache(cache_state, tmp_path, snapshot_rows, market, monkeypatch)
    outcomes = {}
    for source in ("auto", "yfinance", "cache"):
        outcomes[source] = check_promise(
            lambda: market.prices(TICKERS, START, END, source=source, cache_dir=root,  # noqa: B023
                                  downloader=_faulty(fault, snapshot_rows), sleep=_no_sleep),
            TICKERS, source)
    # the snapshot covers both tickers: auto must always serve something, never stop
    assert outcomes["auto"].startswith("served"), outcomes
    if fault != "partial" and fault != "nonsense_prices":
        assert outcomes["yfinance"] == "stopped", outcomes  # an explicit live request that failed says so


def test_network_absent_through_the_cli_states_the_as_of(tmp_path, no_live_yahoo, monkeypatch):
    """`esglib prices show` offline: bundled prices with their as-of date and source, or exit 2 with a message."""
    from esglib.app.cli import main

    cache = tmp_path / "cache"
    (cache / "prices").mkdir(parents=True)
    (cache / "prices" / "NVDA.parquet").write_bytes(b"corrupt")
    runs = {}
    for argv in (["prices", "show", "NVDA", "MSFT", "--cache-dir", str(cache)],
                 ["prices", "show", "NVDA", "--source", "cache", "--cache-dir", str(cache)],
                 ["prices", "show", "NVDA", "--source", "yfinance", "--cache-dir", str(cache)],
                 ["prices", "show", "ZZZZ", "--cache-dir", str(cache)]):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(argv)
        runs[" ".join(argv[2:-2])] = (rc, out.getvalue(), err.getvalue())
    for key, (rc, out, err) in runs.items():
        assert "Traceback" not in out + err, key
        assert rc in (0, 2), (key, rc, err)
        if rc == 0:
            assert re.search(r"as of \d{4}-\d\d-\d\d \| source: \w+", out), (key, out)
            assert "nan" not in out.lower().split("as of")[0], (key, out)
        else:
            assert err.startswith("esglib: error: ") and len(err) > 40, (key, err)
    rc, out, err = runs["NVDA MSFT"]
    assert rc == 0 and "source: snapshot" in out and re.search(r"snapshot as of \d{4}-\d\d-\d\d", err), err
    assert runs["NVDA --source cache"][0] == 2  # the corrupt file was discarded: nothing cached
    assert runs["NVDA --source yfinance"][0] == 2 and "unreachable" in runs["NVDA --source yfinance"][2]
    assert runs["ZZZZ"][0] == 2 and "ZZZZ" in runs["ZZZZ"][2]


def test_screen_with_shares_states_the_price_as_of(tmp_path, no_live_yahoo):
    pytest.importorskip("esglib.app.cli.portfolio", reason="esglib.app.cli.portfolio has not landed")
    from esglib.app.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(["screen", "--holdings", str(HERE / "corpus" / "holdings" / "h01_valid_shares.csv")])
    assert rc == 0, err.getvalue()
    snapshot_as_of = no_live_yahoo.snapshot_as_of()
    assert snapshot_as_of in out.getvalue() + err.getvalue()


def test_scorecard_with_shares_states_the_price_as_of(tmp_path, no_live_yahoo):
    """The scorecard of a shares-based holdings file names the bundled snapshot and its as-of date."""
    if any(pytest.importorskip(m, reason=f"{m} has not landed") is None
           for m in ("esglib.outputs.excel", "esglib.portfolio", "esglib.app.cli.excel")):
        return
    import openpyxl

    from esglib.app.cli import main

    target = tmp_path / "scorecard.xlsx"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(["scorecard", "--holdings", str(HERE / "corpus" / "holdings" / "h01_valid_shares.csv"),
                   "--out", str(target), "--no-company-sheets"])
    assert rc == 0, err.getvalue()
    wb = openpyxl.load_workbook(target, read_only=True)
    text = " ".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c)
    wb.close()
    assert f"{no_live_yahoo.snapshot_as_of()} (bundled price snapshot)" in text
