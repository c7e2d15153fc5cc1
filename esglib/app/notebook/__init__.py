"""Notebook helpers: the app-layer functions the notebooks call (they may load the bundled files)."""

from __future__ import annotations

from esglib.app.notebook._analysis import (
    alpha_table,
    backtest_metrics,
    backtest_returns,
    compare_variants,
    run_screen_backtests,
    scorer,
    screen_dashboard,
    screen_view,
    universe_prices,
)
from esglib.app.notebook._data import (
    NOTEBOOKS,
    PRICES_AS_OF,
    cfe_spread,
    data_inventory,
    disclosure_counts,
    figures_for,
    fill_template,
    headline_figures,
    instrument_ladder,
    load_google_region_cfe,
    repo_path,
    scope2_methods,
    sheet_preview,
    suite_overview,
)
from esglib.app.notebook._tables import notes, number_format, style_table, workbook_preview

__all__ = [
    "style_table",
    "number_format",
    "notes",
    "workbook_preview",
    "compare_variants",
    "run_screen_backtests",
    "backtest_returns",
    "backtest_metrics",
    "alpha_table",
    "universe_prices",
    "scorer",
    "screen_view",
    "screen_dashboard",
    "fill_template",
    "sheet_preview",
    "NOTEBOOKS",
    "PRICES_AS_OF",
    "suite_overview",
    "data_inventory",
    "repo_path",
    "disclosure_counts",
    "figures_for",
    "headline_figures",
    "load_google_region_cfe",
    "cfe_spread",
    "scope2_methods",
    "instrument_ladder",
]
