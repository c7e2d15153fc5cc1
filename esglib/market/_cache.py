"""The per-ticker local price cache: read, validate, merge and write atomically."""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from esglib.atomicio import atomic_path
from esglib.market._snapshot import _parquet_meta
from esglib.market._symbols import PRICE_COLUMNS, _currency_of, _iso, _warn
from esglib.market._validate import _np_day

__all__ = ['cache_info', 'resolve_cache_dir']


CACHE_VERSION = 1


# --------------------------------------------------------------------------------------------- cache
def resolve_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Cache folder: the argument, else ``$ESGLIB_CACHE_DIR``, else ``platformdirs.user_cache_dir("esglib")``."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get("ESGLIB_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("esglib"))


def _cache_file(root: Path, ticker: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9.\-^=_&]", "_", ticker)
    return root / "prices" / f"{safe}.parquet"


#: File in ``<cache>/prices/`` listing the files esglib wrote there (the only ones it may ever replace or delete).
MANIFEST = ".esglib-cache-manifest.json"


def _manifest_path(root: Path) -> Path:
    return root / "prices" / MANIFEST


def _manifest(root: Path) -> set[str]:
    """Names of the cache files esglib wrote (from the manifest; empty when it is missing or unreadable)."""
    try:
        data = json.loads(_manifest_path(root).read_text(encoding="utf-8"))
        return {str(n) for n in data.get("files", [])} if data.get("esglib_cache") == CACHE_VERSION else set()
    except (OSError, ValueError, AttributeError):
        return set()


def _record(root: Path, name: str) -> None:
    """Add ``name`` to the manifest (atomically)."""
    names = _manifest(root) | {name}
    text = json.dumps({"esglib_cache": CACHE_VERSION, "files": sorted(names)}, indent=0)
    with atomic_path(_manifest_path(root)) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _is_ours(root: Path, path: Path) -> bool:
    """True when esglib wrote ``path``: listed in the manifest, or a readable Parquet file with esglib metadata."""
    if path.name in _manifest(root):
        return True
    try:
        import pyarrow.parquet as pq

        meta = pq.read_schema(path).metadata or {}
        return b"esglib" in meta and json.loads(meta[b"esglib"]).get("version") == CACHE_VERSION
    except Exception:  # unreadable: not recognisably ours
        return False


@dataclass
class _Cached:
    frame: pd.DataFrame  # index date; open, high, low, close, volume, dividend (float64)
    coverage_start: pd.Timestamp
    coverage_end: pd.Timestamp
    fetched_at: str = ""


def _read_cache(root: Path, ticker: str, *, discard_corrupt: bool = True) -> _Cached | None:
    """Read and check one cache file; a corrupt one is deleted with a warning (it will be refetched)."""
    path = _cache_file(root, ticker)
    try:
        if not path.is_file():
            return None
    except OSError:  # an unreadable folder: nothing usable cached
        return None
    try:
        import pyarrow.parquet as pq

        table = pq.ParquetFile(path).read(use_threads=False)
        meta = _parquet_meta(table)
        if meta.get("version") != CACHE_VERSION or str(meta.get("ticker", "")).upper() != ticker:
            raise ValueError("metadata missing or for another ticker/version")
        cols = (*PRICE_COLUMNS, "volume", "dividend")
        missing = [c for c in ("date", *cols) if c not in table.column_names]
        if missing:
            raise ValueError(f"missing columns {missing}")
        dates = np.asarray(table.column("date").to_numpy()).astype("datetime64[ns]")
        data = {c: np.asarray(table.column(c).to_numpy(), dtype="float64") for c in cols}
        rule = _cache_rule(dates, data)
        if rule:
            raise ValueError(rule)
        frame = pd.DataFrame(data, index=pd.DatetimeIndex(dates, name="date"))
        return _Cached(frame, pd.Timestamp(meta["coverage_start"]), pd.Timestamp(meta["coverage_end"]),
                       str(meta.get("fetched_at", "")))
    except Exception as exc:  # any unreadable/invalid file is corrupt: never crash on it
        if discard_corrupt and _is_ours(root, path):
            with contextlib.suppress(OSError):
                path.unlink()
            _warn(f"discarded corrupt cache file {path} ({type(exc).__name__}: {exc}); it will be refetched", 5)
        elif discard_corrupt:
            _warn(f"ignored {path}: it is not a price cache file esglib wrote ({type(exc).__name__}: {exc}), so it "
                  "is left untouched; point ESGLIB_CACHE_DIR (or cache_dir) at a folder of its own", 5)
        return None


def _cache_rule(dates: np.ndarray, data: dict[str, np.ndarray]) -> str | None:
    """First broken rule of a cache file's rows (1-based data row), or None."""
    bad = np.flatnonzero(np.isnat(dates))
    if len(bad):
        return f"row {bad[0] + 1}: date is missing"
    bad = np.flatnonzero(dates[1:] <= dates[:-1])
    if len(bad):
        return f"row {bad[0] + 2}: duplicate or unsorted date {_np_day(dates[bad[0] + 1])}"
    for c in PRICE_COLUMNS:
        bad = np.flatnonzero(~(np.isfinite(data[c]) & (data[c] > 0)))  # NaN and inf fail too
        if len(bad):
            return f"row {bad[0] + 1}: {c} price must be positive (got {data[c][bad[0]]!r})"
    return None


