"""Performance metrics of return series (METHODOLOGY s.6): per column on a DataFrame."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from esglib.errors import ConfigError

__all__ = [
    "performance_table", "cagr", "annual_volatility", "sharpe_ratio", "sortino_ratio", "max_drawdown", "beta",
    "tracking_error", "information_ratio", "active_share", "to_monthly",
]


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


def _aligned(returns, benchmark) -> tuple[np.ndarray, np.ndarray, pd.Index | None]:
    """Align returns (as a 2-D array, periods x series) and the benchmark (periods,); also give the labels.

    Series and DataFrames are aligned on their index (inner join, no copy when the indexes are equal); arrays
    must have the same length. The labels are the DataFrame's columns, or None for one series.
    """
    labels = returns.columns if isinstance(returns, pd.DataFrame) else None
    if isinstance(returns, (pd.Series, pd.DataFrame)) and isinstance(benchmark, pd.Series):
        if not returns.index.equals(benchmark.index):
            common = returns.index.intersection(benchmark.index, sort=False)
            returns, benchmark = returns.loc[common], benchmark.loc[common]
        R = returns.to_numpy(dtype="float64")
        B = benchmark.to_numpy(dtype="float64")
    else:
        R, B = np.asarray(returns, dtype="float64"), np.asarray(benchmark, dtype="float64")
        if R.ndim > 1 or B.ndim > 1:
            raise ConfigError(f"returns and benchmark must be 1-D (pass a DataFrame of returns for one value per "
                              f"column), got shapes {R.shape} and {B.shape}")
        if R.shape != B.shape:
            raise ConfigError(f"returns and benchmark must have the same length, got {R.shape} and {B.shape}")
    return (R.reshape(len(R), -1) if R.ndim != 2 else R), B, labels


def _relative(returns, benchmark, ppy: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index | None]:
    """Per series: beta, annualised tracking error and information ratio over the dates both exist.

    One pass over a (periods x series) array: no per-series alignment or concatenation.
    """
    R, B, labels = _aligned(returns, benchmark)
    mask = ~np.isnan(R) & ~np.isnan(B)[:, None]
    n = mask.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        Bb = np.where(mask, B[:, None], 0.0)
        Rr = np.where(mask, R, 0.0)
        mb = Bb.sum(axis=0) / n
        mr = Rr.sum(axis=0) / n
        db = np.where(mask, Bb - mb, 0.0)
        dr = np.where(mask, Rr - mr, 0.0)
        var_b = (db * db).sum(axis=0) / (n - 1)
        cov = (dr * db).sum(axis=0) / (n - 1)
        beta_ = np.where((n >= 2) & (var_b > 0), cov / np.where(var_b > 0, var_b, 1.0), np.nan)
        active = np.where(mask, R - B[:, None], 0.0)
        ma = active.sum(axis=0) / n
        da = np.where(mask, active - ma, 0.0)
        te = np.where(n >= 2, np.sqrt((da * da).sum(axis=0) / (n - 1)) * np.sqrt(ppy), np.nan)
        ir = np.where(np.isfinite(te) & (te != 0), ma * ppy / np.where(te != 0, te, 1.0), np.nan)
    return beta_, te, ir, labels


def _shape(values: np.ndarray, labels: pd.Index | None, name: str):
    return pd.Series(values, index=labels, dtype="float64", name=name) if labels is not None else float(values[0])


def beta(returns, benchmark):
    """``cov(r, b) / var(b)`` over dates where both exist (NaN if fewer than 2 or var(b) = 0).

    A DataFrame of returns gives one value per column (a Series indexed by column), computed for all columns
    at once; a 2-D array is refused.
    """
    b, _, _, labels = _relative(returns, benchmark, 12)
    return _shape(b, labels, "beta")


def tracking_error(returns, benchmark, periods_per_year: float = 12):
    """Annualised tracking error ``std(r - b, ddof=1) x sqrt(ppy)`` (METHODOLOGY s.6); a Series for a DataFrame."""
    _, te, _, labels = _relative(returns, benchmark, periods_per_year)
    return _shape(te, labels, "tracking_error")


def information_ratio(returns, benchmark, periods_per_year: float = 12):
    """``mean(r - b) x ppy / tracking_error`` (NaN when the tracking error is 0 or undefined).

    A DataFrame of returns gives one value per column, computed for all columns at once.
    """
    _, _, ir, labels = _relative(returns, benchmark, periods_per_year)
    return _shape(ir, labels, "information_ratio")


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
