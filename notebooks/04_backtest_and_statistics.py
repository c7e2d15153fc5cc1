# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 Backtest and statistics
#
# **Goal:** test three screens point in time (each rebalance uses only the disclosures public on that date),
# first against the unscreened universe they start from (what the screen added: the headline), then against SPY
# (the AI-sector bet); chart base, screens and SPY together; and read the regressions honestly: the sample is
# short and small.

# %%
import pandas as pd

import esglib
from esglib.app import bundled
from esglib.app import notebook as primer
from esglib.outputs import plots
from esglib.inputs import REPORTS_DIR

pd.set_option("display.max_columns", 30)
pd.set_option("display.width", 160)
OUT = REPORTS_DIR  # figures and workbooks go to reports/ (or $ESGLIB_REPORTS_DIR)
OUT.mkdir(parents=True, exist_ok=True)

# %%
from esglib import analysis as stats
from esglib import backtest

companies = bundled.companies()
disclosures = bundled.disclosures()

# %% [markdown]
# ## 1. Point-in-time backtest
#
# The starting portfolio (**base**) is an equal-weight portfolio of every universe company with a price: the
# unscreened universe. At each quarter-end the universe is rescored with the figures public by then (fiscal-year
# end plus 183 days) and one of three screens is applied: a **tilt** towards better composites, **best-in-class**
# (top half of each peer group; unrated names out) and an **exclusion** of names rated below BB. The
# **benchmark** is SPY, bought and held. Prices are the bundled total-return snapshot; trading costs are 10 bp of
# traded value. The run covers the whole price history, like `esglib backtest --rebalance Q` and the demo.
#
# Until enough figures are public for a composite, a screen has nothing to screen on and holds the base. The
# line below states the scored period; the demo and `esglib backtest` print the same line from the same helper
# (`esglib.backtest.scored_period`).

# %%
results = primer.run_screen_backtests(("tilt", "best-in-class", "exclusion"), disclosures=disclosures,
                                      companies=companies, rebalance="Q")
print(backtest.scored_period(results["tilt"]))

# %% [markdown]
# ## 2. The headline: what did the screen add over the unscreened universe?
#
# Each strategy's monthly excess return regressed on the **unscreened base**, over the scored period only (before
# it the strategy *is* the base), with Newey-West (HAC) standard errors. This is the question a screen must
# answer: did *screening* add anything beyond holding the same universe?

# %%
against_base = primer.alpha_table(results, against="base")
print(against_base.attrs["caveat"])
against_base

# %% [markdown]
# Base, screens and SPY on one chart: the screens track the unscreened base, and all of them are far from SPY.

# %%
returns = primer.backtest_returns(results)
png = plots.keep(plots.cumulative_returns(returns, scored_from=results["tilt"].params["scored_from"]),
                 OUT / "04_cumulative_returns.png")

# %%
png = plots.keep(plots.drawdowns(returns), OUT / "04_drawdowns.png")

# %% [markdown]
# Risk and return over the whole run, with what each screen changed against the base (`<strategy> vs base`).

# %%
primer.backtest_metrics(results)

# %% [markdown]
# ## 3. Second: against SPY (the AI-sector bet)
#
# The same regressions on SPY. Any portfolio of this universe, screened or not, beat the broad market over
# 2018-2026: that is a bet on the AI sector, not an effect of the screen. Compare with the base's own alpha.

# %%
against_benchmark = primer.alpha_table(results, against="benchmark")
against_benchmark

# %% [markdown]
# ## 4. Cross-section
#
# Did companies with better pillar scores in mid-2024 earn more over the next twelve months,
# compared within their peer group? Scores are computed as of the start of the period (no look-ahead).

# %%
prices = primer.universe_prices(companies)
as_of = "2024-06-30"
cross = stats.cross_section_regression(stats.subsequent_returns(prices, as_of, months=12),
                                       esglib.score(disclosures, companies=companies, as_of=as_of))
print(cross.formula)
print(cross.conclusion)
print(cross.caveat)
cross.coefficients

# %% [markdown]
# ## How to read this honestly
#
# * **Against the unscreened base** (the headline), the question is what the screen itself added. With about
#   four and a half scored years of monthly data, alphas of a few percent a year are well inside the noise; a
#   large tracking error (best-in-class) means the screen changed the portfolio a lot, not that it added value.
# * **Against SPY**, any screen of this universe looks brilliant: AI-exposed stocks beat the broad market by a
#   wide margin. The unscreened base did too: that is a sector bet, not an effect of the screen.
# * The cross-section has about 40 companies for about ten parameters and a single year: one significant
#   coefficient out of five is what chance alone produces about one time in five (1 - 0.95^5 = 23 %).
#   Treat it as a hypothesis.
# * One backtest path, no multiple-testing adjustment, and a universe chosen today (survivorship): past returns
#   say nothing reliable about the next years.
#
# ## Recap
#
# * `esglib.backtest.esg_backtest` rescored the universe point in time at every rebalance and applied each
#   screen; `esglib.backtest.scored_period` states when scores began, in the same words as the CLI and demo.
# * The headline compares each screen with the unscreened base over the scored period; SPY comes second, as
#   the AI-sector bet it is.
# * Cumulative returns and drawdowns show the path, not just the end point.
# * `esglib.stats` regressions use Newey-West (time series) and robust (cross-section) standard errors and say
#   in words what the sample can and cannot support.
