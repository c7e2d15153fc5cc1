"""Charts (seaborn/matplotlib live only here).

Every function takes frames, returns the matplotlib Axes or Figure, titles the chart, labels units and adds a
source line; :func:`save` writes a PNG atomically.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from esglib.atomicio import atomic_path
from esglib.scoring import PILLARS

__all__ = [
    "pillar_heatmap", "heatmap_order", "composite_bars", "scope2_gap", "cumulative_returns", "drawdowns", "tradeoff",
    "macro_demand", "save", "SOURCE_NOTE", "keep", "us_datacentre_electricity", "industry_pue",
    "us_datacentre_water", "google_cfe_regions", "google_cfe_spread", "variant_ranks", "rank_intervals",
    "screen_weights", "carbon_cost_curve", "emissions_paths", "water_exposure", "show",
]


SOURCE_NOTE = "Source: company disclosures as cited in data/disclosures.csv (esglib)"


def _plt():
    """Pyplot and seaborn, imported on first use.

    The backend is the caller's choice (``MPLBACKEND``, or ``matplotlib.use``): the command line and the tests pick
    Agg; matplotlib falls back to Agg without a display.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    return plt, sns


def _source(fig, text: str) -> None:
    fig.text(0.01, 0.005, text, fontsize=7, color="0.4", ha="left", va="bottom")


def _finish(ax, source: str):
    """Close a one-axes chart: the source line at the bottom, a layout that leaves room for it; returns ``ax``."""
    _source(ax.figure, source)
    ax.figure.tight_layout(rect=(0, 0.03, 1, 1))
    return ax


def heatmap_order(scores: pd.DataFrame, rated_only: bool = False) -> tuple[list[str], list[str], list[str]]:
    """Rows of :func:`pillar_heatmap`, in three groups.

    Rated companies (best composite first); unrated companies with something scored (best indicative composite
    first); unrated companies with every pillar at zero (named in a note instead of drawn).
    """
    rated = scores[scores["composite"].notna()].sort_values("composite", ascending=False, kind="stable")
    if rated_only:
        return list(rated.index), [], []
    unrated = scores[scores["composite"].isna()]
    key = "composite_indicative" if "composite_indicative" in unrated.columns else "disclosure"
    unrated = unrated.sort_values(key, ascending=False, kind="stable")
    zero = (unrated[list(PILLARS)].fillna(0.0) == 0).all(axis=1)
    return list(rated.index), list(unrated.index[~zero]), list(unrated.index[zero])


def pillar_heatmap(scores: pd.DataFrame, rated_only: bool = False, ax=None, source: str = SOURCE_NOTE):
    """Heatmap of pillar scores (0-100) per company: rated companies first, then the unrated ones apart.

    Rated companies (with a composite) come first, best composite first. Below a divider come the unrated
    ones (composite withheld, blank), best indicative composite first. Unrated companies with every pillar
    at zero are not drawn as rows of zeros: a note under the chart names them.

    Parameters
    ----------
    scores : DataFrame
        :func:`esglib.scoring.score` output (index ticker).
    rated_only : bool
        Only companies with a composite.
    """
    import textwrap

    plt, sns = _plt()

    rated, unrated, empty = heatmap_order(scores, rated_only)
    df = scores.loc[rated + unrated]
    data = df[list(PILLARS) + ["composite"]].astype(float)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, max(3, 0.28 * len(df) + 2.2)))
    sns.heatmap(data, annot=True, fmt=".0f", cmap="RdYlGn", vmin=0, vmax=100, cbar_kws={"label": "score (0-100)"},
                ax=ax, linewidths=0.3, annot_kws={"size": 7})
    if unrated:
        ax.axhline(len(rated), color="black", lw=2.5)
    ax.set_title("AI-footprint pillar scores (0-100)" + (
        f"\n{len(rated)} rated above the line; {len(unrated)} unrated below it (composite withheld)" if unrated
        else ""), fontsize=10)
    ax.set_xlabel("")
    ax.set_ylabel("")
    note = source
    if empty:
        note = textwrap.fill(f"Not drawn, every pillar 0 (nothing disclosed for the scored years), {len(empty)}: "
                             + ", ".join(empty), 130) + "\n" + source
    _source(ax.figure, note)
    lines = note.count("\n") + 1
    ax.figure.tight_layout(rect=(0, 0.012 * lines + 0.01, 1, 1))
    return ax


