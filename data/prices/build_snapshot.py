"""Rebuild the bundled price snapshot (``snapshot.parquet``, ``dividends.parquet``) from the per-ticker CSVs.

Usage (from the repository root)::

    .venv/bin/python data/prices/build_snapshot.py [--source ../shared/data/prices] [--out data/prices]

The source folder holds ``<TICKER>.csv`` (``Date,Open,High,Low,Close,Volume``, split-adjusted, not dividend-adjusted),
``<TICKER>_dividends.csv`` (``Date,Dividend``), ``symbols.csv``, ``LICENSE.Apache-2.0.txt`` and ``README.md``
(see ``README.md`` beside this script for provenance). The output is deterministic: the same input gives
byte-identical Parquet files.

Output
------
``snapshot.parquet``
    Long format, one row per (ticker, trading day), sorted by ticker then date:
    ``date`` (date32), ``ticker`` (dictionary string), ``open, high, low, close`` (float32, price in the
    listing's currency per share, split-adjusted), ``volume`` (int64, shares). The source values are float32
    numbers printed at full precision, so float32 storage is exact; the script verifies this and stops otherwise.
``dividends.parquet``
    ``date`` (date32, ex-date), ``ticker`` (dictionary string), ``dividend`` (float64, cash per share in the
    listing's currency, split-adjusted).
Both files carry the key ``esglib`` in their Parquet schema metadata: JSON with ``as_of``, ``source`` and
``built_by``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
try:
    from esglib.atomicio import atomic_path
except ModuleNotFoundError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(HERE.parents[1]))
    from esglib.atomicio import atomic_path

DEFAULT_SOURCE = HERE.parents[2] / "shared" / "data" / "prices"  # <repo>/../shared/data/prices
AS_OF = "2026-05-29"
PROVENANCE = ("SungKyu-Kim39/BackTester39 commit e57a932da939df66be5288b1041a77376778d758 (2026-05-31), folder data/, "
              "rows before 2018-01-01 dropped; Yahoo Finance daily chart data; repository licence Apache-2.0")
COPIED = ("symbols.csv", "LICENSE.Apache-2.0.txt")
PRICE_COLS = ("open", "high", "low", "close")


def _read_prices(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype={"Date": str})
    expected = ["Date", "Open", "High", "Low", "Close", "Volume"]
    if list(df.columns) != expected:
        raise SystemExit(f"{path}: columns {list(df.columns)} != {expected}")
    df.columns = ["date", *PRICE_COLS, "volume"]
    df["date"] = pd.to_datetime(df["date"], format="%Y-%m-%d")
    return df


def _as_float32_exactly(x: pd.Series, where: str) -> np.ndarray:
    values = x.to_numpy(dtype="float64")
    f32 = values.astype("float32")
    bad = f32.astype("float64") != values
    if bad.any():
        raise SystemExit(f"{where}: {int(bad.sum())} values are not exact float32 numbers (e.g. {values[bad][0]!r}); "
                         "store this column as float64 instead")
    return f32


def _write(table: pa.Table, target: Path, meta: dict[str, str]) -> None:
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[b"esglib"] = json.dumps(meta, sort_keys=True).encode()
    table = table.replace_schema_metadata(schema_meta)
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, compression="zstd", compression_level=19, use_dictionary=["ticker"],
                       write_statistics=True, row_group_size=1 << 20)
        tmp.chmod(0o644)  # bundled data is world-readable (mkstemp creates 0600)


def build(source: Path, out: Path) -> dict[str, int]:
    """Convert ``source`` into the bundled files in ``out``; return file sizes in bytes."""
    symbols = pd.read_csv(source / "symbols.csv", dtype=str, keep_default_na=False)
    prices, dividends = [], []
    for ticker in sorted(symbols["ticker"]):
        px = _read_prices(source / f"{ticker}.csv")
        px.insert(1, "ticker", ticker)
        prices.append(px)
        dv_path = source / f"{ticker}_dividends.csv"
        if dv_path.exists():
            dv = pd.read_csv(dv_path, dtype={"Date": str})
            if len(dv):
                dividends.append(pd.DataFrame({"date": pd.to_datetime(dv["Date"], format="%Y-%m-%d"),
                                               "ticker": ticker, "dividend": dv["Dividend"].astype("float64")}))
    px = pd.concat(prices, ignore_index=True).sort_values(["ticker", "date"], kind="stable")
    dv = pd.concat(dividends, ignore_index=True).sort_values(["ticker", "date"], kind="stable")
    if (px["volume"] != px["volume"].round()).any():
        raise SystemExit("volume has fractional values")
    meta = {"as_of": AS_OF, "source": PROVENANCE, "built_by": "data/prices/build_snapshot.py"}
    ticker_type = pa.dictionary(pa.int8(), pa.string())
    price_table = pa.table({
        "date": pa.array(px["date"].dt.date.to_numpy(), type=pa.date32()),
        "ticker": pa.array(px["ticker"].to_numpy()).dictionary_encode().cast(ticker_type),
        **{c: pa.array(_as_float32_exactly(px[c], c), type=pa.float32()) for c in PRICE_COLS},
        "volume": pa.array(px["volume"].to_numpy(dtype="int64"), type=pa.int64()),
    })
    div_table = pa.table({
        "date": pa.array(dv["date"].dt.date.to_numpy(), type=pa.date32()),
        "ticker": pa.array(dv["ticker"].to_numpy()).dictionary_encode().cast(ticker_type),
        "dividend": pa.array(dv["dividend"].to_numpy(), type=pa.float64()),
    })
    out.mkdir(parents=True, exist_ok=True)
    _write(price_table, out / "snapshot.parquet", meta)
    _write(div_table, out / "dividends.parquet", meta)
    for name in COPIED:
        if (source / name).resolve() != (out / name).resolve():
            with atomic_path(out / name) as tmp:
                shutil.copyfile(source / name, tmp)
                tmp.chmod(0o644)
    return {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.is_file()}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: parse ``--source``/``--out``, build, print the file sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of the per-ticker CSVs")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: beside this script)")
    args = parser.parse_args(argv)
    if not (args.source / "symbols.csv").exists():
        print(f"build_snapshot: no symbols.csv in {args.source}", file=sys.stderr)
        return 2
    sizes = build(args.source, args.out)
    for name, size in sizes.items():
        print(f"{name:28s} {size / 1e6:8.3f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
