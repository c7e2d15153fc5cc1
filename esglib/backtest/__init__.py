"""Backtests: performance metrics, the simulation engine and the ESG strategies."""

from __future__ import annotations

from esglib.backtest._engine import BacktestResult, rebalance_dates, run_backtest
from esglib.backtest._performance import (
    active_share,
    annual_volatility,
    beta,
    cagr,
    information_ratio,
    max_drawdown,
    performance_table,
    sharpe_ratio,
    sortino_ratio,
    to_monthly,
    tracking_error,
)
from esglib.backtest._strategies import STRATEGIES, esg_backtest, point_in_time_scores, strategy_weights

__all__ = [
    "BacktestResult",
    "rebalance_dates",
    "run_backtest",
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
    "STRATEGIES",
    "esg_backtest",
    "strategy_weights",
    "point_in_time_scores",
]