def composite_bars(scores: pd.DataFrame, sensitivity: pd.DataFrame | None = None, ax=None, source: str = SOURCE_NOTE):
    """Horizontal bars of the composite for rated companies, with the weight-sensitivity interval if given."""
    plt, sns = _plt()
    df = scores[scores["composite"].notna()].sort_values("composite")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, max(3, 0.35 * len(df) + 1.5)))
    colours = sns.color_palette("viridis", n_colors=max(len(df), 1))
    ax.barh(df.index, df["composite"], color=colours)
    if sensitivity is not None and len(sensitivity):
        s = sensitivity.reindex(df.index)
        ax.errorbar(df["composite"], df.index, xerr=[(df["composite"] - s["composite_low"]).clip(lower=0),
                                                     (s["composite_high"] - df["composite"]).clip(lower=0)],
                    fmt="none", ecolor="0.2", capsize=3, label="5th-95th pct under random weights")
        ax.legend(loc="lower right", fontsize=8)
    # each rating sits right of its bar and of its error bar, never on the whisker
    right = df["composite"].copy()
    if sensitivity is not None and len(sensitivity):
        high = sensitivity.reindex(df.index)["composite_high"]
        right = pd.concat([right, high], axis=1).max(axis=1)
    for y, (x, r) in enumerate(zip(right, df["rating"], strict=True)):
        ax.text(x + 1.5, y, r, va="center", ha="left", fontsize=8, fontweight="bold")
    ax.set_xlim(0, 100)
    ax.set_xlabel("composite score (0-100)")
    ax.set_title("Composite AI-footprint score and rating (rated companies)")
    _source(ax.figure, source)
    ax.figure.tight_layout(rect=(0, 0.02, 1, 1))
    return ax


def scope2_gap(figures: pd.DataFrame, ax=None, source: str = SOURCE_NOTE):
    """Location- vs market-based Scope 2 (tCO2e) side by side per company (latest year with both).

    Parameters
    ----------
    figures : DataFrame
        :func:`esglib.inputs.select_figures` output (long).
    """
    plt, sns = _plt()
    d = figures[figures["metric"].isin(["scope2_location_tco2e", "scope2_market_tco2e"])]
    w = d.pivot_table(index=["ticker", "fiscal_year"], columns="metric", values="value").dropna()
    if w.empty:
        raise ValueError("no company discloses both location- and market-based Scope 2")
    w = w.reset_index().sort_values("fiscal_year").groupby("ticker").last()
    long = w.reset_index().melt(id_vars=["ticker", "fiscal_year"], value_vars=["scope2_location_tco2e",
                                                                               "scope2_market_tco2e"],
                                var_name="method", value_name="tco2e")
    long["method"] = long["method"].map({"scope2_location_tco2e": "location-based",
                                         "scope2_market_tco2e": "market-based"})
    long["label"] = long["ticker"] + " FY" + long["fiscal_year"].astype(int).astype(str)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    sns.barplot(long, x="label", y="tco2e", hue="method", ax=ax)
    ax.set_yscale("log")
    ax.set_ylabel("Scope 2 emissions (tCO2e, log scale)")
    ax.set_xlabel("")
    ax.set_title("Scope 2: grid-average (location) vs after certificates/PPAs (market)")
    ax.tick_params(axis="x", rotation=45)
    for label in ax.get_xticklabels():
        label.set_ha("right")
    # the legend goes outside the bars (right of the axes), where it cannot cover a company
    ax.legend(title="Scope 2 method", fontsize=8, title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              frameon=False)
    _source(ax.figure, source)
    ax.figure.tight_layout(rect=(0, 0.02, 1, 1))
    return ax


