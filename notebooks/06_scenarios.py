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
# # 06 Scenarios: carbon price, AI electricity growth, water stress
#
# **Goal:** put numbers on three what-ifs with `esglib.scenarios`: what a carbon price would cost each company
# (and a portfolio), how Scope 2 grows if electricity use follows the IEA's data-centre path, and how much water
# sits in high-stress basins. Each function takes one disclosed year per company (ratios never mix years);
# a company that does not disclose an input is left out, and a missing figure stays missing.

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
from esglib import analysis as scenarios

disclosures = bundled.disclosures()
macro = bundled.macro()

# %% [markdown]
# ## 1. Carbon-price shock
#
# `cost = (Scope 1 + Scope 2 market-based) x price`, as a share of revenue. The prices are the EU ETS rows of
# `data/macro.csv` (EUR per tonne, converted with the cited annual-average rate of their year from
# `data/fx_rates.csv`; esglib assumes no rate, so an EUR price without one has no USD value) plus two prices of
# our own. Pricing CO2e with
# a CO2 allowance price is an approximation. Operating income is **not** in the bundled data, so the share of
# operating income stays empty.

# %%
print(scenarios.EUR_USD_NOTE)
prices = scenarios.carbon_prices(macro, fx=bundled.fx_rates(), extra_usd=[150, 200])
prices = prices[prices["price_usd_per_t"].notna()]  # EUR prices without a cited rate are not converted
primer.style_table(prices)

# %%
baseline = scenarios.company_baseline(disclosures)
primer.style_table(baseline)

# %%
shock = scenarios.carbon_price_shock(baseline, prices)
primer.style_table(shock.pivot(index="ticker", columns="scenario", values="cost_pct_revenue")[prices["scenario"]],
                   decimals=3, caption="carbon cost, % of revenue")

# %%
primer.style_table(shock[shock["scenario"] == "user USD 200"][["ticker", "fiscal_year", "emissions_tco2e", "cost_usd_m",
                                                                "cost_pct_revenue", "cost_pct_operating_income"]],
                   decimals=3)

# %% [markdown]
# With **location-based** Scope 2 (the grid average, before certificates and PPAs) the cost is higher for the
# companies whose contractual instruments lower their market-based figure. A company without a location-based
# figure in a year it also reports Scope 1 and revenue drops out of this table rather than being estimated; the
# cell below lists them from the data.

# %%
location = scenarios.carbon_price_shock(prices=prices, scope2="location", disclosures=disclosures)
no_location = sorted(set(shock["ticker"]) - set(location["ticker"]))
print("in the market-based table but without a usable location-based Scope 2:", ", ".join(no_location) or "none")
primer.style_table(location.pivot(index="ticker", columns="scenario", values="cost_pct_revenue")[prices["scenario"]],
                   decimals=3, caption="carbon cost, % of revenue (location-based Scope 2)")

# %% [markdown]
# **Portfolio-weighted**, for the sample portfolio: the weighted average of the cost share over the holdings
# that disclose the inputs. `coverage` is the share of the portfolio's weight that does (cash and
# non-disclosers are not covered).

# %%
with primer.notes():
    holdings = esglib.load_holdings(primer.repo_path("data/sample_portfolio.csv"), bundled.companies(),
                                    prices=bundled.latest_prices)
portfolio = scenarios.portfolio_weighted(shock, holdings)
primer.style_table(portfolio, decimals=3)

# %%
png = plots.keep(plots.carbon_cost_curve(shock, portfolio), OUT / "06_carbon_cost_curve.png")

# %% [markdown]
# ## 2. AI electricity-demand growth
#
# The IEA projects global data-centre electricity from about 415 TWh (2024) to about 945 TWh (2030). As a
# compound annual rate:

# %%
growth = scenarios.demand_growth(macro)
primer.style_table(growth)

