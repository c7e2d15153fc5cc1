"""Benchmark of the scoring core (issue 2 targets). Synthetic universes only: no real company figures.

Targets (not timed tests; printed as PASS/MISS):

* ``score(kpis=..., companies=...)`` on 1M company-years within 1.5x a bare pandas baseline (a
  ``groupby(peer_group)`` percentile rank over the same KPI columns of the same frame) and under 2 s;
* ``sensitivity`` with 10,000 draws x 3,000 companies under 2 s;
* ``python -c "import esglib"`` under 0.5 s (subprocess, best of 5).

Run: ``.venv/bin/python benchmarks/bench_scoring.py [--sizes 1000,10000,100000,1000000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from esglib.inputs import PEER_GROUPS  # noqa: E402
from esglib.scoring import KPI_SPECS, ScoreConfig, score, sensitivity  # noqa: E402

YEARS = 10
#: Share of missing values per KPI in the synthetic universe (rough shape of the real data: PUE, WUE and
#: circularity figures are rare, emissions and renewable shares common).
NAN_SHARE = {
    "pue": 0.6, "carbon_intensity": 0.3, "electricity_intensity": 0.5, "water_intensity": 0.5, "wue": 0.8,
    "water_replenishment": 0.9, "water_stress_exposure": 0.9, "renewable_share": 0.3,
    "hardware_reuse_recycling": 0.85, "server_life": 0.8, "ewaste_intensity": 0.9,
}
#: share of missing values for a KPI not listed above (sparse, as in real disclosure)
DEFAULT_NAN_SHARE = 0.8


def synthetic_universe(n_rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SYNTHETIC companies (n_rows / 10 tickers, 6 peer groups) and a compute_metrics-shaped KPI frame."""
    rng = np.random.default_rng(seed)
    n_comp = max(1, n_rows // YEARS)
    tickers = np.array([f"SYN{i:07d}" for i in range(n_comp)], dtype=object)
    companies = pd.DataFrame({
        "ticker": tickers,
        "company": [f"Synthetic company {i}" for i in range(n_comp)],
        "peer_group": np.asarray(PEER_GROUPS, dtype=object)[rng.integers(0, len(PEER_GROUPS), n_comp)],
    })
    kpis = pd.DataFrame({"ticker": np.repeat(tickers, YEARS),
                         "fiscal_year": np.tile(np.arange(2015, 2015 + YEARS), n_comp)})
    n = len(kpis)
    for name in KPI_SPECS:
        v = rng.lognormal(mean=2.0, sigma=1.0, size=n)
        if name == "pue":
            v = 1 + rng.gamma(2.0, 0.15, size=n)
        elif KPI_SPECS[name].unit == "%":
            v = rng.uniform(0, 100, size=n)
        elif KPI_SPECS[name].unit == "flag":
            v = rng.integers(0, 2, size=n).astype(float)
        v[rng.random(n) < NAN_SHARE.get(name, DEFAULT_NAN_SHARE)] = np.nan
        kpis[name] = v
    return companies, kpis


def baseline(kpis: pd.DataFrame, companies: pd.DataFrame) -> pd.DataFrame:
    """Bare pandas: percentile rank of every KPI column within peer groups, on the same frame."""
    groups = kpis["ticker"].map(companies.set_index("ticker")["peer_group"])
    return kpis[list(KPI_SPECS)].groupby(groups.to_numpy()).rank(pct=True)


def best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def import_time(repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import esglib"], check=True, cwd=ROOT)
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000,1000000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    cfg = ScoreConfig()
    rows = []
    print("esglib scoring benchmark (SYNTHETIC universes: companies x 10 years, 6 peer groups)")
    print(f"{'company-years':>14} {'companies':>10} {'score s':>9} {'baseline s':>11} {'ratio':>7}")
    last = None
    for n in sizes:
        companies, kpis = synthetic_universe(n)
        score(kpis=kpis, companies=companies, config=cfg)  # warm-up (imports, caches)
        t_score = best_of(lambda kpis=kpis, companies=companies: score(kpis=kpis, companies=companies, config=cfg),
                          args.repeat)
        t_base = best_of(lambda kpis=kpis, companies=companies: baseline(kpis, companies), args.repeat)
        print(f"{n:>14,} {len(companies):>10,} {t_score:>9.3f} {t_base:>11.3f} {t_score / t_base:>7.2f}")
        last = (n, t_score, t_base)
    # sensitivity: 10,000 draws x 3,000 rated companies
    companies, kpis = synthetic_universe(30_000, seed=1)
    scores = score(kpis=kpis, companies=companies, config=cfg.replace(min_coverage=0.0))
    rated = scores[scores["composite"].notna()].head(3000)
    sensitivity(rated, n=100)
    t_sens = best_of(lambda: sensitivity(rated, n=10_000), args.repeat)
    t_imp = import_time()

    print()
    print(f"{'target':<58} {'measured':>12} {'result':>7}")
    if last is not None:
        n, t_score, t_base = last
        rows.append((f"score on {n:,} company-years within 1.5x baseline", f"{t_score / t_base:.2f}x",
                     t_score <= 1.5 * t_base))
        rows.append((f"score on {n:,} company-years under 2 s", f"{t_score:.3f} s", t_score < 2.0))
    rows.append((f"sensitivity 10,000 draws x {len(rated):,} companies under 2 s", f"{t_sens:.3f} s", t_sens < 2.0))
    rows.append(("python -c 'import esglib' under 0.5 s (best of 5)", f"{t_imp:.3f} s", t_imp < 0.5))
    for name, measured, ok in rows:
        print(f"{name:<58} {measured:>12} {'PASS' if ok else 'MISS':>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
