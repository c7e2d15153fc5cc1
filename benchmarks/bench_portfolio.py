"""Benchmark of the portfolio layer (issue 4 targets). SYNTHETIC prices and scores only: no real data.

Targets (printed as PASS/MISS, best of ``--repeat``):

* backtest engine: 500 tickers x 8 years of daily prices (about 2,000 days), monthly rebalancing (96
  rebalances), weights from a precomputed synthetic score panel through :func:`esglib.portfolio.score_tilt` at each
  date (the scoring step is pluggable, so the engine never rescored here): under 1 s. The same with a precomputed
  ``{date: weights}`` mapping is reported too.
* optimisation: minimum tracking error over 500 assets with a composite target, a WACI cap and 5 % weight caps,
  covariance (Ledoit-Wolf) from 750 days of returns: under 2 s (the covariance estimate is timed separately).
  SLSQP on 100 assets is reported for comparison (its dense subproblem grows with the cube of the size).

BLAS threads: unless ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS`` is already set, this script pins them to 1
before importing numpy. On a small shared machine (2 cores, other jobs running) threaded BLAS oversubscribes and
one 500 x 500 Cholesky factorisation can take 100x longer; one thread gives stable timings.

Run: ``.venv/bin/python benchmarks/bench_portfolio.py [--tickers 500] [--years 8] [--repeat 3]``.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BACKTEST_TARGET_S = 1.0
OPTIMISE_TARGET_S = 2.0
PEER_GROUPS = ("hyperscaler_cloud", "semiconductors", "hardware", "datacenter_reit", "ai_cloud_miners",
               "power_utilities")


def synthetic_prices(n: int, years: int, seed: int = 0) -> pd.DataFrame:
    """SYNTHETIC daily prices from a two-factor model; 10 % of names list part-way through."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2017-01-02", periods=252 * years)
    t = len(idx)
    f = rng.normal(0.0003, 0.01, (t, 2))
    b = rng.normal(1.0, 0.4, (n, 2))
    r = f @ b.T + rng.normal(0, 0.015, (t, n))
    px = 100 * np.exp(np.cumsum(r, axis=0))
    late = rng.random(n) < 0.1
    starts = rng.integers(0, t // 2, n)
    for j in np.flatnonzero(late):
        px[: starts[j], j] = np.nan
    return pd.DataFrame(px, index=idx, columns=[f"SYN{j:04d}" for j in range(n)])


def synthetic_score_panel(tickers: list[str], dates: pd.DatetimeIndex,
                          seed: int = 1) -> dict[pd.Timestamp, pd.DataFrame]:
    """SYNTHETIC point-in-time scores: a composite that drifts over time, 30 % unrated, fixed peer groups."""
    rng = np.random.default_rng(seed)
    n = len(tickers)
    groups = rng.choice(PEER_GROUPS, n)
    level = rng.uniform(10, 90, n)
    unrated = rng.random(n) < 0.3
    panel = {}
    for d in dates:
        level = np.clip(level + rng.normal(0, 2, n), 0, 100)
        comp = np.where(unrated, np.nan, level)
        panel[d] = pd.DataFrame({"composite": comp, "peer_group": groups, "rating": "NR", "flags": ""},
                                index=pd.Index(tickers, name="ticker"))
    return panel


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def verdict(t: float, target: float) -> str:
    return f"{'PASS' if t < target else 'MISS'} (target < {target:g} s)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickers", type=int, default=500)
    ap.add_argument("--years", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    from esglib.backtest import rebalance_dates, run_backtest
    from esglib.portfolio import covariance, optimise, score_tilt

    print(f"threads: OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    px = synthetic_prices(args.tickers, args.years)
    dates = rebalance_dates(px.index, "M")
    panel = synthetic_score_panel(list(px.columns), dates)
    base = pd.Series(1.0 / px.shape[1], index=px.columns)

    def weights_fn(d: pd.Timestamp) -> pd.Series:
        return score_tilt(base, panel[d], 1.0).weights

    # warm up imports and caches once
    run_backtest(px.iloc[:300], weights_fn, rebalance="M")
    t_fn, res = best_of(lambda: run_backtest(px, weights_fn, rebalance="M", cost_bps=10), args.repeat)
    targets = {d: weights_fn(d) for d in dates}
    t_map, _ = best_of(lambda: run_backtest(px, targets, rebalance="M", cost_bps=10), args.repeat)
    print(f"\nbacktest: {px.shape[1]} SYNTHETIC tickers x {len(px)} days ({args.years} years), {len(dates)} monthly "
          "rebalances, 10 bps costs")
    print(f"  weights_fn = score_tilt on a precomputed score panel : {t_fn:6.3f} s  {verdict(t_fn, BACKTEST_TARGET_S)}")
    print(f"  precomputed {{date: weights}} mapping                  : {t_map:6.3f} s")
    print(f"  (CAGR {res.metrics.at['cagr', 'strategy']:.2%}, mean one-way turnover {res.turnover.mean():.2%} per "
          "rebalance)")

    rng = np.random.default_rng(2)
    rets = px.pct_change(fill_method=None).iloc[-750:]
    rets = rets.loc[:, rets.notna().sum() >= 375]
    t_cov, cov = best_of(lambda: covariance(rets), args.repeat)
    names = list(cov.index)
    bench = pd.Series(rng.lognormal(0, 1, len(names)), index=names)
    bench /= bench.sum()
    comp = panel[dates[-1]]["composite"].reindex(names)
    ci = pd.Series(rng.lognormal(3, 1, len(names)), index=names)
    target = float((bench * comp.fillna(0)).sum()) + 10
    cap = float((bench * ci).sum()) * 0.8
    optimise(bench, comp, cov, target=target)  # warm-up (imports cvxpy and scipy.optimize)
    t_opt, r = best_of(lambda: optimise(bench, comp, cov, target=target, carbon_intensity=ci, max_waci=cap,
                                        bounds=(0.0, 0.05)), args.repeat)
    t_ipm, r_ipm = best_of(lambda: optimise(bench, comp, cov, target=target, carbon_intensity=ci, max_waci=cap,
                                            bounds=(0.0, 0.05), method="cvxpy"), args.repeat)
    print(f"\noptimisation: {len(names)} SYNTHETIC assets, composite >= {target:.1f}, WACI <= {cap:.1f}, "
          "weights in [0, 5 %]")
    print(f"  Ledoit-Wolf covariance (750 days)                     : {t_cov:6.3f} s (shrinkage "
          f"{cov.attrs['shrinkage']:.3f})")
    print(f"  esglib interior-point QP (default)                    : {t_opt:6.3f} s  "
          f"{verdict(t_opt, OPTIMISE_TARGET_S)}")
    print(f"  cvxpy/Clarabel QP (cross-check)                       : {t_ipm:6.3f} s  "
          f"(TE {r_ipm.tracking_error:.5%} vs {r.tracking_error:.5%})")
    print(f"  (tracking error {r.tracking_error:.2%} a year, {r.iterations} iterations, binding {r.binding}, "
          f"{r.n_holdings} holdings)")
    small = names[:100]
    b100 = bench[small] / bench[small].sum()
    t100 = float((b100 * comp[small].fillna(0)).sum()) + 10
    t_s, rs = best_of(lambda: optimise(b100, comp[small], cov.loc[small, small], target=t100, method="slsqp"), 1)
    t_i, ri = best_of(lambda: optimise(b100, comp[small], cov.loc[small, small], target=t100), args.repeat)
    print(f"  100 assets: SLSQP {t_s:.3f} s (TE {rs.tracking_error:.5%}) vs cvxpy {t_i:.3f} s "
          f"(TE {ri.tracking_error:.5%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
