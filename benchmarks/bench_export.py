"""Benchmark: the Excel scorecard of 3,000 SYNTHETIC companies against plain ``DataFrame.to_excel``.

The companies, figures and sources below are synthetic (random numbers with "synthetic" sources); they only
exercise the writer. Both timings are taken in the same run on the same machine, best of ``--repeat`` interleaved runs:

* ``to_excel``: ``scores.to_excel(path)`` of the summary table (pandas + openpyxl), the baseline;
* ``scorecard``: :func:`esglib.outputs.excel.write_scorecard` with ``scores`` given (Summary with live formulas,
  colour scales, Weights, Methodology; no per-company sheets above 60 companies), the target being at most
  2x the baseline;
* ``scorecard + sources``: the same plus ``disclosures``, which adds the Sources sheet (one row per cited
  figure: 12 metrics x 3 years, about 31 per company here, 92k rows at 3,000 companies), against its own
  baseline ``to_excel`` of the same summary table plus the same sources table (two sheets, one workbook), the
  target being at most 3x (issue 13).

Run: ``.venv/bin/python benchmarks/bench_export.py [--n 3000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

TARGET_RATIO = 2.0
TARGET_SOURCES_RATIO = 3.0


def synthetic_universe(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` synthetic companies and their synthetic disclosures (validated-frame shape)."""
    from esglib.inputs import DISCLOSURE_COLUMNS, PEER_GROUPS

    rng = np.random.default_rng(seed)
    tickers = [f"SYN{i:05d}" for i in range(n)]
    companies = pd.DataFrame({
        "ticker": tickers, "company": [f"Synthetic Company {i}" for i in range(n)],
        "peer_group": rng.choice(PEER_GROUPS, n), "country": "XX", "yahoo_ticker": tickers,
        "fiscal_year_end": "12-31", "disclosure_search": "synthetic"})
    metrics = {
        "pue": lambda k: rng.uniform(1.05, 2.0, k), "electricity_total_mwh": lambda k: rng.lognormal(13, 1, k),
        "revenue_usd_m": lambda k: rng.lognormal(9, 1, k), "scope1_tco2e": lambda k: rng.lognormal(10, 1, k),
        "scope2_market_tco2e": lambda k: rng.lognormal(11, 1, k),
        "scope2_location_tco2e": lambda k: rng.lognormal(12, 1, k),
        "water_consumption_m3": lambda k: rng.lognormal(14, 1, k),
        "renewable_share_pct": lambda k: rng.uniform(0, 100, k),
        "server_useful_life_years": lambda k: rng.uniform(3, 7, k),
        "wue_l_per_kwh": lambda k: rng.uniform(0.1, 2.5, k),
        "hardware_reuse_recycling_pct": lambda k: rng.uniform(0, 100, k),
        "ewaste_tonnes": lambda k: rng.lognormal(6, 1, k),
    }
    units = {"pue": "ratio", "electricity_total_mwh": "MWh", "revenue_usd_m": "USD millions",
             "scope1_tco2e": "tCO2e", "scope2_market_tco2e": "tCO2e", "scope2_location_tco2e": "tCO2e",
             "water_consumption_m3": "m3", "renewable_share_pct": "%", "server_useful_life_years": "years",
             "wue_l_per_kwh": "L/kWh", "hardware_reuse_recycling_pct": "%", "ewaste_tonnes": "t"}
    parts = []
    for year in (2022, 2023, 2024):
        for m, draw in metrics.items():
            has = rng.random(n) < 0.85  # some companies do not disclose some figures
            k = int(has.sum())
            parts.append(pd.DataFrame({"ticker": np.asarray(tickers)[has], "fiscal_year": year, "metric": m,
                                       "value": draw(k), "unit": units[m]}))
    d = pd.concat(parts, ignore_index=True)
    d["company"] = d["ticker"].map(companies.set_index("ticker")["company"])
    for c in DISCLOSURE_COLUMNS:
        if c not in d.columns:
            d[c] = ""
    d["data_quality"] = 1
    d["report_edition"] = pd.array([pd.NA] * len(d), dtype="Int64")
    d["source_title"] = "Synthetic sustainability report (benchmark only)"
    d["source_url"] = "https://example.invalid/synthetic-report/" + d["ticker"] + "/" + d["fiscal_year"].astype(str)
    d["quote"] = "synthetic figure"
    d["source_file"] = "<synthetic>"
    d["source_row"] = np.arange(len(d)) + 2
    return companies, d[[*DISCLOSURE_COLUMNS, "source_file", "source_row"]]


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    from esglib.outputs.excel import write_scorecard
    from esglib.outputs.excel._docsheets import _sources_frame
    from esglib.scoring import ScoreConfig, score

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3000, help="number of synthetic companies (default 3000)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per timing; the best is kept (default 5)")
    ap.add_argument("--no-sources", action="store_true", help="skip the (slower) run with the Sources sheet")
    args = ap.parse_args(argv)

    companies, disclosures = synthetic_universe(args.n)
    scores = score(disclosures, companies=companies)
    sources = _sources_frame(disclosures, scores, ScoreConfig())  # the table the Sources sheet holds

    def plain_two_sheets(path: Path) -> None:
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            scores.to_excel(xw, sheet_name="Summary")
            sources.to_excel(xw, sheet_name="Sources", index=False)

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        write_scorecard(out / "warm.xlsx", scores=scores)  # warm imports (openpyxl, pandas' Excel writer)
        scores.head().to_excel(out / "warm2.xlsx")
        runs: dict[str, list[float]] = {"base": [], "card": [], "full": [], "base2": []}
        for _ in range(args.repeat):  # interleaved, so a busy machine slows every candidate alike
            runs["base"].append(_timed(lambda: scores.to_excel(out / "plain.xlsx")))
            runs["card"].append(_timed(lambda: write_scorecard(out / "card.xlsx", scores=scores,
                                                               companies=companies)))
            if not args.no_sources:
                runs["base2"].append(_timed(lambda: plain_two_sheets(out / "plain2.xlsx")))
                runs["full"].append(_timed(lambda: write_scorecard(out / "full.xlsx", scores=scores,
                                                                   disclosures=disclosures, companies=companies)))
        base, card = min(runs["base"]), min(runs["card"])
        full = min(runs["full"]) if runs["full"] else float("nan")
        base2 = min(runs["base2"]) if runs["base2"] else float("nan")
        n_src = len(disclosures)
    ratio = card / base
    print(f"synthetic universe: {args.n} companies, {n_src} synthetic figures (best of {args.repeat})")
    print(f"  DataFrame.to_excel (summary table)  {base:7.3f} s")
    print(f"  write_scorecard (scores)            {card:7.3f} s  = {ratio:.2f}x  (target <= {TARGET_RATIO:g}x)")
    print(f"  to_excel (summary + {len(sources):,}-row sources table)  {base2:7.3f} s")
    ratio2 = full / base2
    print(f"  write_scorecard (+ Sources sheet)   {full:7.3f} s  = {ratio2:.2f}x that  (target <= "
          f"{TARGET_SOURCES_RATIO:g}x)")
    ok = ratio <= TARGET_RATIO and (args.no_sources or ratio2 <= TARGET_SOURCES_RATIO)
    print("PASS" if ok else "FAIL: scorecard slower than the target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
