"""esglib: score listed companies on the sustainability of their AI footprint, offline-first.

The public API is re-exported here and imported lazily (``import esglib`` does not import pandas), so the
command line and ``import esglib`` stay fast. See ``README.md`` for a tour.

Layers (imports flow one way): ``units``/``schema``/``readers``/``data`` -> ``metrics`` -> ``scoring`` ->
``portfolio``/``backtest``; at the edge: ``market`` (yfinance), ``stats`` (statsmodels), ``plots`` (seaborn),
``export`` (openpyxl), ``scenarios``, ``cli``.
"""

from __future__ import annotations

import importlib
from typing import Any

from esglib._version import __version__

#: public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # errors
    "EsglibError": "esglib.errors",
    "DataValidationError": "esglib.errors",
    "ConfigError": "esglib.errors",
    "MarketDataError": "esglib.errors",
    "Problem": "esglib.errors",
    # data
    "load_companies": "esglib.data",
    "load_disclosures": "esglib.data",
    "load_macro": "esglib.data",
    "select_figures": "esglib.data",
    "available_as_of": "esglib.data",
    "METRICS": "esglib.schema",
    "convert": "esglib.units",
    # metrics and scoring
    "compute_metrics": "esglib.metrics",
    "KPI_SPECS": "esglib.metrics",
    "ScoreConfig": "esglib.scoring",
    "score": "esglib.scoring",
    "explain": "esglib.scoring",
    "explain_many": "esglib.scoring",
    "sensitivity": "esglib.scoring",
    "score_to_band": "esglib.scoring",
    # market data (issue 3)
    "prices": "esglib.market",
    "returns": "esglib.market",
    "market_caps": "esglib.market",
    "snapshot_info": "esglib.market",
    "MarketDataWarning": "esglib.market",
    # portfolio, backtest, statistics (issue 4)
    "load_holdings": "esglib.portfolio",
    "portfolio_summary": "esglib.portfolio",
    "PortfolioSummary": "esglib.portfolio",
    "ScreenResult": "esglib.portfolio",
    "exclusion_screen": "esglib.portfolio",
    "best_in_class": "esglib.portfolio",
    "score_tilt": "esglib.portfolio",
    "apply_screens": "esglib.portfolio",
    "company_footprint": "esglib.portfolio",
    "covariance": "esglib.optimise",
    "optimise": "esglib.optimise",
    "OptimiseResult": "esglib.optimise",
    "InfeasibleError": "esglib.optimise",
    "tradeoff_curve": "esglib.optimise",
    "BacktestResult": "esglib.backtest",
    "run_backtest": "esglib.backtest",
    "esg_backtest": "esglib.backtest",
    "point_in_time_scores": "esglib.backtest",
    "performance_table": "esglib.backtest",
    "alpha_regression": "esglib.stats",
    "cross_section_regression": "esglib.stats",
    "newey_west_lags": "esglib.stats",
    # excel (issue 5)
    "write_scorecard": "esglib.export",
    "write_template": "esglib.export",
    # scenarios (issue 6)
    "carbon_price_shock": "esglib.scenarios",
    "electricity_growth": "esglib.scenarios",
    "water_stress": "esglib.scenarios",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


#: submodules reachable as attributes (``esglib.scenarios``) without importing them eagerly
_SUBMODULES = {"units", "schema", "readers", "data", "metrics", "scoring", "portfolio", "optimise", "backtest",
               "market", "stats", "plots", "export", "scenarios", "primer", "demo"}


def __getattr__(name: str) -> Any:
    """Import public names on first use (PEP 562)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"esglib.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'esglib' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
