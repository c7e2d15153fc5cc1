"""Portfolio: holdings, the portfolio summary, screens and the optimiser."""

from __future__ import annotations

from esglib.portfolio._covariance import covariance, ledoit_wolf
from esglib.portfolio._engagement import engagement_questions, explanation_questions
from esglib.portfolio._errors import InfeasibleError, OptimisationError
from esglib.portfolio._holdings import CASH, HOLDINGS_ALIASES, holdings_weights, load_holdings
from esglib.portfolio._optimise import METHODS, OptimiseResult, optimise, tradeoff_curve
from esglib.portfolio._screens import ScreenResult, apply_screens, best_in_class, exclusion_screen, score_tilt
from esglib.portfolio._summary import RATING_ORDER, PortfolioSummary, company_footprint, portfolio_summary

__all__ = [
    "covariance",
    "ledoit_wolf",
    "engagement_questions",
    "explanation_questions",
    "InfeasibleError",
    "OptimisationError",
    "CASH",
    "HOLDINGS_ALIASES",
    "load_holdings",
    "holdings_weights",
    "OptimiseResult",
    "optimise",
    "tradeoff_curve",
    "METHODS",
    "ScreenResult",
    "exclusion_screen",
    "best_in_class",
    "score_tilt",
    "apply_screens",
    "PortfolioSummary",
    "portfolio_summary",
    "company_footprint",
    "RATING_ORDER",
]
