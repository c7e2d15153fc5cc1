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
# # 05 The Excel scorecard and the input template
#
# **Goal:** write the investment-committee scorecard and the disclosure input template to `reports/`, look
# inside both, and make the round trip an analyst makes: fill the template, validate it, score it.
#
# *For analysts.* The scorecard keeps working in Excel: edit the pillar weights on its `Weights` sheet and the
# composite, rank and rating formulas update. Here it is written for the sample portfolio (one sheet per
# holding); without `holdings` it ranks the whole universe.

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
from esglib.outputs import TEMPLATE_COLUMNS

companies = bundled.companies()
disclosures = bundled.disclosures()
scores = esglib.score(disclosures, companies=companies)
holdings = esglib.load_holdings(primer.repo_path("data/sample_portfolio.csv"), companies, prices=bundled.latest_prices)

# %% [markdown]
# ## 1. The scorecard

# %%
card = esglib.write_scorecard(OUT / "05_scorecard.xlsx", scores=scores, disclosures=disclosures,
                              companies=companies, holdings=holdings)
sheets = pd.read_excel(card, sheet_name=None, header=None)
pd.Series({name: sheet.shape for name, sheet in sheets.items()}, name="rows x columns").head(15)

# %% [markdown]
# The Summary's composite, rank and rating columns are **formulas** over the pillar scores and the Weights sheet.
# Nothing has calculated them until Excel (or LibreOffice) opens the file, so pandas reads them as empty; the
# preview below shows the cells as written, formulas included.

# %%
primer.sheet_preview(card, "Summary", max_rows=10, max_cols=16)

# %%
primer.sheet_preview(card, "Weights", max_rows=13, max_cols=8)

# %%
primer.sheet_preview(card, "MSFT", max_rows=25, max_cols=8)

# %% [markdown]
# ## 2. The input template

# %%
template = esglib.write_template(OUT / "05_template.xlsx")
pd.read_excel(template, sheet_name=None, header=None).keys()

# %%
pd.read_excel(template, sheet_name="Instructions", header=None).head(15)

# %% [markdown]
# ## 3. Round trip: fill -> validate -> score
#
# As a check, an analyst re-keys every cited figure of the bundled data into a copy of the template. Reading it
# back validates every cell; scoring it must give exactly the same scores as the CSV.

# %%
filled = primer.fill_template(template, disclosures[list(TEMPLATE_COLUMNS)], OUT / "05_template_filled.xlsx")
from_excel = esglib.load_disclosures(filled, companies)
rescored = esglib.score(from_excel, companies=companies)
print(f"{len(from_excel)} figures read back from {filled.name}")
pd.testing.assert_frame_equal(rescored.drop(columns="n_figures"), scores.drop(columns="n_figures"))
print("scores from the workbook are identical to the scores from the CSV")

# %% [markdown]
# Now two typos: a value typed with a thousands separator, and a PUE of 0.9 (impossible: PUE is at least 1).
# Validation names the sheet, the cell, the rule and the value of every problem at once.

# %%
typo = disclosures[list(TEMPLATE_COLUMNS)].head(40).astype({"value": object})
typo.loc[typo.index[2], "value"] = "1,234"
typo.loc[typo.index[5], ["metric", "value", "unit"]] = ["pue", 0.9, "ratio"]
broken = primer.fill_template(template, typo, OUT / "05_template_with_typos.xlsx")
try:
    esglib.load_disclosures(broken, companies)
except esglib.DataValidationError as err:
    print(err)

# %% [markdown]
# ## Recap
#
# * `esglib.write_scorecard` writes a workbook with a Summary (live formulas), Weights, one sheet per company,
#   Methodology and Sources; `esglib.write_template` writes the input template with drop-downs and checks.
# * A filled template is read with `esglib.load_disclosures`: every problem is reported by cell, at once.
# * The round trip through Excel reproduces the CSV's scores exactly.
