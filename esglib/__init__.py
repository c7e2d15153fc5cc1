"""esglib: score listed companies on the sustainability of their AI footprint, offline-first.

The public API is re-exported here and imported lazily (``import esglib`` does not import pandas), so the
command line and ``import esglib`` stay fast. See ``README.md`` for a tour.

Layers (imports flow one way, see ``docs/architecture.md``): base modules ``errors``, ``vocabulary``,
``atomicio`` -> ``inputs`` -> ``market`` -> ``scoring`` -> ``portfolio`` -> ``backtest`` -> ``analysis`` ->
``outputs`` -> ``app`` (command line, demo, notebook helpers, and :mod:`esglib.app.bundled`, the only
library code that loads the bundled files).
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
    "load_companies": "esglib.inputs",
    "load_disclosures": "esglib.inputs",
    "load_macro": "esglib.inputs",
    "select_figures": "esglib.inputs",
    "available_as_of": "esglib.inputs",
    "METRICS": "esglib.inputs",
    "convert": "esglib.inputs",
    # metrics and scoring
    "compute_metrics": "esglib.scoring",
    "KPI_SPECS": "esglib.scoring",
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
    "covariance": "esglib.portfolio",
    "optimise": "esglib.portfolio",
    "OptimiseResult": "esglib.portfolio",
    "InfeasibleError": "esglib.portfolio",
    "tradeoff_curve": "esglib.portfolio",
    "BacktestResult": "esglib.backtest",
    "run_backtest": "esglib.backtest",
    "esg_backtest": "esglib.backtest",
    "point_in_time_scores": "esglib.backtest",
    "performance_table": "esglib.backtest",
    "alpha_regression": "esglib.analysis",
    "cross_section_regression": "esglib.analysis",
    "newey_west_lags": "esglib.analysis",
    # excel (issue 5)
    "write_scorecard": "esglib.outputs",
    "write_template": "esglib.outputs",
    # scenarios (issue 6)
    "carbon_price_shock": "esglib.analysis",
    "electricity_growth": "esglib.analysis",
    "water_stress": "esglib.analysis",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


#: submodules reachable as attributes (``esglib.analysis``) without importing them eagerly
_SUBMODULES = {"errors": "esglib.errors", "vocabulary": "esglib.vocabulary", "atomicio": "esglib.atomicio",
               "inputs": "esglib.inputs", "market": "esglib.market", "scoring": "esglib.scoring",
               "portfolio": "esglib.portfolio", "backtest": "esglib.backtest", "analysis": "esglib.analysis",
               "outputs": "esglib.outputs", "app": "esglib.app", "bundled": "esglib.app.bundled"}


def __getattr__(name: str) -> Any:
    """Import public names on first use (PEP 562)."""
    if name in _SUBMODULES:
        return importlib.import_module(_SUBMODULES[name])
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'esglib' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
