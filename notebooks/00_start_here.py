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
# # 00 Start here
#
# **Goal:** know what this notebook suite holds, how to open it and which data it runs on.
#
# esglib scores listed companies on the sustainability of their AI footprint (energy, water, quality of
# renewable-electricity procurement, e-waste and disclosure) from cited public disclosures, and turns the scores
# into portfolio decisions. Everything here runs offline on data bundled with the project.

# %% [markdown]
# ## How to open the notebooks
#
# From the project folder, run
#
# ```
# make lab
# ```
#
# It creates the project's environment if needed (`.venv`) and starts JupyterLab on `notebooks/`, with the
# kernel of that environment. Run a notebook top to bottom with *Run > Run All Cells*. Charts and workbooks are
# written to `reports/`, which git ignores. `make html` writes static HTML copies of notebooks 03 and 04 to
# `reports/` for readers who do not use Jupyter.

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
# ## The suite
#
# Read them in order, or jump to the one written for you.

# %%
primer.style_table(primer.suite_overview().set_index("notebook"))

# %% [markdown]
# ## The data and its as-of dates
#
# Every figure comes from a public source that is cited row by row: the company's own report where possible,
# otherwise a secondary source, with a `data_quality` grade from 1 (company report) to 4 (compilation). The
# disclosures were curated up to the date below. Prices are a snapshot of daily closes that ends on 2026-05-29.

# %%
inventory = primer.data_inventory()
primer.style_table(inventory)

# %%
print("disclosures as of:", esglib.inputs.data_as_of())
print("prices as of:     ", inventory.set_index("dataset").loc["daily prices", "as_of"])
print("outputs go to:    ", OUT)

# %% [markdown]
# Disclosure is sparse and uneven, and that is the normal case the scoring has to handle honestly: a figure
# that is missing stays missing and is never estimated. The next cell counts how many companies disclose each of
# a few core figures in at least one year (out of 47 companies).

# %%
disclosures = bundled.disclosures()
primer.style_table(primer.disclosure_counts(disclosures))

# %% [markdown]
# ## Recap
#
# * Seven notebooks: a primer (01), the scoring method (02), screening your holdings (03), a backtest with
#   statistics (04), the Excel scorecard (05) and scenarios (06).
# * `make lab` opens them in the project's environment; outputs go to `reports/`.
# * The data are cited public disclosures as of the date shown above, plus prices up to 2026-05-29; what is not
#   disclosed is shown as missing, never filled in.