# %% [markdown]
# Assumptions, stated: each company's electricity grows at that rate; the grid emission factor is its
# location-based Scope 2 divided by its electricity in the base year and stays constant; the share of
# location-based emissions covered by certificates and PPAs either **stays constant** or **ramps** linearly to
# 100 % by the company's own target year (100 % renewable, else 24/7 CFE; 2030 if none). Few companies
# disclose electricity and both Scope 2 figures for the same year: the table below lists every one of them.

# %%
constant = scenarios.electricity_growth(disclosures=disclosures, macro=macro, market_share="constant")
columns = ["ticker", "base_year", "year", "electricity_mwh", "scope2_location_tco2e", "covered_share_pct",
           "scope2_market_tco2e", "target_year", "target_source"]
primer.style_table(constant[constant["year"] == 2030][columns])

# %%
ramp = scenarios.electricity_growth(disclosures=disclosures, macro=macro, market_share="ramp")
primer.style_table(ramp[ramp["year"] == 2030][columns])

# %%
print(ramp.attrs["assumptions"])
png = plots.keep(plots.emissions_paths(ramp), OUT / "06_scope2_paths.png")

# %% [markdown]
# Location-based emissions grow with electricity whatever the contracts say; market-based emissions fall only
# if procurement keeps up with a load that more than doubles. A grid that decarbonises helps both:

# %%
greener_grid = scenarios.electricity_growth(disclosures=disclosures, macro=macro, grid_decline_pct=5)
primer.style_table(greener_grid[greener_grid["year"] == 2030][["ticker", "electricity_mwh", "grid_factor_t_per_mwh",
                                                                "scope2_location_tco2e", "scope2_market_tco2e"]],
                   decimals=3)

# %% [markdown]
# ## 3. Water stress
#
# Exposure = water consumption x the share of withdrawals in high or extremely high stress basins (WRI
# Aqueduct), only where the company discloses that share. The scenario multiplies the stressed share (1.5x,
# 2x; capped at 100 %), e.g. as new sites go to dry regions.

# %%
water = scenarios.water_stress(stress_multiplier=[1.5, 2.0], disclosures=disclosures)
primer.style_table(water)

# %%
png = plots.keep(plots.water_exposure(water), OUT / "06_water_stress.png")

# %% [markdown]
# Which companies can be assessed, computed from the data rather than typed: a stressed share and water
# consumption in the same fiscal year give an exposure; a company with water volumes but no stressed share has an
# unknown exposure, which is not the same as zero.

# %%
assessed = water[water["exposure_m3"].notna()].drop_duplicates("ticker")
volumes = set(disclosures.loc[disclosures["metric"].isin(["water_consumption_m3", "water_withdrawal_m3"]), "ticker"])
share = disclosures[disclosures["metric"] == "water_withdrawal_stressed_pct"]
print("exposure computed for:", ", ".join(f"{t} (FY{int(y)}, {p:g} %)" for t, y, p in
                                         zip(assessed["ticker"], assessed["fiscal_year"], assessed["stressed_pct"])))
print("stressed shares on file:", ", ".join(f"{t} FY{y}: {v:g} %" for t, y, v in
                                          zip(share["ticker"], share["fiscal_year"], share["value"])))
print("water volumes but no stressed share:", ", ".join(sorted(volumes - set(share["ticker"]))))

# %% [markdown]
#
# ## Recap
#
# * Carbon price: at EU ETS prices the cost is a fraction of a percent of revenue for most disclosers; it is
#   linear in the price and several times larger on location-based Scope 2.
# * AI growth at the IEA's ~14.7 % a year more than doubles location-based Scope 2 by 2030; market-based
#   emissions fall only if procurement ramps up to the targets.
# * Water stress can be computed only where the stressed share and consumption are disclosed for the same year;
#   undisclosed shares stay missing.
# * Every assumption is a parameter of `esglib.scenarios` (prices, the FX table or an explicit EUR->USD rate,
#   Scope 2 method, growth rate, ramp, grid decline, multipliers). Scoring rules: `docs/methodology.md`.
