"""Charts (seaborn/matplotlib live only here). Every function takes frames, returns the matplotlib Axes or
Figure, titles the chart, labels units and adds a source line; :func:`save` writes a PNG atomically.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["pillar_heatmap", "composite_bars", "scope2_gap", "cumulative_returns", "drawdowns", "tradeoff",
           "macro_demand", "save", "SOURCE_NOTE"]

SOURCE_NOTE = "Source: company disclosures as cited in data/disclosures.csv (esglib)"


def _plt():
    import matplotlib

    if not _interactive():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    return plt, sns


def _interactive() -> bool:
    try:
        from IPython import get_ipython

        return get_ipython() is not None
    except ImportError:
        return False


def _source(fig, text: str) -> None:
    fig.text(0.01, 0.005, text, fontsize=7, color="0.4", ha="left", va="bottom")


def pillar_heatmap(scores: pd.DataFrame, rated_only: bool = False, ax=None, source: str = SOURCE_NOTE):
    """Heatmap of pillar scores (0-100) per company, best composite first.

    Parameters
    ----------
    scores : DataFrame
        :func:`esglib.scoring.score` output (index ticker).
    rated_only : bool
        Only companies with a composite.
    """
    plt, sns = _plt()
    from esglib.scoring import PILLARS

    df = scores[scores["composite"].notna()] if rated_only else scores
    df = df.sort_values(["composite_indicative"], ascending=False)
    data = df[list(PILLARS) + ["composite"]].astype(float)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, max(3, 0.28 * len(df) + 1.5)))
    sns.heatmap(data, annot=True, fmt=".0f", cmap="RdYlGn", vmin=0, vmax=100, cbar_kws={"label": "score (0-100)"},
                ax=ax, linewidths=0.3, annot_kws={"size": 7})
    ax.set_title("AI-footprint pillar scores (0-100, peer-relative; blank composite = withheld)")
    ax.set_xlabel("")
    ax.set_ylabel("")
    _source(ax.figure, source)
    ax.figure.tight_layout(rect=(0, 0.02, 1, 1))
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
    for y, (v, r) in enumerate(zip(df["composite"], df["rating"])):
        ax.text(v + 0.5, y, r, va="center", fontsize=8)
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
        :func:`esglib.data.select_figures` output (long).
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
    _source(ax.figure, source)
    ax.figure.tight_layout(rect=(0, 0.02, 1, 1))
    return ax


def cumulative_returns(returns: pd.DataFrame, ax=None, source: str = "Prices: Yahoo Finance snapshot (see data/prices)"):
    """Growth of 1 for each column of a returns frame (DatetimeIndex x series, simple returns)."""
    plt, _ = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    (1 + returns.fillna(0)).cumprod().plot(ax=ax)
    ax.set_ylabel("growth of 1 (total return)")
    ax.set_xlabel("")
    ax.set_title("Cumulative return: strategies vs benchmark")
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
    from esglib._io import atomic_path

    plt, _ = _plt()
    fig = obj.figure if hasattr(obj, "figure") and not hasattr(obj, "savefig") else obj
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    plt.close(fig)
    return Path(path)
