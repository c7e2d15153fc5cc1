"""Point-in-time backtests of ESG screens, and the performance statistics of METHODOLOGY s.6.

Two layers:

* :func:`run_backtest` is a fast, data-agnostic engine: prices (DatetimeIndex x tickers, total-return adjusted)
  plus a *pluggable* weights source -- a callable ``weights_fn(date) -> Series`` or a precomputed mapping
  ``{date: Series}`` -- rebalanced monthly or quarterly with transaction costs on turnover. Weights decided at
  the close of a rebalance date earn returns from the next trading day, so they can use nothing later than
  that close; between rebalances weights drift with prices.
* :func:`esg_backtest` plugs esglib in: at each rebalance date it scores the universe with
  ``esglib.scoring.score(..., as_of=date)`` -- a fiscal year's figures count only after fiscal-year end plus
  the publication lag (:func:`esglib.data.available_as_of`, default 183 days) -- and applies a screen
  (tilt, best-in-class, exclusion) or the tracking-error optimiser. Scores are cached per information set: two
  rebalance dates that see the same public figures share one scoring run (:func:`point_in_time_scores`).

Metric functions (:func:`cagr`, :func:`annual_volatility`, :func:`sharpe_ratio`, :func:`sortino_ratio`,
:func:`max_drawdown`, :func:`beta`, :func:`tracking_error`, :func:`information_ratio`, :func:`active_share`) are
plain functions on return Series; :func:`performance_table` applies them to monthly returns compounded from
daily ones, as METHODOLOGY s.6 specifies ("monthly data, annualised"); max drawdown uses the daily path.
A metric that cannot be computed (too few observations, zero variance) is NaN.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from esglib.errors import ConfigError

__all__ = [
    "BacktestResult",
    "STRATEGIES",
    "rebalance_dates",
    "run_backtest",
    "esg_backtest",
    "strategy_weights",
    "point_in_time_scores",
    "performance_table",
    "cagr",
    "annual_volatility",
    "sharpe_ratio",
    "sortino_ratio",
    "max_drawdown",
    "beta",
    "tracking_error",
    "information_ratio",
    "active_share",
    "to_monthly",
]

STRATEGIES = ("tilt", "best-in-class", "exclusion", "optimised")
_CASH = "CASH"


# ------------------------------------------------------------------------------------------------ metrics
def _arr(x) -> np.ndarray:
    a = np.asarray(x, dtype="float64")
    return a[~np.isnan(a)]


def _pair(r, b) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(r, pd.Series) and isinstance(b, pd.Series):
        df = pd.concat([r, b], axis=1, join="inner").dropna()
        return df.iloc[:, 0].to_numpy(dtype="float64"), df.iloc[:, 1].to_numpy(dtype="float64")
    ra, ba = np.asarray(r, dtype="float64"), np.asarray(b, dtype="float64")
    if ra.shape != ba.shape:
        raise ConfigError(f"returns and benchmark must have the same length, got {ra.shape} and {ba.shape}")
    ok = ~(np.isnan(ra) | np.isnan(ba))
    return ra[ok], ba[ok]


def cagr(returns, periods_per_year: float = 12) -> float:
    """Compound annual growth rate: ``prod(1 + r) ** (periods_per_year / n) - 1`` (NaN if no returns)."""
    r = _arr(returns)
    if r.size == 0:
        return np.nan
    growth = float(np.prod(1 + r))
    if growth <= 0:
        return -1.0
    return growth ** (periods_per_year / r.size) - 1


def annual_volatility(returns, periods_per_year: float = 12) -> float:
    """Annualised standard deviation: ``std(r, ddof=1) x sqrt(periods_per_year)`` (NaN if n < 2)."""
    r = _arr(returns)
    return float(np.std(r, ddof=1) * np.sqrt(periods_per_year)) if r.size >= 2 else np.nan


def sharpe_ratio(returns, risk_free: float = 0.0, periods_per_year: float = 12) -> float:
    """Annualised Sharpe ratio ``mean(r - rf) / std(r - rf, ddof=1) x sqrt(ppy)``; ``risk_free`` per period."""
    r = _arr(returns) - risk_free
    if r.size < 2:
        return np.nan
    sd = np.std(r, ddof=1)
    return float(np.mean(r) / sd * np.sqrt(periods_per_year)) if sd > 0 else np.nan


def sortino_ratio(returns, risk_free: float = 0.0, periods_per_year: float = 12) -> float:
    """Annualised Sortino ratio: ``mean(r - rf) x ppy / (sqrt(mean(min(r - rf, 0)^2)) x sqrt(ppy))``.

    The downside deviation averages over *all* periods (target = ``risk_free``); NaN without downside.
    """
    r = _arr(returns) - risk_free
    if r.size < 2:
        return np.nan
    dd = np.sqrt(np.mean(np.minimum(r, 0.0) ** 2))
    return float(np.mean(r) * periods_per_year / (dd * np.sqrt(periods_per_year))) if dd > 0 else np.nan


def max_drawdown(returns) -> float:
    """Largest peak-to-trough fall of the wealth path ``prod(1 + r)`` started at 1 (<= 0; 0 if never below)."""
    r = _arr(returns)
    if r.size == 0:
        return np.nan
    wealth = np.concatenate([[1.0], np.cumprod(1 + r)])
    return float(np.min(wealth / np.maximum.accumulate(wealth) - 1))


def beta(returns, benchmark) -> float:
    """``cov(r, b) / var(b)`` over dates where both exist (NaN if fewer than 2 or var(b) = 0)."""
    r, b = _pair(returns, benchmark)
    if r.size < 2:
        return np.nan
    vb = np.var(b, ddof=1)
    return float(np.cov(r, b, ddof=1)[0, 1] / vb) if vb > 0 else np.nan


def tracking_error(returns, benchmark, periods_per_year: float = 12) -> float:
    """Annualised tracking error ``std(r - b, ddof=1) x sqrt(ppy)`` (METHODOLOGY s.6)."""
    r, b = _pair(returns, benchmark)
    return float(np.std(r - b, ddof=1) * np.sqrt(periods_per_year)) if r.size >= 2 else np.nan


def information_ratio(returns, benchmark, periods_per_year: float = 12) -> float:
    """``mean(r - b) x ppy / tracking_error`` (NaN when the tracking error is 0 or undefined)."""
    r, b = _pair(returns, benchmark)
    te = tracking_error(returns, benchmark, periods_per_year)
    if not np.isfinite(te) or te == 0:
        return np.nan
    return float(np.mean(r - b) * periods_per_year / te)


def active_share(weights: pd.Series | Mapping[str, float], benchmark: pd.Series | Mapping[str, float]) -> float:
    """Active share ``0.5 x sum_i |w_i - b_i|`` over the union of names (absent = 0), each side normalised to 1.

    Returns a fraction in [0, 1] (0 = identical, 1 = no overlap); NaN when either side sums to 0.
    """
    w = pd.Series(weights, dtype="float64") if not isinstance(weights, pd.Series) else weights.astype("float64")
    b = pd.Series(benchmark, dtype="float64") if not isinstance(benchmark, pd.Series) else benchmark.astype("float64")
    sw, sb = float(w.sum()), float(b.sum())
    if not (sw > 0 and sb > 0):
        return np.nan
    w, b = (w / sw).groupby(level=0).sum(), (b / sb).groupby(level=0).sum()
    idx = w.index.union(b.index)
    return float(0.5 * np.abs(w.reindex(idx, fill_value=0.0) - b.reindex(idx, fill_value=0.0)).sum())


def to_monthly(returns: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """Compound daily simple returns into calendar-month returns (index: month-end dates)."""
    out = (1 + returns).resample("ME").prod(min_count=1) - 1
    return out


def performance_table(returns: pd.Series, benchmark: pd.Series | None = None, *, risk_free: float = 0.0,
                      turnover: pd.Series | None = None, active_share_mean: float | None = None) -> pd.DataFrame:
    """Tabulate the performance of a strategy and its benchmark from daily returns (METHODOLOGY s.6).

    Parameters
    ----------
    returns : Series
        Daily simple returns of the strategy (DatetimeIndex).
    benchmark : Series, optional
        Daily simple returns of the benchmark.
    risk_free : float
        Annual risk-free rate (default 0: no rate series is bundled), converted to a monthly rate.
    turnover : Series, optional
        One-way turnover per rebalance (reported as an annual figure).
    active_share_mean : float, optional
        Average active share to report.

    Returns
    -------
    DataFrame
        Rows ``cagr, volatility, sharpe, sortino, max_drawdown, beta, tracking_error, information_ratio,
        active_share, turnover_annual, n_months``; columns ``strategy`` and ``benchmark`` (when given). Ratios
        from monthly returns annualised with 12; max drawdown from the daily path; fractions, not percent.
    """
    rf_m = (1 + risk_free) ** (1 / 12) - 1
    m = to_monthly(returns).dropna()

    def col(r_d: pd.Series, r_m: pd.Series, bench_m: pd.Series | None) -> dict[str, float]:
        out = {"cagr": cagr(r_m, 12), "volatility": annual_volatility(r_m, 12),
               "sharpe": sharpe_ratio(r_m, rf_m, 12), "sortino": sortino_ratio(r_m, rf_m, 12),
               "max_drawdown": max_drawdown(r_d)}
        if bench_m is not None:
            out.update({"beta": beta(r_m, bench_m), "tracking_error": tracking_error(r_m, bench_m, 12),
                        "information_ratio": information_ratio(r_m, bench_m, 12)})
        else:
            out.update({"beta": np.nan, "tracking_error": np.nan, "information_ratio": np.nan})
        out["n_months"] = float(r_m.size)
        return out

    bm = to_monthly(benchmark).dropna() if benchmark is not None else None
    strat = col(returns.dropna(), m, bm)
    years = len(m) / 12 if len(m) else np.nan
    strat["active_share"] = np.nan if active_share_mean is None else float(active_share_mean)
    strat["turnover_annual"] = (float(turnover.sum()) / years if turnover is not None and years and years > 0
                                else np.nan)
    rows = ["cagr", "volatility", "sharpe", "sortino", "max_drawdown", "beta", "tracking_error",
            "information_ratio", "active_share", "turnover_annual", "n_months"]
    df = pd.DataFrame({"strategy": pd.Series(strat)}).reindex(rows)
    if benchmark is not None:
        b = col(benchmark.dropna(), bm, bm)
        b.update({"beta": 1.0, "tracking_error": 0.0, "information_ratio": np.nan, "active_share": 0.0,
                  "turnover_annual": np.nan})
        df["benchmark"] = pd.Series(b).reindex(rows)
    df.index.name = "metric"
    return df


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


# ------------------------------------------------------------------------------------------------ ESG layer
def point_in_time_scores(dates: Iterable, disclosures: pd.DataFrame | None = None,
                         companies: pd.DataFrame | None = None, config=None, cache: dict | None = None
                         ) -> dict[pd.Timestamp, pd.DataFrame]:
    """Scores as they could have been computed on each date (no look-ahead), cached per information set.

    For each date the usable figures are those of :func:`esglib.data.available_as_of` (fiscal-year end +
    ``config.publication_lag_days``; restatements from 30 June of their edition year). Dates that see exactly
    the same figures share one call to ``esglib.scoring.score(..., as_of=date)``.

    Parameters
    ----------
    dates : iterable of date-like
    disclosures, companies, config
        Inputs of :func:`esglib.scoring.score`.
    cache : dict, optional
        A dict to reuse across calls with the *same* disclosures, companies and config (e.g. several strategies
        backtested on one data set): scores already computed for an information set are not recomputed.

    Returns
    -------
    dict
        ``{Timestamp: scores DataFrame}`` (the frames of dates with the same information are the same object;
        treat them as read-only).
    """
    from esglib.data import available_as_of, load_companies, load_disclosures
    from esglib.scoring import ScoreConfig, score

    cfg = config or ScoreConfig()
    if companies is None:
        companies = load_companies()
    if disclosures is None:
        disclosures = load_disclosures(companies=companies)
    cache = {} if cache is None else cache
    out: dict[pd.Timestamp, pd.DataFrame] = {}
    for d in pd.DatetimeIndex(list(dates)):
        key = tuple(available_as_of(disclosures, companies, d, cfg.publication_lag_days).index)
        if key not in cache:
            cache[key] = score(disclosures, cfg, companies=companies, as_of=d)
        out[d] = cache[key]
    return out


def _load_prices(tickers: list[str], start, end, source: str) -> tuple[pd.DataFrame, list[str]]:
    """Total-return prices via :func:`esglib.market.prices` (lazy import) and the tickers it had no data for."""
    from esglib import market

    with warnings.catch_warnings():  # tickers without data are reported in the result's notes instead
        warnings.simplefilter("ignore")
        px = market.prices(tickers, start=start, end=end, source=source, adjust="total")
    missing = list(px.attrs.get("missing", []))
    px = px.loc[:, px.notna().any(axis=0)]
    px.index = pd.DatetimeIndex(px.index)
    return px.sort_index(), missing


def strategy_weights(strategy: str, base: Callable[[pd.Timestamp], pd.Series], scores_at: Callable[[pd.Timestamp],
                     pd.DataFrame], *, prices: pd.DataFrame | None = None, min_rating: str | None = "BB",
                     exclude_flags: Iterable[str] = (), best_in_class_share: float = 0.5, tilt: float = 1.0,
                     target_uplift: float = 10.0, lookback: int = 252, carbon_at: Callable | None = None,
                     max_weight: float = 0.2, fallbacks: list | None = None) -> Callable[[pd.Timestamp], pd.Series]:
    """Build ``weights_fn(date)`` for an ESG strategy (pluggable into :func:`run_backtest`).

    Parameters
    ----------
    strategy : {"tilt", "best-in-class", "exclusion", "optimised"}
        ``tilt``: :func:`esglib.portfolio.score_tilt` (strength ``tilt``, unrated names at half weight);
        ``best-in-class``: :func:`esglib.portfolio.best_in_class` (top ``best_in_class_share`` per peer group);
        ``exclusion``: :func:`esglib.portfolio.exclusion_screen` (``min_rating``, ``exclude_flags``; unrated
        kept); ``optimised``: :func:`esglib.optimise.optimise` -- least tracking error to the base weights with
        a composite at least ``target_uplift`` points above the base's (capped just below the highest
        achievable), covariance from the ``lookback`` trading days up to ``date``, weights <= ``max_weight``.
    base : callable
        ``base(date) -> Series`` of the starting weights (the holdings, or an equal-weight universe).
    scores_at : callable
        ``scores_at(date) -> scores`` as known on ``date`` (e.g. from :func:`point_in_time_scores`).
    prices : DataFrame, optional
        Needed by ``optimised`` (only rows up to ``date`` are read).
    fallbacks : list, optional
        Receives ``(date, reason)`` whenever the screen cannot be applied and the base weights are held.

    Returns
    -------
    callable
        ``date -> Series`` of target weights, using nothing published or priced after ``date``.
    """
    from esglib import portfolio as pf

    if strategy not in STRATEGIES:
        raise ConfigError(f"`strategy` must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    if strategy == "optimised" and prices is None:
        raise ConfigError("the 'optimised' strategy needs `prices` for its covariance")
    log = fallbacks if fallbacks is not None else []

    def fn(date: pd.Timestamp) -> pd.Series:
        b = base(date)
        sc = scores_at(date)
        if not sc["composite"].notna().any():
            log.append((date, "no company had a composite yet"))
            return b
        try:
            if strategy == "tilt":
                return pf.score_tilt(b, sc, tilt).weights
            if strategy == "best-in-class":
                return pf.best_in_class(b, sc, best_in_class_share).weights
            if strategy == "exclusion":
                return pf.exclusion_screen(b, sc, min_rating=min_rating, exclude_flags=exclude_flags).weights
            return _optimised(date, b, sc)
        except ConfigError as exc:  # e.g. a screen that excludes everything, or an infeasible target
            log.append((date, str(exc).splitlines()[0]))
            return b

    def _optimised(date, b, sc):
        from esglib.optimise import _lp_extreme, covariance, optimise

        hist = prices.loc[:date].iloc[-(lookback + 1):]
        cash = float(b.get(_CASH, 0.0))
        bb = b.drop(_CASH, errors="ignore")
        rets = hist[[t for t in bb.index if t in hist.columns]].pct_change(fill_method=None).iloc[1:]
        ok = rets.notna().sum() >= max(60, lookback // 2)
        names = list(ok.index[ok])
        if len(names) < 2:
            raise ConfigError("fewer than two names with enough price history for a covariance")
        bb = bb.reindex(names).fillna(0.0)
        cov = covariance(rets[names])
        comp = sc["composite"].reindex(names)
        n = len(names)
        cap = max(max_weight, 1.0 / n + 1e-9)
        base_comp = float((bb / bb.sum() * comp.fillna(0.0)).sum())
        best = -_lp_extreme(-comp.fillna(0.0).to_numpy(), np.zeros(n), np.full(n, cap))[0]
        target = min(base_comp + target_uplift, base_comp + 0.9 * (best - base_comp))
        kw = {}
        if carbon_at is not None:
            kw["carbon_intensity"] = carbon_at(date)
        res = optimise(bb, comp, cov, target=target, bounds=(0.0, cap), **kw)
        w = res.weights * (1 - cash)
        if cash > 0:
            w[_CASH] = cash
        return w

    return fn


def esg_backtest(strategy: str = "tilt", *, holdings: pd.DataFrame | pd.Series | None = None,
                 benchmark: str = "SPY", start=None, end=None, rebalance: str = "M", cost_bps: float = 10.0,
                 prices: pd.DataFrame | None = None, source: str = "snapshot", disclosures: pd.DataFrame | None = None,
                 companies: pd.DataFrame | None = None, config=None, risk_free: float = 0.0,
                 scores_cache: dict | None = None, **strategy_kwargs) -> BacktestResult:
    """Backtest an ESG screen on the universe (or on given holdings) point in time.

    Parameters
    ----------
    strategy : {"tilt", "best-in-class", "exclusion", "optimised"}
        See :func:`strategy_weights` (extra keyword arguments go there: ``tilt``, ``min_rating``,
        ``exclude_flags``, ``best_in_class_share``, ``target_uplift``, ``lookback``, ``max_weight``).
    holdings : DataFrame or Series, optional
        Base weights (:func:`esglib.portfolio.load_holdings` output or weights by ticker), held constant and
        rebalanced; names without prices are dropped, cash earns 0. Default: an equal-weight portfolio of every
        universe company with a price on the rebalance date.
    benchmark : str
        A ticker with prices (default ``"SPY"``, bought and held), ``"equal"`` (equal-weight universe) or
        ``"base"`` (the base weights themselves, i.e. what screening adds).
    start, end : date-like, optional
        Window (default: the whole price history).
    rebalance : {"M", "Q"}
    cost_bps : float
        Cost in bps of traded value, on the strategy (the benchmark pays none).
    prices : DataFrame, optional
        Total-return prices by *universe ticker*; default :func:`esglib.market.prices` (``source``,
        ``adjust="total"``), columns renamed from ``yahoo_ticker`` to ``ticker``.
    source : str
        Market-data source (default the bundled snapshot: offline).
    disclosures, companies, config
        Inputs of :func:`esglib.scoring.score` (defaults: bundled data, ``ScoreConfig()``).
    risk_free : float
        Annual risk-free rate for Sharpe and Sortino.
    scores_cache : dict, optional
        Shared cache for :func:`point_in_time_scores` when several strategies are backtested on the same
        disclosures, companies and config (pass the same empty dict to each call).

    Returns
    -------
    BacktestResult
        ``notes`` say how many rebalances held the base weights because no company was rated yet (the
        bundled data has no composite before 2022) or a screen could not be applied.
    """
    from esglib.data import load_companies, load_disclosures
    from esglib.portfolio import holdings_weights
    from esglib.scoring import ScoreConfig

    cfg = config or ScoreConfig()
    if strategy not in STRATEGIES:
        raise ConfigError(f"`strategy` must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    if companies is None:
        companies = load_companies()
    if disclosures is None:
        disclosures = load_disclosures(companies=companies)
    uni = companies.drop_duplicates("ticker").set_index("ticker")
    ytick = uni["yahoo_ticker"] if "yahoo_ticker" in uni.columns else pd.Series(uni.index, index=uni.index)
    ymap = {t: (str(y) if str(y) else t) for t, y in ytick.items()}
    base_fixed = None
    if holdings is not None:
        base_fixed = holdings_weights(holdings)
        base_fixed = base_fixed[base_fixed != 0]
    bench_key = str(benchmark)
    if prices is None:
        wanted = sorted(set(ymap.values()) | (set(base_fixed.index) - {_CASH} if base_fixed is not None else set()))
        if bench_key.lower() not in ("equal", "base"):
            wanted.append(bench_key)
        px, no_data = _load_prices(sorted(set(wanted)), None, end, source)
        inv = {y: t for t, y in ymap.items()}
        prices = px.rename(columns=lambda c: inv.get(c, c))
    else:
        no_data = []
    notes: list[str] = []
    if no_data:
        notes.append(f"no prices from source {source!r} for {', '.join(no_data)}: left out of the backtest")
    if base_fixed is not None:
        no_px = [t for t in base_fixed.index if t != _CASH and t not in prices.columns]
        if no_px:
            notes.append(f"holdings without prices left out: {', '.join(no_px)} "
                         f"({float(base_fixed[no_px].sum() / base_fixed.sum()):.1%} of weight)")
            base_fixed = base_fixed.drop(no_px)
        if not (base_fixed > 0).any():
            raise ConfigError("none of the holdings has prices to backtest")
    bench_is_ticker = bench_key.lower() not in ("equal", "base")
    if bench_is_ticker and bench_key not in prices.columns:
        raise ConfigError(f"`benchmark` {bench_key!r} has no prices (use a ticker in the snapshot, 'equal' or "
                          "'base')")
    universe_cols = [t for t in uni.index if t in prices.columns]
    strat_cols = sorted(set(universe_cols) | (set(base_fixed.index) - {_CASH} if base_fixed is not None else set()))
    sim_cols = strat_cols + ([bench_key] if bench_is_ticker and bench_key not in strat_cols else [])
    px_all = prices[sim_cols]
    # trading days of the names held (drops days on which only foreign listings traded)
    px_all = px_all.loc[px_all[strat_cols].notna().any(axis=1)]
    prices = px_all
    idx = prices.index
    pos = {d: i for i, d in enumerate(idx)}

    def base(date: pd.Timestamp) -> pd.Series:
        if base_fixed is not None:
            return base_fixed / base_fixed.sum()
        return _equal_live(date)

    def _equal_live(date: pd.Timestamp) -> pd.Series:
        row = px_all.iloc[pos[date]][universe_cols]
        live = row.index[row.notna()]
        if not len(live):
            raise ConfigError(f"no universe company has a price on {date.date()}")
        return pd.Series(1.0 / len(live), index=live)

    dates = rebalance_dates(idx, rebalance, start, end)
    panel = point_in_time_scores(dates, disclosures, companies, cfg, cache=scores_cache)
    fallbacks: list = []
    fn = strategy_weights(strategy, base, panel.__getitem__, prices=px_all, fallbacks=fallbacks,
                          **strategy_kwargs)
    if bench_is_ticker:
        bench = bench_key
    elif bench_key.lower() == "equal":
        bench = _equal_live
    else:
        bench = base
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = run_backtest(px_all, fn, benchmark=bench, rebalance=rebalance, cost_bps=cost_bps,
                           start=start, end=end, risk_free=risk_free,
                           base_weights=base if bench_is_ticker else None)
        base_res = run_backtest(px_all, base, benchmark=bench, rebalance=rebalance, cost_bps=cost_bps,
                                start=start, end=end, risk_free=risk_free)
        vs_base = performance_table(res.returns, base_res.returns, risk_free=risk_free, turnover=res.turnover,
                                    active_share_mean=float(_mean_active(res.weights, base_res.weights)))
    metrics = res.metrics.copy()
    metrics.insert(1, "base", base_res.metrics["strategy"])
    relative = ["beta", "tracking_error", "information_ratio", "active_share"]
    metrics["strategy_vs_base"] = vs_base["strategy"].where(vs_base.index.isin(relative))
    unscored = sum(1 for _, why in fallbacks if why.startswith("no company"))
    other = [(d, why) for d, why in fallbacks if not why.startswith("no company")]
    if unscored:
        scored = [d for d in dates if panel[d]["composite"].notna().any()]
        hint = (f"; the strategy equals the base until {scored[0].date()}: to measure the scored period only, "
                f"start there (--start {scored[0].date()})") if scored else ""
        notes.append(f"{unscored} of {len(dates)} rebalances held the base weights: no company had a composite "
                     f"yet (figures become public {cfg.publication_lag_days} days after fiscal-year end){hint}")
    if other:
        notes.append(f"{len(other)} rebalance(s) held the base weights because the screen could not be applied "
                     f"(first: {other[0][0].date()}: {other[0][1]})")
    n_sets = len({id(v) for v in panel.values()})
    notes.append(f"scores recomputed point in time at {len(dates)} rebalances ({n_sets} distinct information sets; "
                 f"publication lag {cfg.publication_lag_days} days)")
    params = dict(res.params)
    params.update({"strategy": strategy, "benchmark": bench_key, "source": source,
                   "base": "holdings" if base_fixed is not None else "equal-weight universe",
                   **{k: (list(v) if isinstance(v, tuple) else v) for k, v in strategy_kwargs.items()}})
    return BacktestResult(returns=res.returns, gross_returns=res.gross_returns,
                          benchmark_returns=res.benchmark_returns, weights=res.weights, turnover=res.turnover,
                          costs=res.costs, active_share=res.active_share, metrics=metrics,
                          notes=tuple(list(res.notes) + notes), params=params, base_returns=base_res.returns)


def _mean_active(w: pd.DataFrame, b: pd.DataFrame) -> float:
    cols = w.columns.union(b.columns)
    a = 0.5 * (w.reindex(columns=cols, fill_value=0.0) - b.reindex(index=w.index, columns=cols, fill_value=0.0)).abs()
    return float(a.sum(axis=1).mean())
