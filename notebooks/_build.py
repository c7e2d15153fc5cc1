"""Generate the notebook suite from the cell lists below (run: ``.venv/bin/python notebooks/_build.py``).

Each notebook is a list of cells: ``md(...)`` for narrative, ``code(...)`` for code, ``params(...)`` for a
papermill parameters cell. The notebooks are written without outputs and with stable cell ids, so a rebuild
changes a notebook only when its cells change; edit this file, not the .ipynb files.
"""

from __future__ import annotations

import sys
from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def md(text: str) -> tuple[str, str, list[str]]:
    return ("markdown", dedent(text).strip(), [])


def code(text: str) -> tuple[str, str, list[str]]:
    return ("code", dedent(text).strip(), [])


def params(text: str) -> tuple[str, str, list[str]]:
    return ("code", dedent(text).strip(), ["parameters"])


SETUP = code("""
    import pandas as pd

    import esglib
    from esglib import plots, primer
    from esglib._io import REPORTS_DIR

    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 160)
    OUT = REPORTS_DIR  # figures and workbooks go to reports/ (or $ESGLIB_REPORTS_DIR)
    OUT.mkdir(parents=True, exist_ok=True)
""")

# ---------------------------------------------------------------------------------------------------- 00
START_HERE = [
    md("""
    # 00 Start here

    **Goal:** know what this notebook suite holds, how to open it and which data it runs on.

    esglib scores listed companies on the sustainability of their AI footprint (energy, water, quality of
    renewable-electricity procurement, e-waste and disclosure) from cited public disclosures, and turns the scores
    into portfolio decisions. Everything here runs offline on data bundled with the project.
    """),
    md("""
    ## How to open the notebooks

    From the project folder, run

    ```
    make lab
    ```

    It creates the project's environment if needed (`.venv`) and starts JupyterLab on `notebooks/`, with the
    kernel of that environment. Run a notebook top to bottom with *Run > Run All Cells*. Charts and workbooks are
    written to `reports/`, which git ignores. `make html` writes static HTML copies of notebooks 03 and 04 to
    `reports/` for readers who do not use Jupyter.
    """),
    SETUP,
    md("## The suite\n\nRead them in order, or jump to the one written for you."),
    code("primer.suite_overview()"),
    md("""
    ## The data and its as-of dates

    Every figure comes from a public source that is cited row by row: the company's own report where possible,
    otherwise a secondary source, with a `data_quality` grade from 1 (company report) to 4 (compilation). The
    disclosures were curated up to the date below. Prices are a snapshot of daily closes that ends on 2026-05-29.
    """),
    code("""
    inventory = primer.data_inventory()
    inventory
    """),
    code("""
    print("disclosures as of:", esglib.data.data_as_of())
    print("prices as of:     ", inventory.set_index("dataset").loc["daily prices", "as_of"])
    print("outputs go to:    ", OUT)
    """),
    md("""
    Disclosure is sparse and uneven, and that is the normal case the scoring has to handle honestly: a figure
    that is missing stays missing and is never estimated. The next cell counts how many companies disclose each of
    a few core figures in at least one year (out of 47 companies).
    """),
    code("""
    disclosures = esglib.load_disclosures()
    primer.disclosure_counts(disclosures)
    """),
    md("""
    ## Recap

    * Seven notebooks: a primer (01), the scoring method (02), screening your holdings (03), a backtest with
      statistics (04), the Excel scorecard (05) and scenarios (06).
    * `make lab` opens them in the project's environment; outputs go to `reports/`.
    * The data are cited public disclosures as of the date shown above, plus prices up to 2026-05-29; what is not
      disclosed is shown as missing, never filled in.
    """),
]

