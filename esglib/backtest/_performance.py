"""Performance metrics of return series (METHODOLOGY s.6): per column on a DataFrame."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from esglib.errors import ConfigError

__all__ = ['performance_table', 'cagr', 'annual_volatility', 'sharpe_ratio', 'sortino_ratio', 'max_drawdown', 'beta', 'tracking_error', 'information_ratio', 'active_share', 'to_monthly']


# ------------------------------------------------------------------------------------------------ metrics
def _arr(x) -> np.ndarray:
    a = np.asarray(x, dtype="float64")
    if a.ndim > 1:
        raise ConfigError(f"`returns` must be 1-D (a Series, or a DataFrame for one value per column), got shape "
                          f"{a.shape}")
    return a[~np.isnan(a)]


def _per_column(metric: Callable[..., float]) -> Callable[..., Any]:
    """Let a one-series metric take a DataFrame: one value per column (a Series), never one pooled number."""

    @functools.wraps(metric)
    def wrapper(returns, *args, **kwargs):
        if isinstance(returns, pd.DataFrame):
            return pd.Series({c: metric(returns[c], *args, **kwargs) for c in returns.columns}, dtype="float64",
                             name=metric.__name__)
        return metric(returns, *args, **kwargs)

    wrapper.__doc__ = (metric.__doc__ or "") + (
        "\n\n    A DataFrame gives one value per column (a Series indexed by column); a 2-D array is refused.\n")
    return wrapper


def _pair(r, b) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(r, pd.Series) and isinstance(b, pd.Series):
        df = pd.concat([r, b], axis=1, join="inner").dropna()
        return df.iloc[:, 0].to_numpy(dtype="float64"), df.iloc[:, 1].to_numpy(dtype="float64")
    ra, ba = np.asarray(r, dtype="float64"), np.asarray(b, dtype="float64")
    if ra.ndim > 1 or ba.ndim > 1:
        raise ConfigError(f"returns and benchmark must be 1-D (pass a DataFrame of returns for one value per "
                          f"column), got shapes {ra.shape} and {ba.shape}")
    if ra.shape != ba.shape:
        raise ConfigError(f"returns and benchmark must have the same length, got {ra.shape} and {ba.shape}")
    ok = ~(np.isnan(ra) | np.isnan(ba))
    return ra[ok], ba[ok]


@_per_column
def cagr(returns, periods_per_year: float = 12) -> float:
    """Compound annual growth rate: ``prod(1 + r) ** (periods_per_year / n) - 1`` (NaN if no returns)."""
    r = _arr(returns)
    if r.size == 0:
        return np.nan
    growth = float(np.prod(1 + r))
    if growth <= 0:
        return -1.0
    return growth ** (periods_per_year / r.size) - 1


@_per_column
def annual_volatility(returns, periods_per_year: float = 12) -> float:
    """Annualised standard deviation: ``std(r, ddof=1) x sqrt(periods_per_year)`` (NaN if n < 2)."""
    r = _arr(returns)
    return float(np.std(r, ddof=1) * np.sqrt(periods_per_year)) if r.size >= 2 else np.nan


@_per_column
def sharpe_ratio(returns, risk_free: float = 0.0, periods_per_year: float = 12) -> float:
    """Annualised Sharpe ratio ``mean(r - rf) / std(r - rf, ddof=1) x sqrt(ppy)``; ``risk_free`` per period."""
    r = _arr(returns) - risk_free
    if r.size < 2:
        return np.nan
    sd = np.std(r, ddof=1)
    return float(np.mean(r) / sd * np.sqrt(periods_per_year)) if sd > 0 else np.nan


@_per_column
def sortino_ratio(returns, risk_free: float = 0.0, periods_per_year: float = 12) -> float:
    """Annualised Sortino ratio: ``mean(r - rf) x ppy / (sqrt(mean(min(r - rf, 0)^2)) x sqrt(ppy))``.

    The downside deviation averages over *all* periods (target = ``risk_free``); NaN without downside.
    """
    r = _arr(returns) - risk_free
    if r.size < 2:
        return np.nan
    dd = np.sqrt(np.mean(np.minimum(r, 0.0) ** 2))
    return float(np.mean(r) * periods_per_year / (dd * np.sqrt(periods_per_year))) if dd > 0 else np.nan


@_per_column
def max_drawdown(returns) -> float:
    """Largest peak-to-trough fall of the wealth path ``prod(1 + r)`` started at 1 (<= 0; 0 if never below)."""
    r = _arr(returns)
    if r.size == 0:
        return np.nan
    wealth = np.concatenate([[1.0], np.cumprod(1 + r)])
    return float(np.min(wealth / np.maximum.accumulate(wealth) - 1))


@_per_column
def beta(returns, benchmark) -> float:
    """``cov(r, b) / var(b)`` over dates where both exist (NaN if fewer than 2 or var(b) = 0)."""
    r, b = _pair(returns, benchmark)
    if r.size < 2:
        return np.nan
    vb = np.var(b, ddof=1)
    return float(np.cov(r, b, ddof=1)[0, 1] / vb) if vb > 0 else np.nan


@_per_column
def tracking_error(returns, benchmark, periods_per_year: float = 12) -> float:
    """Annualised tracking error ``std(r - b, ddof=1) x sqrt(ppy)`` (METHODOLOGY s.6)."""
    r, b = _pair(returns, benchmark)
    return float(np.std(r - b, ddof=1) * np.sqrt(periods_per_year)) if r.size >= 2 else np.nan


@_per_column
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