def cumulative_returns(returns: pd.DataFrame, ax=None,
                       source: str = "Prices: Yahoo Finance snapshot (see data/prices)", scored_from=None):
    """Growth of 1 for each column of a returns frame (DatetimeIndex x series, simple returns).

    ``scored_from`` (a date, e.g. ``BacktestResult.params["scored_from"]``) draws a dashed line where the screens
    start to have scores; before it they hold the unscreened base.
    """
    plt, _ = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    (1 + returns.fillna(0)).cumprod().plot(ax=ax)
    if scored_from is not None:
        ax.axvline(pd.Timestamp(scored_from), color="0.35", linestyle="--", linewidth=1)
        ax.annotate(f"scores from {pd.Timestamp(scored_from).date()}", (pd.Timestamp(scored_from), 0.97),
                    xycoords=("data", "axes fraction"), xytext=(4, 0), textcoords="offset points", fontsize=8,
                    color="0.3", va="top")
    ax.set_ylabel("growth of 1 (total return)")
    ax.set_xlabel("")
    ax.set_title("Cumulative return: unscreened base, screens and benchmark")
    _source(ax.figure, source)
    ax.figure.tight_layout(rect=(0, 0.02, 1, 1))
    return ax


def drawdowns(returns: pd.DataFrame, ax=None, source: str = "Prices: Yahoo Finance snapshot (see data/prices)"):
    """Drawdown from the running peak (%) for each column of a returns frame."""
    plt, _ = _plt()
    wealth = (1 + returns.fillna(0)).cumprod()
    dd = (wealth / wealth.cummax() - 1) * 100
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.5))
    dd.plot(ax=ax)
    ax.set_ylabel("drawdown (%)")
    ax.set_xlabel("")
    ax.set_title("Drawdowns")
    _source(ax.figure, source)
    ax.figure.tight_layout(rect=(0, 0.02, 1, 1))
    return ax


def tradeoff(curve: pd.DataFrame, x: str = "composite_target", y: str = "tracking_error", ax=None,
             source: str = SOURCE_NOTE):
    """Trade-off curve: ex-ante tracking error (%, annualised) against the composite-score target."""
    plt, _ = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    ax.plot(curve[x], curve[y] * 100, marker="o")
    ax.set_xlabel("portfolio composite target (0-100)")
    ax.set_ylabel("ex-ante tracking error (% a year)")
    ax.set_title("What a greener portfolio costs in tracking error")
    _source(ax.figure, source)
    ax.figure.tight_layout(rect=(0, 0.02, 1, 1))
    return ax


def macro_demand(macro: pd.DataFrame, ax=None):
    """IEA global data-centre electricity (TWh): 2022 (incl. crypto), 2024 and the 2030 projection."""
    plt, sns = _plt()
    series = {"datacentre_crypto_ai_electricity_consumption": "2022 incl. crypto (IEA Electricity 2024)",
              "datacentre_electricity_consumption": "estimate (IEA)",
              "datacentre_electricity_consumption_projection": "projection, base case (IEA)"}
    m = macro[(macro["series"].isin(series)) & (macro["region"] == "World")]
    m = m[m["source_title"].str.contains("IEA", case=False) | m["note"].fillna("").str.contains("IEA")]
    m = m.sort_values(["year", "data_quality"]).drop_duplicates(["series", "year"])
    m = m[m["data_quality"].fillna(4) <= 3]
    df = pd.DataFrame({"year": m["year"].astype(int).astype(str), "TWh": m["value"] / 1e6,
                       "kind": m["series"].map(series)})
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    sns.barplot(df, x="year", y="TWh", hue="kind", dodge=False, ax=ax)
    for cont in ax.containers:
        ax.bar_label(cont, fmt="%.0f", fontsize=8)
    ax.set_ylabel("electricity (TWh a year)")
    ax.set_title("Global data-centre electricity use")
    ax.legend(fontsize=7)
    _source(ax.figure, "Source: IEA via data/macro.csv (rows cited there)")
    ax.figure.tight_layout(rect=(0, 0.02, 1, 1))
    return ax


def save(obj, path: str | Path, dpi: int = 150) -> Path:
    """Save an Axes or Figure as PNG atomically and close it; returns the path."""
    plt, _ = _plt()
    fig = obj.figure if hasattr(obj, "figure") and not hasattr(obj, "savefig") else obj
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    plt.close(fig)
    return Path(path)