# ---------------------------------------------------------------------------------------------------- 01
PRIMER = [
    md("""
    # 01 The AI footprint: a primer

    **Goal:** understand, with real figures, how much electricity and water data centres use, how companies
    report the emissions of the electricity they buy (location- vs market-based Scope 2), the difference between
    a power purchase agreement and an unbundled certificate, and what hourly carbon-free energy means.

    *For students.* Every number below is read from `data/macro.csv` or `data/disclosures.csv`, where each row
    names its source.
    """),
    SETUP,
    md("""
    ## 1. How much electricity do data centres use?

    Two IEA figures are often mixed up. **460 TWh** is the IEA's estimate for **2022** of data centres *plus
    cryptocurrencies and AI* (Electricity 2024). **About 415 TWh** is its estimate for data centres alone in
    **2024**, about 1.5 % of the world's electricity, projected to reach **about 945 TWh by 2030** (Energy and
    AI, 2025). The two are different scopes from different editions, so 460 -> 415 is not a fall.
    """),
    code("""
    macro = esglib.load_macro()
    primer.headline_figures(macro)
    """),
    code("""
    png = plots.keep(plots.macro_demand(macro), OUT / "01_global_datacentre_electricity.png")
    """),
    md("""
    In the United States, data centres used about 4.4 % of the country's electricity in 2023; Lawrence
    Berkeley National Laboratory (LBNL) projects 6.7 % to 12 % by 2028. The bars mix two estimators (LBNL and the
    IEA), which is why 2022 looks higher than 2023: compare like with like.
    """),
    code("""
    png = plots.keep(plots.us_datacentre_electricity(macro), OUT / "01_us_datacentre_electricity.png")
    """),
    md("""
    ## 2. Efficiency and water

    **PUE** (power usage effectiveness) is the facility's energy divided by the energy that reaches the IT
    equipment: 1.0 would mean no overhead for cooling and power conversion. The industry average has been stuck
    around 1.55-1.59 since about 2020; large new sites reach about 1.3.

    Water has two parts: water evaporated for **cooling on site** (direct) and water used by **power plants** to
    generate the data centres' electricity (indirect). For US data centres in 2023 the indirect part was about
    twelve times the direct one.
    """),
    code("""
    png = plots.keep(plots.industry_pue(macro), OUT / "01_industry_pue.png")
    """),
    code("""
    png = plots.keep(plots.us_datacentre_water(macro), OUT / "01_us_datacentre_water.png")
    """),
    md("""
    ## 3. Companies: two ways to count Scope 2

    The GHG Protocol asks companies to report the emissions of the electricity they buy in two ways:

    * **location-based**: electricity used x the average emission factor of the grids it came from;
    * **market-based**: the same electricity, counted with the emission factors of the contracts the company
      bought (PPAs, green tariffs, certificates); whatever is not covered counts at the residual mix.

    The gap between the two is what contractual instruments remove *on paper*. A large gap is not wrong, but it
    says nothing by itself about whether new clean supply was built.
    """),
    code("""
    disclosures = esglib.load_disclosures()
    figures = esglib.select_figures(disclosures)
    primer.scope2_methods(disclosures)
    """),
    code("""
    png = plots.keep(plots.scope2_gap(figures), OUT / "01_scope2_location_vs_market.png")
    """),
    md("""
    ## 4. A PPA is not a certificate

    * A **power purchase agreement (PPA)** is a long contract (often 10-20 years) to buy the output of a specific
      plant, often a new one. The contract helps get the plant financed: it can *add* clean supply.
    * An **unbundled certificate** (REC in the US, Guarantee of Origin in Europe, I-REC elsewhere) is a claim on
      one MWh of renewable generation, bought separately from the electricity, often from an old plant in another
      region. It is cheap and rarely changes what gets built.

    esglib scores procurement on a ladder from strong to weak evidence (METHODOLOGY section 2); only IBM splits its
    renewable electricity by instrument.
    """),
    code("primer.instrument_ladder()"),
    code("""
    primer.figures_for(figures, ["renewable_share_pct", "renewable_ppa_share_pct", "renewable_grid_mix_share_pct"],
                       tickers="IBM")
    """),
    md("""
    ## 5. Hourly matching: 24/7 carbon-free energy

    "100 % renewable" usually means that, *over the year*, the company bought as many renewable MWh as it used.
    At night or on a still day the data centre still runs on the grid. **Hourly carbon-free energy (CFE)**
    matches use and clean supply hour by hour, on the same grid. Only Google reports it.
    """),
    code("""
    primer.figures_for(figures, "cfe_hourly_pct")
    """),
    md("""
    Google also publishes its hourly CFE share for each cloud region. The same company, buying clean energy
    everywhere, ranges from almost 0 % to almost 100 % depending on the grid it sits on.
    """),
    code("""
    cfe = primer.load_google_region_cfe()
    primer.cfe_spread(cfe)
    """),
    code("""
    png = plots.keep(plots.google_cfe_regions(cfe, 2024), OUT / "01_google_cfe_regions_2024.png")
    """),
    code("""
    png = plots.keep(plots.google_cfe_spread(cfe), OUT / "01_google_cfe_spread.png")
    """),
    md("""
    ## Recap

    * Global data-centre electricity: about 415 TWh in 2024, projected near 945 TWh in 2030 (IEA); the 460 TWh
      figure is 2022 *including crypto*. US data centres used 4.4 % of US electricity in 2023.
    * Average PUE sits near 1.56-1.58; most of a data centre's water footprint is in the power plants.
    * Location-based Scope 2 shows the grid; market-based shows the contracts. The gap is removed on paper.
    * A PPA can add clean supply; an unbundled certificate rarely does. Hourly CFE (only Google reports it)
      varies from near 0 % to near 100 % across regions of the same company.
    """),
]

