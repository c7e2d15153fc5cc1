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
# # 02 How the scores are built
#
# **Goal:** follow the scoring chain from cited disclosures to derived metrics to pillar scores and a
# composite; see how much the normalisation and aggregation choices matter; explain one company's score line by
# line; and measure how much the ranks depend on the pillar weights.

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
# ## 1. Disclosures -> one figure per company, year and metric
#
# Where several sources give a figure, one is chosen by a stated rule (preferred basis, latest report edition,
# best data quality, company-wide boundary); the `choice` column says why.

# %%
companies = bundled.companies()
disclosures = bundled.disclosures()
figures = esglib.select_figures(disclosures)
figures[figures["n_candidates"] > 1][["ticker", "fiscal_year", "metric", "value", "n_candidates", "choice"]].head(8)

# %% [markdown]
# ## 2. Figures -> metrics (KPIs)
#
# Each KPI has a formula, a unit and a direction; ratios never mix years, and a KPI whose inputs are missing is
# missing (NaN), not zero.

# %%
pd.DataFrame(esglib.KPI_SPECS.values())

# %%
kpis = esglib.compute_metrics(figures)
kpis[kpis["ticker"].isin(["GOOGL", "MSFT", "NVDA"])].dropna(axis=1, how="all").tail(6)

# %% [markdown]
# ## 3. Metrics -> pillar scores -> composite
#
# Each KPI is turned into a 0-100 score *within the peer group* (percentile rank by default); a KPI that is not
# disclosed scores 0, so not disclosing never beats disclosing the worst value. Pillars are weighted means of
# their KPIs; the composite is withheld (rating `NR`) when less than half of the footprint pillars have data.

# %%
scores = esglib.score(disclosures, companies=companies)
scores.head(12)

# %%
png = plots.keep(plots.pillar_heatmap(scores, rated_only=True), OUT / "02_pillar_heatmap.png")

# %% [markdown]
# ## 4. Normalisation and aggregation choices, side by side
#
# * **percentile** rank (default): robust to outliers, ignores distances;
# * **minmax**: keeps distances, so one extreme value squeezes everyone else;
# * **zscore** (mapped through the normal CDF): distances in standard deviations;
# * **arithmetic** vs **geometric** mean of the pillars: the geometric mean lets a weak pillar pull the
#   composite down much more (only partly compensatory).

# %%
variants = {
    "percentile": esglib.ScoreConfig(),
    "minmax": esglib.ScoreConfig(normalisation="minmax"),
    "zscore": esglib.ScoreConfig(normalisation="zscore"),
    "percentile, geometric": esglib.ScoreConfig(aggregation="geometric"),
    "minmax, geometric": esglib.ScoreConfig(normalisation="minmax", aggregation="geometric"),
}
side_by_side = primer.compare_variants(variants, disclosures)
side_by_side

# %%
png = plots.keep(plots.variant_ranks(side_by_side), OUT / "02_variant_ranks.png")

# %% [markdown]
# ## 5. Explain one company
#
# Every line shows the raw value, its year and source, the peer percentile, the weights and the contribution to
# the composite; the contributions add up to the composite.

# %%
why = esglib.explain("MSFT", disclosures, companies=companies)
why[["pillar", "metric", "value", "unit", "fiscal_year", "compared_with", "metric_score", "weight_in_pillar",
     "pillar_weight", "contribution", "source"]]

# %%
print(f"sum of contributions {why['contribution'].sum():.2f} = composite {why.attrs['composite']:.2f} "
      f"({why.attrs['rating']}); flags: {why.attrs['flags']}")

# %% [markdown]
# ## 6. How much do the ranks depend on the weights?
#
# Equal pillar weights are a convention, not a truth. The sensitivity analysis draws 10,000 weight vectors
# around the defaults (Dirichlet) and records each company's rank every time. A long interval means the rank is
# a matter of opinion about weights.

# %%
sens = esglib.sensitivity(scores, n=10_000)
sens

# %%
png = plots.keep(plots.rank_intervals(sens), OUT / "02_rank_intervals.png")

# %%
png = plots.keep(plots.composite_bars(scores, sens), OUT / "02_composite_with_intervals.png")

# %% [markdown]
# ## Recap
#
# * Disclosures -> one chosen figure per key (rule shown) -> KPIs with formulas -> peer-relative 0-100 scores ->
#   pillars -> composite and rating; thin disclosure means a withheld composite, not a guess.
# * Normalisation and aggregation move some ranks: the table above shows by how much (`rank_spread`).
# * `explain` reproduces a composite line by line, with sources.
# * Weight sensitivity turns one rank into an interval; read the ranks together with their intervals.