# --- notebook charts (issue 6) ---
# Charts for the notebook suite (notebooks/). Same conventions as above: frames in, Axes out, a title, units and
# a source line on every chart.
MACRO_SOURCE = "Source: data/macro.csv (each row cites its publisher: IEA, LBNL, Uptime Institute, ...)"
CFE_SOURCE = "Source: Google Cloud region-carbon-info (data/google_region_cfe, Apache-2.0)"


def us_datacentre_electricity(macro: pd.DataFrame, ax=None, source: str = MACRO_SOURCE):
    """US data-centre electricity (TWh a year): LBNL/IEA estimates as bars, the LBNL 2028 projection as a range.

    A projection with a low and a high case is one floating bar from low to high, labelled "low-high", not two
    bars drawn on top of each other.

    Parameters
    ----------
    macro : DataFrame
        :func:`esglib.inputs.load_macro` output.
    """
    plt, sns = _plt()
    us = macro[macro["region"] == "United States"]
    kinds = {"datacentre_electricity_consumption": "estimate",
             "datacentre_electricity_consumption_projection_high": "high",
             "datacentre_electricity_consumption_projection_low": "low"}
    m = us[us["series"].isin(kinds)].sort_values(["year", "data_quality"]).drop_duplicates(["series", "year"])
    publisher = m["note"].fillna("").str.extract(r"publisher: ([A-Za-z]+)", expand=False).fillna("")
    df = pd.DataFrame({"year": m["year"].astype(int), "TWh": m["value"] / 1e6, "kind": m["series"].map(kinds),
                       "publisher": publisher})
    years = sorted(df["year"].unique())
    x = {y: i for i, y in enumerate(years)}
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    palette = sns.color_palette()
    est = df[df["kind"] == "estimate"]
    pubs = list(dict.fromkeys(est["publisher"]))
    for k, pub in enumerate(pubs):
        e = est[est["publisher"] == pub]
        bars = ax.bar([x[y] for y in e["year"]], e["TWh"], width=0.7, color=palette[k % len(palette)],
                      label=f"estimate ({pub})" if pub else "estimate")
        ax.bar_label(bars, fmt="%.0f", fontsize=8)
    proj = df[df["kind"].isin(["low", "high"])].pivot_table(index="year", columns="kind", values="TWh")
    proj_pub = ", ".join(sorted({p for p in df.loc[df["kind"] != "estimate", "publisher"] if p}))
    for y, r in proj.iterrows():
        low, high = r.get("low"), r.get("high")
        if pd.notna(low) and pd.notna(high):
            bar = ax.bar([x[y]], [high - low], bottom=[low], width=0.7, color=palette[len(pubs) % len(palette)],
                         alpha=0.55, hatch="//", edgecolor="0.3",
                         label=f"projection, low to high ({proj_pub})" if proj_pub else "projection, low to high")
            ax.bar_label(bar, labels=[f"{low:.0f}-{high:.0f}"], fontsize=8)
        else:
            v = low if pd.notna(low) else high
            bar = ax.bar([x[y]], [v], width=0.7, color=palette[len(pubs) % len(palette)], alpha=0.55, hatch="//",
                         edgecolor="0.3", label="projection")
            ax.bar_label(bar, fmt="%.0f", fontsize=8)
    ax.set_xticks(range(len(years)), [str(y) for y in years])
    ax.set_ylim(0, df["TWh"].max() * 1.15)
    share = us[us["series"] == "datacentre_share_of_national_electricity_pct"]
    if len(share):
        r = share.sort_values("year").iloc[-1]
        ax.text(0.01, 0.97, f"{int(r['year'])}: {r['value']:g} % of US electricity", transform=ax.transAxes,
                va="top", fontsize=8)
    ax.set_ylabel("electricity (TWh a year)")
    ax.set_xlabel("")
    ax.set_title("US data-centre electricity use")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0, 0.9))
    return _finish(ax, source)