# ---------------------------------------------------------------------------------------------------- 02
METHOD = [
    md("""
    # 02 How the scores are built

    **Goal:** follow the scoring chain from cited disclosures to derived metrics to pillar scores and a
    composite; see how much the normalisation and aggregation choices matter; explain one company's score line by
    line; and measure how much the ranks depend on the pillar weights.
    """),
    SETUP,
    md("""
    ## 1. Disclosures -> one figure per company, year and metric

    Where several sources give a figure, one is chosen by a stated rule (preferred basis, latest report edition,
    best data quality, company-wide boundary); the `choice` column says why.
    """),
    code("""
    disclosures = esglib.load_disclosures()
    figures = esglib.select_figures(disclosures)
    figures[figures["n_candidates"] > 1][["ticker", "fiscal_year", "metric", "value", "n_candidates", "choice"]].head(8)
    """),
    md("""
    ## 2. Figures -> metrics (KPIs)

    Each KPI has a formula, a unit and a direction; ratios never mix years, and a KPI whose inputs are missing is
    missing (NaN), not zero.
    """),
    code("pd.DataFrame(esglib.KPI_SPECS.values())"),
    code("""
    kpis = esglib.compute_metrics(figures)
    kpis[kpis["ticker"].isin(["GOOGL", "MSFT", "NVDA"])].dropna(axis=1, how="all").tail(6)
    """),
    md("""
    ## 3. Metrics -> pillar scores -> composite

    Each KPI is turned into a 0-100 score *within the peer group* (percentile rank by default); a KPI that is not
    disclosed scores 0, so not disclosing never beats disclosing the worst value. Pillars are weighted means of
    their KPIs; the composite is withheld (rating `NR`) when less than half of the footprint pillars have data.
    """),
    code("""
    scores = esglib.score(disclosures)
    scores.head(12)
    """),
    code("""
    png = plots.keep(plots.pillar_heatmap(scores, rated_only=True), OUT / "02_pillar_heatmap.png")
    """),
    md("""
    ## 4. Normalisation and aggregation choices, side by side

    * **percentile** rank (default): robust to outliers, ignores distances;
    * **minmax**: keeps distances, so one extreme value squeezes everyone else;
    * **zscore** (mapped through the normal CDF): distances in standard deviations;
    * **arithmetic** vs **geometric** mean of the pillars: the geometric mean lets a weak pillar pull the
      composite down much more (only partly compensatory).
    """),
    code("""
    variants = {
        "percentile": esglib.ScoreConfig(),
        "minmax": esglib.ScoreConfig(normalisation="minmax"),
        "zscore": esglib.ScoreConfig(normalisation="zscore"),
        "percentile, geometric": esglib.ScoreConfig(aggregation="geometric"),
        "minmax, geometric": esglib.ScoreConfig(normalisation="minmax", aggregation="geometric"),
    }
    side_by_side = primer.compare_variants(variants, disclosures)
    side_by_side
    """),
    code("""
    png = plots.keep(plots.variant_ranks(side_by_side), OUT / "02_variant_ranks.png")
    """),
    md("""
    ## 5. Explain one company

    Every line shows the raw value, its year and source, the peer percentile, the weights and the contribution to
    the composite; the contributions add up to the composite.
    """),
    code("""
    why = esglib.explain("MSFT", disclosures)
    why[["pillar", "metric", "value", "unit", "fiscal_year", "compared_with", "metric_score", "weight_in_pillar",
         "pillar_weight", "contribution", "source"]]
    """),
    code("""
    print(f"sum of contributions {why['contribution'].sum():.2f} = composite {why.attrs['composite']:.2f} "
          f"({why.attrs['rating']}); flags: {why.attrs['flags']}")
    """),
    md("""
    ## 6. How much do the ranks depend on the weights?

    Equal pillar weights are a convention, not a truth. The sensitivity analysis draws 10,000 weight vectors
    around the defaults (Dirichlet) and records each company's rank every time. A long interval means the rank is
    a matter of opinion about weights.
    """),
    code("""
    sens = esglib.sensitivity(scores, n=10_000)
    sens
    """),
    code("""
    png = plots.keep(plots.rank_intervals(sens), OUT / "02_rank_intervals.png")
    """),
    code("""
    png = plots.keep(plots.composite_bars(scores, sens), OUT / "02_composite_with_intervals.png")
    """),
    md("""
    ## Recap

    * Disclosures -> one chosen figure per key (rule shown) -> KPIs with formulas -> peer-relative 0-100 scores ->
      pillars -> composite and rating; thin disclosure means a withheld composite, not a guess.
    * Normalisation and aggregation move some ranks: the table above shows by how much (`rank_spread`).
    * `explain` reproduces a composite line by line, with sources.
    * Weight sensitivity turns one rank into an interval; read the ranks together with their intervals.
    """),
]

