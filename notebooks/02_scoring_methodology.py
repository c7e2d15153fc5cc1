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
# line; and measure how much the ranks depend on the pillar weights. Every rule, with its source and rationale, is
# in [`docs/methodology.md`](../docs/methodology.md).

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
# Each KPI has a formula, a unit, a direction, the peer groups it applies to (PUE, WUE, cooling and server life:
# data-centre operators only) and how it is scored (`peers` or `reference` points). Ratios never mix years, and a
# KPI whose inputs are missing is missing (NaN), not zero. Four KPIs are shown but not scored (weight 0 unless
# you configure one): the contractual instruments' effect, the certificate share, green bonds and supplier
# renewable commitments.

# %%
pd.DataFrame(esglib.KPI_SPECS.values())

# %%
kpis = esglib.compute_metrics(figures)
kpis[kpis["ticker"].isin(["GOOGL", "MSFT", "NVDA"])].dropna(axis=1, how="all").tail(6)

# %% [markdown]
# ## 3. Metrics -> pillar scores -> composite
#
# KPIs with a physical or logical scale (PUE, WUE, shares) are scored against cited reference points
# (`data/reference_points.csv`: PUE 1.0 -> 100, 1.58 -> 50; a share scores 1 + 0.99 x share). Intensities are
# ranked *within the peer group*, `1 + 99 (rank - 1) / (n - 1)`, and only when at least 5 companies of the group
# disclose them; otherwise they are shown but unscored (flag `kpi_unscored_small_peer_set`), never ranked against
# the whole universe. An applicable KPI that is not disclosed scores 0, so not disclosing never beats disclosing
# the worst value. Each KPI comes from the latest figure published by the as-of date (undated figures: fiscal-year
# end + 365 days, flagged). Coverage is counted in weighted KPIs; the composite is withheld (rating `NR`) below
# 50 % coverage or when fewer than half of the applicable KPIs are disclosed. The letters are **esglib ratings**
# (seven equal-width bands of 0-100), not MSCI ESG Ratings.

# %%
scores = esglib.score(disclosures, companies=companies)
scores.head(12)

# %% [markdown]
# **How many companies does each coverage threshold rate?** JRC's rule of thumb is 65 %; esglib's default is 50 %
# (with at least half of the applicable KPIs disclosed). The table counts the rated companies for thresholds
# 0.3 .. 0.8 (the same value for both rules, and for coverage alone).

# %%
thresholds = [0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.8]
rated_by_threshold = pd.DataFrame({
    "threshold": thresholds,
    "rated (coverage and KPI share)": [
        int(esglib.score(disclosures, esglib.ScoreConfig(min_coverage=t, min_kpi_share=t), companies=companies)
            ["composite"].notna().sum()) for t in thresholds],
    "rated (coverage only)": [
        int(esglib.score(disclosures, esglib.ScoreConfig(min_coverage=t, min_kpi_share=0.0), companies=companies)
            ["composite"].notna().sum()) for t in thresholds],
}).set_index("threshold")
rated_by_threshold

# %% [markdown]
# For the charts below we use the lowest threshold (0.3) so that there is something to compare; read them as an
# illustration of the method, not as ratings.

# %%
view = esglib.ScoreConfig(min_coverage=0.3, min_kpi_share=0.3)
scores_view = esglib.score(disclosures, view, companies=companies)
png = plots.keep(plots.pillar_heatmap(scores_view, rated_only=True), OUT / "02_pillar_heatmap.png")

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
    "percentile": view,
    "minmax": view.replace(normalisation="minmax"),
    "zscore": view.replace(normalisation="zscore"),
    "percentile, geometric": view.replace(aggregation="geometric"),
    "minmax, geometric": view.replace(normalisation="minmax", aggregation="geometric"),
}
side_by_side = primer.compare_variants(variants, disclosures)
side_by_side

# %%
png = plots.keep(plots.variant_ranks(side_by_side), OUT / "02_variant_ranks.png")

# %% [markdown]
# ## 5. Explain one company
#
# Every line shows the raw value, its year, publication date and source, what it was compared with (peer group,
# reference points, or why it is unscored), the weights and the contribution to the composite; the contributions
# add up to the (indicative, if withheld) composite.

# %%
why = esglib.explain("MSFT", disclosures, companies=companies)
why[["pillar", "metric", "value", "unit", "fiscal_year", "published_on", "compared_with", "metric_score",
     "weight_in_pillar", "pillar_weight", "contribution", "source"]]

# %%
print(f"sum of contributions {why['contribution'].sum():.2f} = indicative composite "
      f"{why.attrs['composite_indicative']:.2f} (esglib rating {why.attrs['rating']}); flags: {why.attrs['flags']}")

# %% [markdown]
# ## 6. How much do the ranks depend on the weights?
#
# Equal pillar weights are a convention, not a truth. The sensitivity analysis draws 10,000 weight vectors
# around the defaults (Dirichlet) and records each company's rank every time. A long interval means the rank is
# a matter of opinion about weights.

# %%
sens = esglib.sensitivity(scores_view, n=10_000)
sens

# %%
png = plots.keep(plots.rank_intervals(sens), OUT / "02_rank_intervals.png")

# %%
png = plots.keep(plots.composite_bars(scores_view, sens), OUT / "02_composite_with_intervals.png")

# %% [markdown]
# ## Recap
#
# * Disclosures -> one chosen figure per key (rule shown) -> KPIs with formulas -> 0-100 scores (reference points,
#   or peer ranks within groups of at least 5 disclosers) -> pillars -> composite and esglib rating; thin
#   disclosure means a withheld composite, not a guess. How many companies are rated depends on the threshold:
#   the table above shows it.
# * Normalisation and aggregation move some ranks: the table above shows by how much (`rank_spread`).
# * `explain` reproduces a composite line by line, with sources.
# * Weight sensitivity turns one rank into an interval; read the ranks together with their intervals.
# * The rules and their sources: [`docs/methodology.md`](../docs/methodology.md).