def industry_pue(macro: pd.DataFrame, ax=None, source: str = MACRO_SOURCE):
    """Average data-centre PUE (ratio) by year, with the public-cloud and on-premises averages as reference lines."""
    plt, sns = _plt()
    m = macro[macro["series"] == "industry_average_pue"].sort_values("year")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    sns.barplot(x=m["year"].astype(int).astype(str), y=m["value"], color=sns.color_palette()[0], ax=ax)
    ax.bar_label(ax.containers[0], fmt="%.2f", fontsize=8)
    for series, label, style in (("public_cloud_average_pue", "public cloud average (IDC via AWS)", "--"),
                                 ("onprem_enterprise_average_pue", "on-premises enterprise (IDC via AWS)", ":")):
        ref = macro[macro["series"] == series]
        if len(ref):
            ax.axhline(float(ref["value"].iloc[0]), ls=style, color="0.3", label=f"{label}: {ref['value'].iloc[0]:g}")
    ax.axhline(1.0, color="0.6", lw=0.8)
    ax.set_ylim(0.9, 1.8)
    ax.set_ylabel("PUE (facility energy / IT energy)")
    ax.set_xlabel("")
    ax.set_title("Average data-centre PUE (Uptime Institute surveys); 1.0 = no overhead")
    ax.legend(fontsize=7, loc="upper right")
    return _finish(ax, source)


def us_datacentre_water(macro: pd.DataFrame, ax=None, source: str = MACRO_SOURCE):
    """US data centres' direct (cooling) and indirect (power generation) water use in 2023, million m3."""
    plt, sns = _plt()
    labels = {"datacentre_direct_water_consumption": "direct: cooling on site",
              "datacentre_indirect_water_consumption_electricity": "indirect: generating their electricity"}
    m = macro[macro["series"].isin(labels) & (macro["region"] == "United States")]
    df = pd.DataFrame({"use": m["series"].map(labels), "million m3": m["value"] / 1e6})
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    sns.barplot(df, y="use", x="million m3", hue="use", legend=False, ax=ax)
    for cont in ax.containers:
        ax.bar_label(cont, fmt="%.0f", fontsize=8)
    ax.set_xlabel("water consumed in 2023 (million m3)")
    ax.set_ylabel("")
    ax.set_title("US data centres' water, 2023: most of it is used in power plants")
    _source(ax.figure, source)
    ax.figure.tight_layout(rect=(0, 0.04, 1, 1))
    return ax


def google_cfe_regions(cfe: pd.DataFrame, year: int | None = None, ax=None, source: str = CFE_SOURCE):
    """Google's hourly carbon-free-energy share (%) per cloud region in one year, coloured by grid intensity.

    Parameters
    ----------
    cfe : DataFrame
        :func:`esglib.app.notebook.load_google_region_cfe` output.
    year : int, optional
        Year shown (default: the latest).
    """
    plt, sns = _plt()
    y = int(year if year is not None else cfe["year"].max())
    d = cfe[cfe["year"] == y].sort_values("cfe_pct")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, max(4, 0.22 * len(d) + 1.5)))
    norm = plt.Normalize(d["grid_gco2_per_kwh"].min(), d["grid_gco2_per_kwh"].max())
    cmap = plt.get_cmap("magma_r")
    ax.barh(d["region"] + " (" + d["location"] + ")", d["cfe_pct"], color=cmap(norm(d["grid_gco2_per_kwh"])))
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    ax.figure.colorbar(sm, ax=ax, label=f"grid carbon intensity (gCO2e/kWh, {d['intensity_basis'].iloc[0]})")
    ax.set_xlim(0, 100)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("hourly-matched carbon-free energy (%)")
    ax.set_title(f"Google Cloud regions {y}: the same company, 24/7 CFE from "
                 f"{d['cfe_pct'].min():.0f} % to {d['cfe_pct'].max():.0f} %")
    _source(ax.figure, source)
    ax.figure.tight_layout(rect=(0, 0.02, 1, 1))
    return ax


def google_cfe_spread(cfe: pd.DataFrame, ax=None, source: str = CFE_SOURCE):
    """Distribution of Google's per-region hourly CFE share (%) by year: box plot with one dot per region."""
    plt, sns = _plt()
    d = cfe.assign(year=cfe["year"].astype(str))
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    sns.boxplot(d, x="year", y="cfe_pct", color="0.9", showfliers=False, ax=ax)
    sns.stripplot(d, x="year", y="cfe_pct", hue="year", legend=False, size=4, jitter=0.25, ax=ax)
    ax.set_ylim(0, 100)
    ax.set_ylabel("hourly-matched carbon-free energy (%)")
    ax.set_xlabel("")
    ax.set_title("Spread of 24/7 CFE across Google Cloud regions (one dot per region)")
    return _finish(ax, source)