# ---------------------------------------------------------------------------------------------------- 03
SCREEN = [
    md("""
    # 03 Screen my holdings

    **Goal:** load your holdings, see their AI-footprint profile, and try screens live: pillar weights, a
    minimum rating, a best-in-class cut and a tilt towards better scores. The holdings table, the portfolio
    summary and the chart update as you move the controls.

    *For investors.* Replace `holdings_path` in the next cell with your own broker export (CSV or XLSX with a
    ticker column and market values, weights or share counts). The notebook can also be run with papermill, e.g.
    `papermill 03_screen_my_holdings.ipynb out.ipynb -p holdings_path my.csv -p min_rating BB`.
    """),
    params("""
    # Parameters (papermill): paths are relative to the project folder
    holdings_path = "data/sample_portfolio.csv"
    energy, water, procurement, circularity, disclosure = 0.2, 0.2, 0.2, 0.2, 0.2
    min_rating = "none"          # "none" or one of CCC, B, BB, BBB, A, AA, AAA
    best_in_class_share = 1.0    # 1.0 keeps all; 0.5 keeps the top half of each peer group
    tilt_strength = 1.0          # 0 = no tilt; 1 = tilt towards better composites
    """),
    SETUP,
    code("""
    import ipywidgets as widgets
    from IPython.display import display

    holdings = esglib.load_holdings(primer.repo_path(holdings_path))
    holdings[["company", "peer_group", "weight", "market_value", "covered"]]
    """),
    md("""
    ## Your portfolio today

    Weighted scores and carbon intensity are averages over the holdings that have them; `coverage` says what
    share of the portfolio's weight that is. The notes list what could not be computed, and why.
    """),
    code("""
    disclosures = esglib.load_disclosures()
    summary = esglib.portfolio_summary(holdings, disclosures=disclosures)
    display(summary.to_frame())
    for note in summary.notes:
        print("-", note)
    """),
    code("summary.engagement.head(10)"),
    md("""
    ## Screen live

    Move the sliders: each change rescores the universe with your pillar weights (about a second the first time)
    and screens the holdings. Excluded weight is redistributed pro rata over what is kept; cash is never screened.
    """),
    code("""
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
    """),
    md("""
    ### The same view, rendered once with the parameters above

    This is what a run without a live kernel shows (papermill, `make html`): the update function called once
    with the settings of the parameters cell.
    """),
    code("""
    view = update(**{name: control.value for name, control in controls.items()})
    """),
    md("""
    ## Recap

    * `esglib.load_holdings` reads a broker export; names outside the universe are kept and flagged, not dropped.
    * `esglib.portfolio_summary` gives weighted scores, WACI and intensities with their coverage, and engagement
      questions for what is not disclosed.
    * The controls call `primer.screen_dashboard`'s update function through `widgets.interactive_output`: pillar
      weights rescore the universe; the minimum rating, best-in-class share and tilt screen the holdings.
    * Screens raise the portfolio score partly by dropping unrated names: check the coverage columns before
      reading an improvement as a greener portfolio.
    """),
]

