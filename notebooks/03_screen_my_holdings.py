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
# # 03 Screen my holdings
#
# **Goal:** load your holdings, see their AI-footprint profile, and try screens live: pillar weights, a
# minimum rating, a best-in-class cut and a tilt towards better scores. The holdings table, the portfolio
# summary and the chart update as you move the controls.
#
# *For investors.* Replace `holdings_path` in the next cell with your own broker export (CSV or XLSX with a
# ticker column and market values, weights or share counts). The notebook can also be run with papermill, e.g.
# `papermill 03_screen_my_holdings.ipynb out.ipynb -p holdings_path my.csv -p min_rating BB`.

# %% tags=["parameters"]
# Parameters (papermill): paths are relative to the project folder
holdings_path = "data/sample_portfolio.csv"
energy, water, procurement, circularity, disclosure = 0.2, 0.2, 0.2, 0.2, 0.2
min_rating = "none"          # "none" or one of CCC, B, BB, BBB, A, AA, AAA
best_in_class_share = 1.0    # 1.0 keeps all; 0.5 keeps the top half of each peer group
tilt_strength = 1.0          # 0 = no tilt; 1 = tilt towards better composites

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
import ipywidgets as widgets
from IPython.display import display

holdings = esglib.load_holdings(primer.repo_path(holdings_path), bundled.companies(), prices=bundled.latest_prices)
holdings[["company", "peer_group", "weight", "market_value", "covered"]]

# %% [markdown]
# ## Your portfolio today
#
# Weighted scores and carbon intensity are averages over the holdings that have them; `coverage` says what
# share of the portfolio's weight that is. The notes list what could not be computed, and why.

# %%
disclosures = bundled.disclosures()
summary = bundled.portfolio_summary(holdings)
display(summary.to_frame())
for note in summary.notes:
    print("-", note)

# %%
summary.engagement.head(10)

# %% [markdown]
# ## Screen live
#
# Move the sliders: each change rescores the universe with your pillar weights (about a second the first time)
# and screens the holdings. Excluded weight is redistributed pro rata over what is kept; cash is never screened.

# %%
update = primer.screen_dashboard(holdings, primer.scorer(disclosures), png=OUT / "03_screen_weights.png")
slider = dict(min=0.0, max=1.0, step=0.05, continuous_update=False)
controls = {
    "energy": widgets.FloatSlider(value=energy, description="energy", **slider),
    "water": widgets.FloatSlider(value=water, description="water", **slider),
    "procurement": widgets.FloatSlider(value=procurement, description="procurement", **slider),
    "circularity": widgets.FloatSlider(value=circularity, description="circularity", **slider),
    "disclosure": widgets.FloatSlider(value=disclosure, description="disclosure", **slider),
    "min_rating": widgets.Dropdown(options=["none", "CCC", "B", "BB", "BBB", "A", "AA", "AAA"],
                                   value=min_rating, description="min rating"),
    "best_in_class": widgets.FloatSlider(value=best_in_class_share, min=0.1, max=1.0, step=0.05,
                                         description="best in class", continuous_update=False),
    "tilt": widgets.FloatSlider(value=tilt_strength, min=0.0, max=3.0, step=0.25, description="tilt",
                                continuous_update=False),
}
ui = widgets.HBox([widgets.VBox(list(controls.values())[:5]), widgets.VBox(list(controls.values())[5:])])
display(ui, widgets.interactive_output(update, controls))

# %% [markdown]
# ### The same view, rendered once with the parameters above
#
# This is what a run without a live kernel shows (papermill, `make html`): the update function called once
# with the settings of the parameters cell.

# %%
view = update(**{name: control.value for name, control in controls.items()})

# %% [markdown]
# ## Recap
#
# * `esglib.load_holdings` reads a broker export; names outside the universe are kept and flagged, not dropped.
# * `esglib.portfolio_summary` gives weighted scores, WACI and intensities with their coverage, and engagement
#   questions for what is not disclosed.
# * The controls call `primer.screen_dashboard`'s update function through `widgets.interactive_output`: pillar
#   weights rescore the universe; the minimum rating, best-in-class share and tilt screen the holdings.
# * Screens raise the portfolio score partly by dropping unrated names: check the coverage columns before
#   reading an improvement as a greener portfolio.