def variant_ranks(table: pd.DataFrame, ax=None, source: str = SOURCE_NOTE):
    """Heatmap of each company's rank under several scoring variants (:func:`esglib.app.notebook.compare_variants`)."""
    plt, sns = _plt()
    cols = [c for c in table.columns if str(c).startswith("rank ")]
    data = table[cols].astype("float64")
    data.columns = [c[5:] for c in cols]
    if ax is None:
        _, ax = plt.subplots(figsize=(1.3 * len(cols) + 3, 0.35 * len(data) + 1.8))
    sns.heatmap(data, annot=True, fmt=".0f", cmap="viridis_r", cbar_kws={"label": "rank (1 = best)"}, ax=ax,
                linewidths=0.3)
    ax.set_ylabel("")
    ax.set_xlabel("scoring variant")
    ax.set_title("Rank under each normalisation and aggregation (blank = composite withheld)")
    return _finish(ax, source)


def rank_intervals(sens: pd.DataFrame, ax=None, source: str = SOURCE_NOTE):
    """Each rated company's rank with its 5th-95th percentile interval under random pillar weights."""
    plt, _ = _plt()
    d = sens.sort_values("rank", ascending=False)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.38 * len(d) + 1.8))
    y = range(len(d))
    ax.hlines(list(y), d["rank_low"], d["rank_high"], color="0.5", lw=4, alpha=0.6,
              label="5th-95th percentile of rank")
    ax.plot(d["rank"], list(y), "o", color="C3", label="rank at the default weights")
    ax.plot(d["rank_median"], list(y), "|", color="k", ms=12, label="median rank")
    ax.set_yticks(list(y), d.index)
    ax.set_xlim(len(d) + 0.5, 0.5)
    ax.set_xlabel("rank among rated companies (1 = best)")
    ax.set_title("How much do the ranks depend on the pillar weights?")
    ax.legend(fontsize=7, loc="lower left")
    _source(ax.figure, source + f"; {sens.attrs.get('n', '')} Dirichlet weight draws")
    ax.figure.tight_layout(rect=(0, 0.03, 1, 1))
    return ax


def screen_weights(frame: pd.DataFrame, ax=None, source: str = SOURCE_NOTE):
    """Holding weights (%) before and after a screen (``ScreenResult.to_frame()``-like frame)."""
    plt, sns = _plt()
    d = frame[["weight_before", "weight_after"]].fillna(0.0) * 100
    d = d.sort_values("weight_before", ascending=False)
    long = d.reset_index(names="ticker").melt(id_vars="ticker", var_name="portfolio", value_name="weight (%)")
    long["portfolio"] = long["portfolio"].map({"weight_before": "before", "weight_after": "after screen"})
    if ax is None:
        _, ax = plt.subplots(figsize=(max(7, 0.45 * len(d) + 2), 4))
    sns.barplot(long, x="ticker", y="weight (%)", hue="portfolio", ax=ax)
    ax.tick_params(axis="x", rotation=60, labelsize=8)
    ax.set_xlabel("")
    ax.set_ylabel("weight (% of portfolio)")
    ax.set_title("Holdings before and after the screen")
    return _finish(ax, source)


def carbon_cost_curve(shock: pd.DataFrame, portfolio: pd.DataFrame | None = None, ax=None,
                      source: str = "Source: company disclosures (data/disclosures.csv); EU ETS prices "
                                    "(data/macro.csv)"):
    """Carbon cost as % of revenue against the carbon price (USD/t), one line per company (+ the portfolio).

    Parameters
    ----------
    shock : DataFrame
        :func:`esglib.analysis.carbon_price_shock` output.
    portfolio : DataFrame, optional
        :func:`esglib.analysis.portfolio_weighted` output, drawn as a thick black line.
    """
    plt, sns = _plt()
    d = shock.assign(label=shock["ticker"] + " FY" + shock["fiscal_year"].astype(str))
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    sns.lineplot(d, x="price_usd_per_t", y="cost_pct_revenue", hue="label", marker="o", ax=ax)
    if portfolio is not None and len(portfolio):
        p = portfolio.sort_values("price_usd_per_t")
        ax.plot(p["price_usd_per_t"], p["weighted_mean"], color="k", lw=3,
                label=f"portfolio (weighted, coverage {p['coverage'].iloc[0]:.0%})")
    ax.set_xlabel("carbon price (USD per tonne)")
    ax.set_ylabel("cost (% of revenue)")
    method = shock["scope2_method"].iloc[0] if len(shock) else ""
    ax.set_title(f"Carbon-price shock on Scope 1 + Scope 2 ({method})")
    ax.legend(fontsize=7, ncol=2)
    return _finish(ax, source)