# ---------------------------------------------------------------------------------------------------- 04
BACKTEST = [
    md("""
    # 04 Backtest and statistics

    **Goal:** test three screens point in time (each rebalance uses only the disclosures public on that date)
    against a benchmark and against the unscreened portfolio they start from; compare risk and return; plot
    cumulative returns and drawdowns; and read the regressions honestly: the sample is short and small.
    """),
    SETUP,
    code("""
    from esglib import stats

    companies = esglib.load_companies()
    disclosures = esglib.load_disclosures(companies=companies)
    """),
    md("""
    ## 1. Point-in-time backtest

    The starting portfolio (**base**) is an equal-weight portfolio of every universe company with a price. At each
    quarter-end the universe is rescored with the figures public by then (fiscal-year end plus 183 days) and one
    of three screens is applied: a **tilt** towards better composites, **best-in-class** (top half of each peer
    group; unrated names out) and an **exclusion** of names rated below BB. The **benchmark** is SPY, bought and
    held. Prices are the bundled total-return snapshot; trading costs are 10 bp of traded value.

    The run starts in July 2022: before that no company had enough public figures for a composite, and the
    screens would just hold the base.
    """),
    code("""
    results = primer.run_screen_backtests(("tilt", "best-in-class", "exclusion"), disclosures=disclosures,
                                          companies=companies, start="2022-07-01", rebalance="Q")
    for note in results["tilt"].notes:
        print("-", note)
    """),
    code("""
    returns = primer.backtest_returns(results)
    primer.backtest_metrics(results)
    """),
    code("""
    png = plots.keep(plots.cumulative_returns(returns), OUT / "04_cumulative_returns.png")
    """),
    code("""
    png = plots.keep(plots.drawdowns(returns), OUT / "04_drawdowns.png")
    """),
    md("""
    ## 2. Regressions (statsmodels)

    **Time series.** Each strategy's monthly excess return regressed on a market series, with Newey-West (HAC)
    standard errors: first on the benchmark, then on the unscreened base. The second question is the one that
    matters for the screen: did *screening* add anything beyond holding the same universe?
    """),
    code("""
    against_benchmark = primer.alpha_table(results, against="benchmark")
    against_benchmark
    """),
    code("""
    against_base = primer.alpha_table(results, against="base")
    print(against_base.attrs["caveat"])
    against_base
    """),
    md("""
    **Cross-section.** Did companies with better pillar scores in mid-2024 earn more over the next twelve months,
    compared within their peer group? Scores are computed as of the start of the period (no look-ahead).
    """),
    code("""
    prices = primer.universe_prices(companies)
    as_of = "2024-06-30"
    cross = stats.cross_section_regression(stats.subsequent_returns(prices, as_of, months=12),
                                           esglib.score(disclosures, companies=companies, as_of=as_of))
    print(cross.formula)
    print(cross.conclusion)
    print(cross.caveat)
    cross.coefficients
    """),
    md("""
    ## How to read this honestly

    * **Against SPY**, any screen of this universe looks brilliant: AI-exposed stocks beat the broad market by a
      wide margin over 2022-2026. That is a sector bet, not an effect of the screen.
    * **Against the unscreened base**, the question is what the screen itself added. With four years of monthly
      data, alphas of a few percent a year are well inside the noise; a large tracking error (best-in-class)
      means the screen changed the portfolio a lot, not that it added value.
    * The cross-section has about 40 companies for about ten parameters and a single year: one significant
      coefficient out of five is what chance alone produces about one time in five (1 - 0.95^5 = 23 %).
      Treat it as a hypothesis.
    * One backtest path, no multiple-testing adjustment, and a universe chosen today (survivorship): past returns
      say nothing reliable about the next years.

    ## Recap

    * `esglib.backtest.esg_backtest` rescored the universe point in time at every rebalance and applied each
      screen; the metrics table compares strategies, the base and the benchmark, and what each screen added.
    * Cumulative returns and drawdowns show the path, not just the end point.
    * `esglib.stats` regressions use Newey-West (time series) and robust (cross-section) standard errors and say
      in words what the sample can and cannot support.
    """),
]

