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
# **Goal:** test three screens point in time (each rebalance uses only the disclosures public on that date)
# against a benchmark and against the unscreened portfolio they start from; compare risk and return; plot
# cumulative returns and drawdowns; and read the regressions honestly: the sample is short and small.

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

companies = bundled.companies()
disclosures = bundled.disclosures()

# %% [markdown]
# ## 1. Point-in-time backtest
#
# The starting portfolio (**base**) is an equal-weight portfolio of every universe company with a price. At each
# quarter-end the universe is rescored with the figures public by then (fiscal-year end plus 183 days) and one
# of three screens is applied: a **tilt** towards better composites, **best-in-class** (top half of each peer
# group; unrated names out) and an **exclusion** of names rated below BB. The **benchmark** is SPY, bought and
# held. Prices are the bundled total-return snapshot; trading costs are 10 bp of traded value.
#
# The run starts in July 2022: before that no company had enough public figures for a composite, and the
# screens would just hold the base.

# %%
results = primer.run_screen_backtests(("tilt", "best-in-class", "exclusion"), disclosures=disclosures,
                                      companies=companies, start="2022-07-01", rebalance="Q")
for note in results["tilt"].notes:
    print("-", note)

# %%
returns = primer.backtest_returns(results)
primer.backtest_metrics(results)

# %%
png = plots.keep(plots.cumulative_returns(returns), OUT / "04_cumulative_returns.png")

# %%
png = plots.keep(plots.drawdowns(returns), OUT / "04_drawdowns.png")

# %% [markdown]
# ## 2. Regressions (statsmodels)
#
# **Time series.** Each strategy's monthly excess return regressed on a market series, with Newey-West (HAC)
# standard errors: first on the benchmark, then on the unscreened base. The second question is the one that
# matters for the screen: did *screening* add anything beyond holding the same universe?

# %%
against_benchmark = primer.alpha_table(results, against="benchmark")
against_benchmark

# %%
against_base = primer.alpha_table(results, against="base")
print(against_base.attrs["caveat"])
against_base

# %% [markdown]
# **Cross-section.** Did companies with better pillar scores in mid-2024 earn more over the next twelve months,
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
# * **Against SPY**, any screen of this universe looks brilliant: AI-exposed stocks beat the broad market by a
#   wide margin over 2022-2026. That is a sector bet, not an effect of the screen.
# * **Against the unscreened base**, the question is what the screen itself added. With four years of monthly
#   data, alphas of a few percent a year are well inside the noise; a large tracking error (best-in-class)
#   means the screen changed the portfolio a lot, not that it added value.
# * The cross-section has about 40 companies for about ten parameters and a single year: one significant
#   coefficient out of five is what chance alone produces about one time in five (1 - 0.95^5 = 23 %).
#   Treat it as a hypothesis.
# * One backtest path, no multiple-testing adjustment, and a universe chosen today (survivorship): past returns
#   say nothing reliable about the next years.
#
# ## Recap
#
# * `esglib.backtest.esg_backtest` rescored the universe point in time at every rebalance and applied each
#   screen; the metrics table compares strategies, the base and the benchmark, and what each screen added.
# * Cumulative returns and drawdowns show the path, not just the end point.
# * `esglib.stats` regressions use Newey-West (time series) and robust (cross-section) standard errors and say
#   in words what the sample can and cannot support.