def emissions_paths(projection: pd.DataFrame, source: str = "Source: company disclosures; IEA growth path "
                                                             "(data/macro.csv)"):
    """Projected Scope 2 (MtCO2e), location- and market-based, one panel per company (returns the Figure)."""
    plt, sns = _plt()
    long = projection.melt(id_vars=["ticker", "year"], value_vars=["scope2_location_tco2e", "scope2_market_tco2e"],
                           var_name="method", value_name="tco2e")
    long["method"] = long["method"].map({"scope2_location_tco2e": "location-based",
                                         "scope2_market_tco2e": "market-based"})
    long["MtCO2e"] = long["tco2e"] / 1e6
    g = sns.relplot(long, x="year", y="MtCO2e", hue="method", col="ticker", kind="line", marker="o",
                    facet_kws={"sharey": False}, height=3.2, aspect=1.1)
    g.set_axis_labels("", "Scope 2 (MtCO2e)")
    g.set_titles("{col_name}")
    cagr = projection.attrs.get("cagr")
    g.figure.suptitle("Scope 2 under AI electricity growth" + (f" ({100 * cagr:.1f} % a year)" if cagr is not None
                                                               else ""), y=1.0)
    _source(g.figure, source)
    g.figure.tight_layout(rect=(0, 0.04, 1, 0.97))
    return g.figure


def water_exposure(stress: pd.DataFrame, ax=None, source: str = "Source: company disclosures "
                                                                 "(data/disclosures.csv); WRI Aqueduct bands"):
    """Water in high-stress basins (million m3), today and per scenario; companies without the share are named."""
    plt, sns = _plt()
    known = stress[stress["stressed_pct"].notna()]
    unknown = sorted(stress.loc[stress["stressed_pct"].isna(), "ticker"].unique())
    today = pd.DataFrame({"ticker": known["ticker"], "case": "disclosed today",
                          "million m3": known["exposure_m3"] / 1e6})
    rows = [today.drop_duplicates()]
    for m, g in known.groupby("stress_multiplier"):
        rows.append(pd.DataFrame({"ticker": g["ticker"], "case": f"stress x{m:g}",
                                  "million m3": g["scenario_exposure_m3"] / 1e6}))
    d = pd.concat(rows, ignore_index=True)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    if len(d):
        sns.barplot(d, x="ticker", y="million m3", hue="case", ax=ax)
        for cont in ax.containers:
            ax.bar_label(cont, fmt="%.2f", fontsize=7)
    ax.set_ylabel("water in high-stress basins (million m3)")
    ax.set_xlabel("stressed share not disclosed (unknown, not zero): " + ", ".join(unknown) if unknown else "",
                  fontsize=8)
    ax.set_title("Water exposed to high water stress")
    if ax.get_legend() is not None:
        ax.legend(fontsize=7, loc="upper left")
    _source(ax.figure, source)
    ax.figure.tight_layout(rect=(0, 0.04, 1, 1))
    return ax


def keep(obj, path: str | Path, dpi: int = 150) -> Path:
    """Save an Axes or Figure as PNG atomically and leave it open, so a notebook still shows it; returns the path.

    :func:`save` closes the figure (right for scripts); in a notebook write ``png = plots.keep(ax, path)`` and the
    chart appears below the cell as well as in the file.
    """
    fig = obj.figure if hasattr(obj, "figure") and not hasattr(obj, "savefig") else obj
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    return Path(path)


def show() -> None:
    """Display the open figures (``plt.show()``), so callers outside this module never import matplotlib."""
    plt, _ = _plt()
    plt.show()
