"""Analysis: statistics (the only statsmodels user) and scenarios (carbon price, electricity growth, water stress)."""

from __future__ import annotations

from esglib.analysis._baseline import CARBON_INPUTS, EUR_USD_NOTE, GROWTH_INPUTS, company_baseline
from esglib.analysis._carbon import carbon_price_shock, carbon_prices, portfolio_weighted
from esglib.analysis._scenarios import demand_growth, electricity_growth, water_stress
from esglib.analysis._stats import (
    MIN_OBSERVATIONS,
    AlphaResult,
    CrossSectionResult,
    alpha_regression,
    cross_section_regression,
    newey_west_lags,
    subsequent_returns,
)

__all__ = [
    "EUR_USD_NOTE",
    "CARBON_INPUTS",
    "GROWTH_INPUTS",
    "company_baseline",
    "carbon_prices",
    "carbon_price_shock",
    "portfolio_weighted",
    "demand_growth",
    "electricity_growth",
    "water_stress",
    "newey_west_lags",
    "AlphaResult",
    "CrossSectionResult",
    "alpha_regression",
    "cross_section_regression",
    "subsequent_returns",
    "MIN_OBSERVATIONS",
]
