"""The backtest engine: rebalance dates, drifting weights, costs and the result object."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from esglib.backtest._performance import performance_table
from esglib.errors import ConfigError
from esglib.vocabulary import CASH as _CASH

__all__ = ['BacktestResult', 'rebalance_dates', 'run_backtest']




# ------------------------------------------------------------------------------------------------ engine
def rebalance_dates(index: pd.DatetimeIndex, freq: str = "M", start=None, end=None) -> pd.DatetimeIndex:
    """Trading days on which to rebalance: the first day at/after ``start``, then the last day of each period.

    Parameters
    ----------
    index : DatetimeIndex
        Trading days (sorted).
    freq : {"M", "Q"}
        Month or quarter ends.
    start, end : date-like, optional
        Window (default: the whole index).
    """
    freq = str(freq).upper()
    if freq not in ("M", "Q"):
        raise ConfigError(f"`rebalance` must be 'M' (monthly) or 'Q' (quarterly), got {freq!r}")
    idx = pd.DatetimeIndex(index)
    if start is not None:
        idx = idx[idx >= pd.Timestamp(start)]
    if end is not None:
        idx = idx[idx <= pd.Timestamp(end)]
    if len(idx) < 2:
        raise ConfigError(f"the backtest window has {len(idx)} trading day(s); need at least 2 "
                          f"(start={start!r}, end={end!r})")
    period = idx.to_period("M" if freq == "M" else "Q")
    last = ~pd.Series(period).duplicated(keep="last").to_numpy()
    dates = idx[last]
    dates = dates.union(pd.DatetimeIndex([idx[0]]))
    return dates[dates < idx[-1]]


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Outcome of a backtest.

    Attributes
    ----------
    returns : Series
        Daily net strategy returns (after costs), from the day after the first rebalance.
    gross_returns : Series
        The same before transaction costs.
    benchmark_returns : Series
        Daily benchmark returns on the same dates (NaN-free where available).
    weights : DataFrame
        Target weights after each rebalance (rebalance dates x tickers; 0 where not held).
    turnover : Series
        One-way turnover ``0.5 x sum |w_target - w_drifted|`` per rebalance (0 for the first).
    costs : Series
        Cost per rebalance as a fraction of NAV: ``cost_bps / 10^4 x sum |w_target - w_drifted|``.
    active_share : Series
        Active share against the benchmark (or the base portfolio, see ``notes``) per rebalance.
    metrics : DataFrame
        :func:`performance_table` output (rows metrics, columns ``strategy`` and ``benchmark``;
        :func:`esg_backtest` adds ``base`` -- the unscreened starting portfolio -- and ``strategy_vs_base``, whose
        beta, tracking error, information ratio and active share are measured against the base: what the screen
        itself added).
    notes : tuple of str
        What the reader must know (fallbacks, unscored periods, lag used).
    params : dict
        The settings used.
    base_returns : Series or None
        Daily net returns of the unscreened base portfolio (:func:`esg_backtest` only).
    """

    returns: pd.Series
    gross_returns: pd.Series = field(repr=False)
    benchmark_returns: pd.Series = field(repr=False)
    weights: pd.DataFrame = field(repr=False)
    turnover: pd.Series = field(repr=False)
    costs: pd.Series = field(repr=False)
    active_share: pd.Series = field(repr=False)
    metrics: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    base_returns: pd.Series | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: metrics, params, notes, average turnover and the last weights."""
        def clean(v):
            if isinstance(v, (float, np.floating)):
                return float(v) if np.isfinite(v) else None
            if isinstance(v, (np.integer,)):
                return int(v)
            if isinstance(v, (pd.Timestamp,)):
                return str(v.date())
            if isinstance(v, dict):
                return {str(k): clean(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [clean(x) for x in v]
            return v

        last = self.weights.iloc[-1] if len(self.weights) else pd.Series(dtype=float)
        return clean({
            "metrics": {c: self.metrics[c].to_dict() for c in self.metrics.columns},
            "params": self.params, "notes": list(self.notes),
            "start": self.returns.index[0] if len(self.returns) else None,
            "end": self.returns.index[-1] if len(self.returns) else None,
            "n_rebalances": int(len(self.weights)),
            "mean_turnover": float(self.turnover.mean()) if len(self.turnover) else None,
            "total_costs": float(self.costs.sum()),
            "last_weights": {str(k): float(v) for k, v in last[last > 1e-9].sort_values(ascending=False).items()},
        })


WeightsSource = Callable[[pd.Timestamp], pd.Series] | Mapping[pd.Timestamp, pd.Series]


def _lookup(source: WeightsSource, date: pd.Timestamp, keys: pd.DatetimeIndex | None) -> pd.Series:
    if callable(source):
        w = source(date)
    else:
        pos = keys.searchsorted(date, side="right") - 1  # latest decision at or before `date` (point in time)
        if pos < 0:
            raise ConfigError(f"no target weights at or before {date.date()} in the weights mapping "
                              f"(first key {keys[0].date()})")
        w = source[keys[pos]]
    if not isinstance(w, pd.Series):
        w = pd.Series(dict(w), dtype="float64")
    return w


class _Sim:
    """Drifting-weights simulator over a fixed asset axis (prices' columns + CASH)."""

    def __init__(self, prices: pd.DataFrame):
        self.cols = pd.Index(list(prices.columns) + ([_CASH] if _CASH not in prices.columns else []))
        px = prices.reindex(columns=self.cols)
        if _CASH in self.cols and _CASH not in prices.columns:
            px[_CASH] = 1.0
        # a missing day keeps the last price (return 0 that day, the move lands on the next day with a price);
        # before its first price a name is not tradable
        p = px.ffill().to_numpy(dtype="float64")
        with np.errstate(invalid="ignore", divide="ignore"):
            r = p[1:] / p[:-1] - 1
        r = np.vstack([np.zeros((1, p.shape[1])), r])
        self.returns = np.nan_to_num(r, nan=0.0, posinf=0.0, neginf=0.0)
        self.tradable = ~np.isnan(p)

    def vector(self, w: pd.Series, row: int, label: str, dropped: list[str]) -> np.ndarray:
        v = np.zeros(len(self.cols))
        idx = self.cols.get_indexer(w.index)
        if (idx < 0).any():
            unknown = list(w.index[idx < 0])
            raise ConfigError(f"{label} weights name tickers without prices: {unknown[:10]}")
        vals = w.to_numpy(dtype="float64")
        if not np.isfinite(vals).all() or (vals < -1e-12).any():
            raise ConfigError(f"{label} weights must be finite and >= 0 (long only)")
        np.add.at(v, idx, vals)
        ok = self.tradable[row]
        gone = (v > 0) & ~ok
        if gone.any():
            dropped.extend(self.cols[gone])
            v[gone] = 0.0
        s = v.sum()
        if not s > 0:
            raise ConfigError(f"{label} weights at row {row} have no tradable name with a positive weight")
        return v / s

    def run(self, rows: np.ndarray, targets: list[np.ndarray], cost: float, end_row: int):
        """Simulate; return (gross daily returns, net daily returns, turnover, costs) for rows[0]+1 .. end_row."""
        n_days = end_row - rows[0]
        gross = np.empty(n_days)
        net = np.empty(n_days)
        turnover = np.zeros(len(rows))
        costs = np.zeros(len(rows))
        drift = None
        stops = list(rows[1:]) + [end_row]
        for k, (r0, r1) in enumerate(zip(rows, stops, strict=True)):
            w = targets[k]
            if drift is not None:
                traded = float(np.abs(w - drift).sum())
                turnover[k] = 0.5 * traded
                costs[k] = cost * traded
            live = np.flatnonzero(w)
            block = self.returns[r0 + 1: r1 + 1, live]
            g = np.cumprod(1 + block, axis=0)
            v = g @ w[live]
            prev = np.concatenate([[1.0], v[:-1]])
            out = v / prev - 1
            a, b = r0 - rows[0], r1 - rows[0]
            gross[a:b] = out
            net[a:b] = out
            if len(out):
                net[a] = (1 + out[0]) * (1 - costs[k]) - 1
            drift = np.zeros_like(w)
            if len(v) and v[-1] > 0:
                drift[live] = w[live] * g[-1] / v[-1]
            else:
                drift = w.copy()
        return gross, net, turnover, costs


def _targets(sim: _Sim, source: WeightsSource, dates: pd.DatetimeIndex, rows: np.ndarray, label: str,
             dropped: list[str]) -> list[np.ndarray]:
    """Target weight vectors of ``source`` on each rebalance date (names without a price go to ``dropped``)."""
    keys = None if callable(source) else pd.DatetimeIndex(sorted(source))
    out = []
    for d, r in zip(dates, rows, strict=True):
        w = _lookup(source, d, keys)
        w = w[w.to_numpy() != 0]
        w.index = w.index.astype(str)
        out.append(sim.vector(w, r, f"{label} ({d.date()})", dropped))
    return out


def run_backtest(prices: pd.DataFrame, weights: WeightsSource, *,
                 benchmark: str | pd.Series | WeightsSource | None = None,
                 rebalance: str = "M", cost_bps: float = 10.0, start=None, end=None, risk_free: float = 0.0,
                 benchmark_cost_bps: float = 0.0, base_weights: WeightsSource | None = None) -> BacktestResult:
    """Simulate a periodically rebalanced long-only portfolio.

    Parameters
    ----------
    prices : DataFrame of shape (n_days, n_tickers)
        Total-return (dividend-adjusted) prices, DatetimeIndex sorted ascending; NaN before a listing or after a
        delisting. Not modified. A ``CASH`` weight earns 0.
    weights : callable or mapping
        ``weights_fn(date) -> Series`` of target weights by ticker decided at the close of ``date``, or a
        mapping ``{date: Series}`` (the latest key at or before each rebalance date is used). Weights are
        normalised; names without a price on the rebalance date are dropped (and reported).
    benchmark : str, Series, callable or mapping, optional
        A column of ``prices`` held buy-and-hold (e.g. ``"SPY"``), a Series of daily benchmark returns, or a
        weights source rebalanced on the same dates (then its weights give the active share).
    rebalance : {"M", "Q"}
        Month-end or quarter-end rebalancing (plus the first day).
    cost_bps : float
        Transaction cost in basis points of traded value (``sum |delta w|``, buys and sells); the initial
        purchase is free.
    start, end : date-like, optional
        Backtest window.
    risk_free : float
        Annual risk-free rate for Sharpe and Sortino (default 0).
    benchmark_cost_bps : float
        Costs charged to a weights-based benchmark (default 0).
    base_weights : callable or mapping, optional
        Reference weights for the active share when the benchmark's weights are unknown (an ETF).

    Returns
    -------
    BacktestResult

    Raises
    ------
    ConfigError
        Unknown rebalance frequency, negative costs, a window with fewer than two days, weights naming
        tickers without prices, a benchmark ticker not in ``prices``.
    """
    if not isinstance(prices, pd.DataFrame) or not isinstance(prices.index, pd.DatetimeIndex):
        raise ConfigError("`prices` must be a DataFrame with a DatetimeIndex (dates x tickers)")
    if not np.isfinite(cost_bps) or cost_bps < 0:
        raise ConfigError(f"`cost_bps` must be a number >= 0, got {cost_bps!r}")
    prices = prices.sort_index()
    dates = rebalance_dates(prices.index, rebalance, start, end)
    window = prices.index[(prices.index >= dates[0])]
    if end is not None:
        window = window[window <= pd.Timestamp(end)]
    end_row = prices.index.get_loc(window[-1])
    sim = _Sim(prices)
    rows = np.asarray([prices.index.get_loc(d) for d in dates])
    dropped: list[str] = []
    targets = _targets(sim, weights, dates, rows, "strategy", dropped)
    gross, net, turnover, costs = sim.run(rows, targets, cost_bps / 1e4, end_row)
    out_idx = prices.index[rows[0] + 1: end_row + 1]
    notes = []
    if dropped:
        names = sorted(set(dropped))
        notes.append(f"names without a price on a rebalance date were dropped and the rest renormalised: "
                     f"{', '.join(names[:10])}{' ...' if len(names) > 10 else ''}")
    W = pd.DataFrame(np.vstack(targets), index=dates, columns=sim.cols)
    W = W.loc[:, (W != 0).any(axis=0)]
    # benchmark
    bench_w = None
    if benchmark is None:
        b_ret = pd.Series(np.nan, index=out_idx)
    elif isinstance(benchmark, str):
        if benchmark not in prices.columns:
            raise ConfigError(f"`benchmark` {benchmark!r} is not a column of `prices`")
        p = prices[benchmark]
        b_ret = (p / p.shift(1) - 1).reindex(out_idx)
    elif isinstance(benchmark, pd.Series):
        b_ret = benchmark.reindex(out_idx).astype("float64")
    else:
        bt = _targets(sim, benchmark, dates, rows, "benchmark", [])
        _, bnet, _, _ = sim.run(rows, bt, benchmark_cost_bps / 1e4, end_row)
        b_ret = pd.Series(bnet, index=out_idx)
        bench_w = pd.DataFrame(np.vstack(bt), index=dates, columns=sim.cols)
    ref_w = bench_w
    if ref_w is None and base_weights is not None:
        bk = None if callable(base_weights) else pd.DatetimeIndex(sorted(base_weights))
        tmp: list[str] = []
        ref_w = pd.DataFrame(np.vstack([sim.vector(_lookup(base_weights, d, bk).pipe(lambda s: s[s != 0]), r,
                                                   "base", tmp) for d, r in zip(dates, rows, strict=True)]),
                             index=dates, columns=sim.cols)
        notes.append("active share is measured against the base portfolio (the benchmark's own weights are "
                     "unknown)")
    if ref_w is not None:
        a_share = pd.Series(0.5 * np.abs(np.vstack(targets) - ref_w.to_numpy()).sum(axis=1), index=dates)
    else:
        a_share = pd.Series(np.nan, index=dates)
    r_net = pd.Series(net, index=out_idx, name="strategy")
    r_gross = pd.Series(gross, index=out_idx, name="strategy_gross")
    b_ret = b_ret.rename("benchmark")
    t_series = pd.Series(turnover, index=dates, name="turnover")
    metrics = performance_table(r_net, b_ret if b_ret.notna().any() else None, risk_free=risk_free,
                                turnover=t_series,
                                active_share_mean=float(a_share.mean()) if a_share.notna().any() else None)
    params = {"rebalance": str(rebalance).upper(), "cost_bps": float(cost_bps), "start": str(out_idx[0].date()),
              "end": str(out_idx[-1].date()), "n_rebalances": int(len(dates)),
              "benchmark": benchmark if isinstance(benchmark, str) else type(benchmark).__name__,
              "risk_free": risk_free}
    return BacktestResult(returns=r_net, gross_returns=r_gross, benchmark_returns=b_ret, weights=W,
                          turnover=t_series, costs=pd.Series(costs, index=dates, name="costs"),
                          active_share=a_share.rename("active_share"), metrics=metrics, notes=tuple(notes),
                          params=params)


def _mean_active(w: pd.DataFrame, b: pd.DataFrame) -> float:
    cols = w.columns.union(b.columns)
    a = 0.5 * (w.reindex(columns=cols, fill_value=0.0) - b.reindex(index=w.index, columns=cols, fill_value=0.0)).abs()
    return float(a.sum(axis=1).mean())
