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
# # 01 The AI footprint: a primer
#
# **Goal:** understand, with real figures, how much electricity and water data centres use, how companies
# report the emissions of the electricity they buy (location- vs market-based Scope 2), the difference between
# a power purchase agreement and an unbundled certificate, and what hourly carbon-free energy means.
#
# *For students.* Every number below is read from `data/macro.csv` or `data/disclosures.csv`, where each row
# names its source.

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

# %% [markdown]
# ## 1. How much electricity do data centres use?
#
# Two IEA figures are often mixed up. **460 TWh** is the IEA's estimate for **2022** of data centres *plus
# cryptocurrencies and AI* (Electricity 2024). **About 415 TWh** is its estimate for data centres alone in
# **2024**, about 1.5 % of the world's electricity, projected to reach **about 945 TWh by 2030** (Energy and
# AI, 2025). The two are different scopes from different editions, so 460 -> 415 is not a fall.

# %%
macro = bundled.macro()
primer.style_table(primer.headline_figures(macro))

# %%
png = plots.keep(plots.macro_demand(macro), OUT / "01_global_datacentre_electricity.png")

# %% [markdown]
# In the United States, data centres used about 4.4 % of the country's electricity in 2023; Lawrence
# Berkeley National Laboratory (LBNL) projects 6.7 % to 12 % by 2028. The bars mix two estimators (LBNL and the
# IEA), which is why 2022 looks higher than 2023: compare like with like.

# %%
png = plots.keep(plots.us_datacentre_electricity(macro), OUT / "01_us_datacentre_electricity.png")

# %% [markdown]
# ## 2. Efficiency and water
#
# **PUE** (power usage effectiveness) is the facility's energy divided by the energy that reaches the IT
# equipment: 1.0 would mean no overhead for cooling and power conversion. The industry average has been stuck
# around 1.55-1.59 since about 2020; large new sites reach about 1.3.
#
# Water has two parts: water evaporated for **cooling on site** (direct) and water used by **power plants** to
# generate the data centres' electricity (indirect). For US data centres in 2023 the indirect part was about
# twelve times the direct one.

# %%
png = plots.keep(plots.industry_pue(macro), OUT / "01_industry_pue.png")

# %%
png = plots.keep(plots.us_datacentre_water(macro), OUT / "01_us_datacentre_water.png")

# %% [markdown]
# ## 3. Companies: two ways to count Scope 2
#
# The GHG Protocol asks companies to report the emissions of the electricity they buy in two ways:
#
# * **location-based**: electricity used x the average emission factor of the grids it came from;
# * **market-based**: the same electricity, counted with the emission factors of the contracts the company
#   bought (PPAs, green tariffs, certificates); whatever is not covered counts at the residual mix.
#
# The gap between the two is what contractual instruments remove *on paper*. A large gap is not wrong, but it
# says nothing by itself about whether new clean supply was built.

# %%
disclosures = bundled.disclosures()
figures = esglib.select_figures(disclosures)
primer.style_table(primer.scope2_methods(disclosures))

# %%
png = plots.keep(plots.scope2_gap(figures), OUT / "01_scope2_location_vs_market.png")

# %% [markdown]
# ## 4. A PPA is not a certificate
#
# * A **power purchase agreement (PPA)** is a long contract (often 10-20 years) to buy the output of a specific
#   plant, often a new one. The contract helps get the plant financed: it can *add* clean supply.
# * An **unbundled certificate** (REC in the US, Guarantee of Origin in Europe, I-REC elsewhere) is a claim on
#   one MWh of renewable generation, bought separately from the electricity, often from an old plant in another
#   region. It is cheap and rarely changes what gets built.
#
# esglib scores procurement on a ladder from strong to weak evidence ([`docs/methodology.md`](../docs/methodology.md)
# section 2); hourly CFE is scored as its own KPI, never combined with the ladder. Only IBM splits its
# renewable electricity by instrument.

# %%
primer.style_table(primer.instrument_ladder())

# %%
primer.style_table(primer.figures_for(figures, ["renewable_share_pct", "renewable_ppa_share_pct",
                                                "renewable_grid_mix_share_pct"], tickers="IBM"))

# %% [markdown]
# ## 5. Hourly matching: 24/7 carbon-free energy
#
# "100 % renewable" usually means that, *over the year*, the company bought as many renewable MWh as it used.
# At night or on a still day the data centre still runs on the grid. **Hourly carbon-free energy (CFE)**
# matches use and clean supply hour by hour, on the same grid. Only Google reports it.

# %%
primer.style_table(primer.figures_for(figures, "cfe_hourly_pct"))

# %% [markdown]
# Google also publishes its hourly CFE share for each cloud region. The same company, buying clean energy
# everywhere, ranges from almost 0 % to almost 100 % depending on the grid it sits on.

# %%
cfe = primer.load_google_region_cfe()
primer.style_table(primer.cfe_spread(cfe))

# %%
png = plots.keep(plots.google_cfe_regions(cfe, 2024), OUT / "01_google_cfe_regions_2024.png")

# %%
png = plots.keep(plots.google_cfe_spread(cfe), OUT / "01_google_cfe_spread.png")

# %% [markdown]
# ## Recap
#
# * Global data-centre electricity: about 415 TWh in 2024, projected near 945 TWh in 2030 (IEA); the 460 TWh
#   figure is 2022 *including crypto*. US data centres used 4.4 % of US electricity in 2023.
# * Average PUE sits near 1.56-1.58; most of a data centre's water footprint is in the power plants.
# * Location-based Scope 2 shows the grid; market-based shows the contracts. The gap is removed on paper.
# * A PPA can add clean supply; an unbundled certificate rarely does. Hourly CFE (only Google reports it)
#   varies from near 0 % to near 100 % across regions of the same company.