class _CacheWriter:
    """Writes cache files atomically; after the first failure warns once and stops trying."""

    def __init__(self, root: Path):
        self.root = root
        self.disabled = False

    def write(self, ticker: str, cached: _Cached) -> bool:
        if self.disabled:
            return False
        import pyarrow as pa
        import pyarrow.parquet as pq

        f = cached.frame
        columns = (*PRICE_COLUMNS, "volume", "dividend")
        table = pa.table({"date": pa.array(f.index.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")),
                          **{c: pa.array(f[c].to_numpy(dtype="float64")) for c in columns}})
        meta = {"version": CACHE_VERSION, "ticker": ticker, "source": "yfinance",
                "coverage_start": _iso(cached.coverage_start), "coverage_end": _iso(cached.coverage_end),
                "fetched_at": cached.fetched_at, "currency": _currency_of(ticker)}
        table = table.replace_schema_metadata({b"esglib": json.dumps(meta).encode()})
        target = _cache_file(self.root, ticker)
        try:
            if target.exists() and not _is_ours(self.root, target):
                _warn(f"not caching {ticker}: {target} exists and was not written by esglib, so it is left "
                      "untouched; point ESGLIB_CACHE_DIR (or cache_dir) at a folder of its own", 5)
                return False
            with atomic_path(target) as tmp:
                pq.write_table(table, tmp, compression="zstd", use_dictionary=False)
            _record(self.root, target.name)
        except OSError as exc:
            self.disabled = True
            _warn(f"cache folder {self.root} is not writable ({exc.strerror or exc}); continuing without caching "
                  "(set ESGLIB_CACHE_DIR or pass cache_dir to use another folder)", 5)
            return False
        return True


def cache_info(cache_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Describe the price cache without changing it.

    Returns
    -------
    DataFrame
        One row per cache file (n_files x 9): ``ticker, first, last`` (datetime64, first/last cached trading
        day), ``rows`` (int), ``coverage_start, coverage_end`` (datetime64, the date range fetched), ``fetched_at``
        (str, UTC), ``status`` (``"ok"`` or ``"corrupt"``) and ``source`` (``"cache"``).
        ``attrs["cache_dir"]`` is the folder.
    """
    root = resolve_cache_dir(cache_dir)
    recs = []
    folder = root / "prices"
    for path in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
        ticker = path.stem.upper()
        c = _read_cache(root, ticker, discard_corrupt=False)
        if c is None:
            recs.append({"ticker": ticker, "first": pd.NaT, "last": pd.NaT, "rows": 0, "coverage_start": pd.NaT,
                         "coverage_end": pd.NaT, "fetched_at": "", "status": "corrupt", "source": "cache"})
            continue
        recs.append({"ticker": ticker, "first": c.frame.index.min(), "last": c.frame.index.max(), "rows": len(c.frame),
                     "coverage_start": c.coverage_start, "coverage_end": c.coverage_end, "fetched_at": c.fetched_at,
                     "status": "ok", "source": "cache"})
    cols = ["ticker", "first", "last", "rows", "coverage_start", "coverage_end", "fetched_at", "status", "source"]
    out = pd.DataFrame(recs, columns=cols)
    out.attrs = {"cache_dir": str(root)}
    return out


def _gaps(cached: _Cached | None, start: pd.Timestamp, end: pd.Timestamp, full: bool
          ) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Date ranges ``[start, end_exclusive)`` to fetch so the cache covers ``[start, end]``.

    After the cache: ``[coverage_end + 1 day, end + 1 day)``, exactly the missing days (a split inside it is seen
    in Yahoo's split column and applied to the cached rows). Before the cache: ``[start, first cached day + 1 day)``,
    the missing days plus the first cached day as an anchor that reveals any later split or restatement.
    """
    one = pd.Timedelta(days=1)
    if cached is None or full or len(cached.frame) == 0:
        return [(start, end + one)]
    out = []
    if start < cached.coverage_start:
        out.append((start, cached.frame.index[0] + one))
    if end > cached.coverage_end:
        out.append((cached.coverage_end + one, end + one))
    return out


def _has_weekday(a: pd.Timestamp, b_excl: pd.Timestamp) -> bool:
    return bool(np.busday_count(a.date(), b_excl.date()) > 0)


def _merge(cached: _Cached | None, new: pd.DataFrame, gap: tuple[pd.Timestamp, pd.Timestamp]) -> _Cached:
    start, end_excl = gap
    end = end_excl - pd.Timedelta(days=1)
    new = new[(new.index >= start) & (new.index <= end)]
    if cached is None or len(cached.frame) == 0:
        cols = [*PRICE_COLUMNS, "volume", "dividend"]
        base_start = start if cached is None else min(start, cached.coverage_start)
        base_end = end if cached is None else max(end, cached.coverage_end)
        return _Cached(new[cols].copy(), base_start, base_end)
    old = cached.frame
    factor = 1.0
    if len(new) and new.index[0] > old.index[-1]:  # after the cache: apply splits inside the new range
        splits = new["split"].to_numpy()
        splits = splits[splits > 0]
        factor = float(np.prod(splits)) if len(splits) else 1.0
    elif len(new) and old.index[0] in new.index:  # before the cache: anchor day tells any later rescaling
        ratio = float(new.at[old.index[0], "close"] / old["close"].iloc[0])
        factor = 1.0 if abs(ratio - 1.0) < 1e-4 else 1.0 / ratio
    if factor != 1.0:
        old = old.copy()
        old[[*PRICE_COLUMNS, "dividend"]] = old[[*PRICE_COLUMNS, "dividend"]] / factor
        old["volume"] = old["volume"] * factor
    cols = [*PRICE_COLUMNS, "volume", "dividend"]
    merged = pd.concat([old[~old.index.isin(new.index)], new[cols]]).sort_index()
    return _Cached(merged, min(start, cached.coverage_start), max(end, cached.coverage_end))