# ---------------------------------------------------------------------------------------------------- 05
EXCEL = [
    md("""
    # 05 The Excel scorecard and the input template

    **Goal:** write the investment-committee scorecard and the disclosure input template to `reports/`, look
    inside both, and make the round trip an analyst makes: fill the template, validate it, score it.

    *For analysts.* The scorecard keeps working in Excel: edit the pillar weights on its `Weights` sheet and the
    composite, rank and rating formulas update. Here it is written for the sample portfolio (one sheet per
    holding); without `holdings` it ranks the whole universe.
    """),
    SETUP,
    code("""
    from esglib.export import TEMPLATE_COLUMNS

    companies = esglib.load_companies()
    disclosures = esglib.load_disclosures(companies=companies)
    scores = esglib.score(disclosures, companies=companies)
    holdings = esglib.load_holdings(primer.repo_path("data/sample_portfolio.csv"), companies)
    """),
    md("## 1. The scorecard"),
    code("""
    card = esglib.write_scorecard(OUT / "05_scorecard.xlsx", scores=scores, disclosures=disclosures,
                                  companies=companies, holdings=holdings)
    sheets = pd.read_excel(card, sheet_name=None, header=None)
    pd.Series({name: sheet.shape for name, sheet in sheets.items()}, name="rows x columns").head(15)
    """),
    md("""
    The Summary's composite, rank and rating columns are **formulas** over the pillar scores and the Weights sheet.
    Nothing has calculated them until Excel (or LibreOffice) opens the file, so pandas reads them as empty; the
    preview below shows the cells as written, formulas included.
    """),
    code("""
    primer.sheet_preview(card, "Summary", max_rows=10, max_cols=16)
    """),
    code("""
    primer.sheet_preview(card, "Weights", max_rows=13, max_cols=8)
    """),
    code("""
    primer.sheet_preview(card, "MSFT", max_rows=25, max_cols=8)
    """),
    md("## 2. The input template"),
    code("""
    template = esglib.write_template(OUT / "05_template.xlsx")
    pd.read_excel(template, sheet_name=None, header=None).keys()
    """),
    code("""
    pd.read_excel(template, sheet_name="Instructions", header=None).head(15)
    """),
    md("""
    ## 3. Round trip: fill -> validate -> score

    As a check, an analyst re-keys every cited figure of the bundled data into a copy of the template. Reading it
    back validates every cell; scoring it must give exactly the same scores as the CSV.
    """),
    code("""
    filled = primer.fill_template(template, disclosures[list(TEMPLATE_COLUMNS)], OUT / "05_template_filled.xlsx")
    from_excel = esglib.load_disclosures(filled, companies)
    rescored = esglib.score(from_excel, companies=companies)
    print(f"{len(from_excel)} figures read back from {filled.name}")
    pd.testing.assert_frame_equal(rescored.drop(columns="n_figures"), scores.drop(columns="n_figures"))
    print("scores from the workbook are identical to the scores from the CSV")
    """),
    md("""
    Now two typos: a value typed with a thousands separator, and a PUE of 0.9 (impossible: PUE is at least 1).
    Validation names the sheet, the cell, the rule and the value of every problem at once.
    """),
    code("""
    typo = disclosures[list(TEMPLATE_COLUMNS)].head(40).astype({"value": object})
    typo.loc[typo.index[2], "value"] = "1,234"
    typo.loc[typo.index[5], ["metric", "value", "unit"]] = ["pue", 0.9, "ratio"]
    broken = primer.fill_template(template, typo, OUT / "05_template_with_typos.xlsx")
    try:
        esglib.load_disclosures(broken, companies)
    except esglib.DataValidationError as err:
        print(err)
    """),
    md("""
    ## Recap

    * `esglib.write_scorecard` writes a workbook with a Summary (live formulas), Weights, one sheet per company,
      Methodology and Sources; `esglib.write_template` writes the input template with drop-downs and checks.
    * A filled template is read with `esglib.load_disclosures`: every problem is reported by cell, at once.
    * The round trip through Excel reproduces the CSV's scores exactly.
    """),
]

