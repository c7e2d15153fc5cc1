"""The price cache deletes or replaces only files it wrote (issue 15, class 1: lost user files).

With the cache folder pointed at a folder holding a user's own ``prices/MSFT.parquet``, an offline
``prices show MSFT`` used to delete it as a "corrupt cache file". esglib now recognises its own files by the
cache manifest (``prices/.esglib-cache-manifest.json``) or its Parquet metadata and leaves anything else alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import warnings

import pandas as pd
import pytest
from test_faults import END, START, _good, _no_sleep  # noqa: F401  (shared recorded-shape downloader)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def market():
    return pytest.importorskip("esglib.market")


@pytest.mark.parametrize("content", [b"my own notes, not a parquet file",
                                     "parquet"], ids=["not-parquet", "foreign-parquet"])
def test_cli_never_deletes_a_users_file_in_the_cache_folder(content, tmp_path, monkeypatch, market):
    from esglib.app.cli import main

    monkeypatch.setattr(market._yahoo, "_default_downloader", lambda: (_ for _ in ()).throw(OSError("offline")))
    cache = tmp_path / "mine"
    (cache / "prices").mkdir(parents=True)
    user_file = cache / "prices" / "MSFT.parquet"
    if content == "parquet":
        pd.DataFrame({"date": pd.to_datetime(["2024-01-02"]), "close": [1.0]}).to_parquet(user_file)
    else:
        user_file.write_bytes(content)
    before = _sha(user_file)
    for argv in (["prices", "show", "MSFT", "--cache-dir", str(cache)],
                 ["prices", "show", "MSFT", "--source", "cache", "--cache-dir", str(cache)]):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rc = main(argv)
        assert rc in (0, 2) and "Traceback" not in out.getvalue() + err.getvalue()
        assert user_file.exists() and _sha(user_file) == before, "the user's file was deleted or replaced"


def test_writer_does_not_replace_a_foreign_file_and_says_so(tmp_path, market):
    rows = market.load_snapshot()
    root = tmp_path / "cache"
    (root / "prices").mkdir(parents=True)
    foreign = root / "prices" / "NVDA.parquet"
    foreign.write_bytes(b"someone else's file")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = market.prices(["NVDA", "MSFT"], START, END, source="yfinance", cache_dir=root,
                              downloader=_good(rows), sleep=_no_sleep)
    assert frame["NVDA"].notna().any()  # served from the download all the same
    assert foreign.read_bytes() == b"someone else's file"
    assert any("not written by esglib" in str(w.message) or "not a price cache file esglib wrote" in str(w.message)
               for w in caught), [str(w.message) for w in caught]
    assert (root / "prices" / "MSFT.parquet").is_file()  # its own file is written and recorded
    assert "MSFT.parquet" in (root / "prices" / ".esglib-cache-manifest.json").read_text()


def test_own_corrupt_file_is_still_discarded(tmp_path, market):
    rows = market.load_snapshot()
    root = tmp_path / "cache"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        market.prices(["NVDA"], START, END, source="yfinance", cache_dir=root, downloader=_good(rows),
                      sleep=_no_sleep)
    own = root / "prices" / "NVDA.parquet"
    own.write_bytes(b"PAR1 truncated PAR1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = market.cache_info(root)
        assert (info["status"] == "corrupt").any()
        with contextlib.suppress(Exception):
            market.prices(["NVDA"], START, END, source="cache", cache_dir=root)
    assert not own.exists() or own.read_bytes() != b"PAR1 truncated PAR1"
    assert any("discarded corrupt cache file" in str(w.message) for w in caught)