# ---------------------------------------------------------------------------------------------------- 06
SCENARIOS = [
    md("""
    # 06 Scenarios: carbon price, AI electricity growth, water stress

    **Goal:** put numbers on three what-ifs with `esglib.scenarios`: what a carbon price would cost each company
    (and a portfolio), how Scope 2 grows if electricity use follows the IEA's data-centre path, and how much water
    sits in high-stress basins. Each function takes one disclosed year per company (ratios never mix years);
    a company that does not disclose an input is left out, and a missing figure stays missing.
    """),
    SETUP,
    code("""
    from esglib import scenarios

    disclosures = esglib.load_disclosures()
    """),
    md("""
    ## 1. Carbon-price shock

    `cost = (Scope 1 + Scope 2 market-based) x price`, as a share of revenue. The prices are the EU ETS rows of
    `data/macro.csv` (EUR per tonne, converted at an explicit rate) plus two prices of our own. Pricing CO2e with
    a CO2 allowance price is an approximation. Operating income is **not** in the bundled data, so the share of
    operating income stays empty.
    """),
    code("""
    print(scenarios.EUR_USD_NOTE)
    prices = scenarios.carbon_prices(eur_usd=scenarios.DEFAULT_EUR_USD, extra_usd=[150, 200])
    prices
    """),
    code("""
    baseline = scenarios.company_baseline(disclosures)
    baseline
    """),
    code("""
    shock = scenarios.carbon_price_shock(baseline, prices)
    shock.pivot(index="ticker", columns="scenario", values="cost_pct_revenue")[prices["scenario"]].round(3)
    """),
    code("""
    shock[shock["scenario"] == "user USD 200"][["ticker", "fiscal_year", "emissions_tco2e", "cost_usd_m",
                                                 "cost_pct_revenue", "cost_pct_operating_income"]]
    """),
    md("""
    With **location-based** Scope 2 (the grid average, before certificates and PPAs) the cost is several times
    higher for the companies that rely most on contractual instruments. Amazon and Meta do not disclose
    location-based Scope 2, so they drop out of this table rather than being estimated.
    """),
    code("""
    location = scenarios.carbon_price_shock(prices=prices, scope2="location", disclosures=disclosures)
    location.pivot(index="ticker", columns="scenario", values="cost_pct_revenue")[prices["scenario"]].round(3)
    """),
    md("""
    **Portfolio-weighted**, for the sample portfolio: the weighted average of the cost share over the holdings
    that disclose the inputs. `coverage` is the share of the portfolio's weight that does (cash and
    non-disclosers are not covered).
    """),
    code("""
    holdings = esglib.load_holdings(primer.repo_path("data/sample_portfolio.csv"))
    portfolio = scenarios.portfolio_weighted(shock, holdings)
    portfolio
    """),
    code("""
    png = plots.keep(plots.carbon_cost_curve(shock, portfolio), OUT / "06_carbon_cost_curve.png")
    """),
    md("""
    ## 2. AI electricity-demand growth

    The IEA projects global data-centre electricity from about 415 TWh (2024) to about 945 TWh (2030). As a
    compound annual rate:
    """),
    code("""
    growth = scenarios.demand_growth()
    growth
    """),
    md("""
    Assumptions, stated: each company's electricity grows at that rate; the grid emission factor is its
    location-based Scope 2 divided by its electricity in the base year and stays constant; the share of
    location-based emissions covered by certificates and PPAs either **stays constant** or **ramps** linearly to
    100 % by the company's own target year (100 % renewable, else 24/7 CFE; 2030 if none). Only three companies
    disclose electricity and both Scope 2 figures for the same year.
    """),
    code("""
    constant = scenarios.electricity_growth(disclosures=disclosures, market_share="constant")
    columns = ["ticker", "base_year", "year", "electricity_mwh", "scope2_location_tco2e", "covered_share_pct",
               "scope2_market_tco2e", "target_year", "target_source"]
    constant[constant["year"] == 2030][columns]
    """),
    code("""
    ramp = scenarios.electricity_growth(disclosures=disclosures, market_share="ramp")
    ramp[ramp["year"] == 2030][columns]
    """),
    code("""
    print(ramp.attrs["assumptions"])
    png = plots.keep(plots.emissions_paths(ramp), OUT / "06_scope2_paths.png")
    """),
    md("""
    Location-based emissions grow with electricity whatever the contracts say; market-based emissions fall only
    if procurement keeps up with a load that more than doubles. A grid that decarbonises helps both:
    """),
    code("""
    greener_grid = scenarios.electricity_growth(disclosures=disclosures, grid_decline_pct=5)
    greener_grid[greener_grid["year"] == 2030][["ticker", "electricity_mwh", "grid_factor_t_per_mwh",
                                                 "scope2_location_tco2e", "scope2_market_tco2e"]]
    """),
    md("""
    ## 3. Water stress

    Exposure = water consumption x the share of withdrawals in high or extremely high stress basins (WRI
    Aqueduct), only where the company discloses that share. The scenario multiplies the stressed share (1.5x,
    2x; capped at 100 %), e.g. as new sites go to dry regions.
    """),
    code("""
    water = scenarios.water_stress(stress_multiplier=[1.5, 2.0], disclosures=disclosures)
    water
    """),
    code("""
    png = plots.keep(plots.water_exposure(water), OUT / "06_water_stress.png")
    """),
    md("""
    Only Microsoft discloses the stressed share in a year in which it also discloses consumption (FY2021: 22 %; its
    FY2023 report gives 41 % but no consumption for that year). Google and Meta disclose water volumes but not the
    share: their exposure is unknown, which is not the same as zero.

    ## Recap

    * Carbon price: at EU ETS prices the cost is a fraction of a percent of revenue for most disclosers; it is
      linear in the price and several times larger on location-based Scope 2.
    * AI growth at the IEA's ~14.7 % a year more than doubles location-based Scope 2 by 2030; market-based
      emissions fall only if procurement ramps up to the targets.
    * Water stress can be computed for one company; undisclosed shares stay missing.
    * Every assumption is a parameter of `esglib.scenarios` (prices, EUR->USD rate, Scope 2 method, growth rate,
      ramp, grid decline, multipliers).
    """),
]

NOTEBOOKS: dict[str, list] = {
    "00_start_here.ipynb": START_HERE,
    "01_ai_footprint_primer.ipynb": PRIMER,
    "02_scoring_methodology.ipynb": METHOD,
    "03_screen_my_holdings.ipynb": SCREEN,
    "04_backtest_and_statistics.ipynb": BACKTEST,
    "05_excel_scorecard.ipynb": EXCEL,
    "06_scenarios.ipynb": SCENARIOS,
}

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def build(name: str, cells: list) -> nbformat.NotebookNode:
    """Turn a cell list into a notebook with stable ids and no outputs."""
    stem = name.split("_")[0]
    nb = new_notebook(metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for i, (kind, source, tags) in enumerate(cells):
        cell = new_markdown_cell(source) if kind == "markdown" else new_code_cell(source)
        cell["id"] = f"nb{stem}-{i:02d}"
        if tags:
            cell["metadata"]["tags"] = tags
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def main(argv: list[str] | None = None) -> int:
    """Write every notebook (or only those named) next to this file."""
    wanted = set(argv or [])
    for name, cells in NOTEBOOKS.items():
        if wanted and name not in wanted:
            continue
        nbformat.write(build(name, cells), HERE / name)
        print("wrote", HERE / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
