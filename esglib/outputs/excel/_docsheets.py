"""The scorecard's reference sheets: the cited sources of every figure and the methodology."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from esglib.inputs import QUALITY_LABELS, select_figures
from esglib.outputs.excel._cells import _first_url, _letter
from esglib.outputs.excel._sheets import _PILLARS, _column_values
from esglib.outputs.excel._styling import _Book, _Link, _print_setup, _widths
from esglib.scoring import CORE_DISCLOSURES, KPI_INPUTS, KPI_SPECS

__all__: list[str] = []

#: Above this many figures the Sources sheet writes source_url as plain text (no hyperlink object per row).
SOURCE_LINK_ROWS = 5_000


def _sources_frame(disclosures: pd.DataFrame, rows: pd.DataFrame, cfg) -> pd.DataFrame:
    """Cited figures each company's scores can draw on (selected figures within the scoring window)."""
    feeds: dict[str, list[str]] = {}
    for kpi, inputs in KPI_INPUTS.items():
        for m in inputs:
            feeds.setdefault(m, []).append(kpi)
    for m in CORE_DISCLOSURES:
        feeds.setdefault(m, []).append("disclosure pillar")
    d = disclosures[disclosures["ticker"].isin(rows.index) & disclosures["metric"].isin(list(feeds))]
    if not len(d):
        return pd.DataFrame()
    sel = select_figures(d)
    ref = sel["ticker"].map(pd.to_numeric(rows["fiscal_year"], errors="coerce").astype("float64"))
    keep = (sel["fiscal_year"] <= ref) & (sel["fiscal_year"] >= ref - cfg.carry_forward_years)
    sel = sel.loc[keep.to_numpy()].copy()
    sel["feeds"] = sel["metric"].map(lambda m: ", ".join(feeds.get(m, [])))
    order = {t: i for i, t in enumerate(rows.index)}
    sel["_o"] = sel["ticker"].map(order)
    return sel.sort_values(["_o", "fiscal_year", "metric"], ascending=[True, False, True], kind="stable")


def _write_sources(book: _Book, ws, src: pd.DataFrame, note: str | None) -> None:
    cols = ["ticker", "company", "fiscal_year", "metric", "value", "unit", "reported_value", "reported_unit",
            "basis", "data_quality", "source_title", "source_url", "quote", "feeds", "source_row"]
    _widths(ws, [9, 22, 8, 28, 14, 12, 12, 14, 14, 8, 50, 45, 80, 30, 9])
    _print_setup(ws, title_rows="3:3")
    ws.freeze_panes = "B4"
    book.row(ws, ["Sources: every cited figure the scores draw on (chosen figure per company, year and metric, "
                  "within each company's scoring window)"], "title")
    links = len(src) <= SOURCE_LINK_ROWS
    if note is None and not links:
        note = (f"{len(src):,} figures: above {SOURCE_LINK_ROWS:,} rows source_url is plain text (copy it into a "
                "browser); quote is the excerpt the figure was read from; feeds = the KPIs and pillar the figure "
                "enters")
    book.row(ws, [note or "source_url links open the cited page; quote is the excerpt the figure was read from; "
                          "feeds = the KPIs and pillar the figure enters"], "muted")
    book.row(ws, cols, "header")
    if not len(src):
        return
    ws.auto_filter.ref = f"A3:{_letter(len(cols))}{3 + len(src)}"
    # unstyled cells (General format): this sheet can hold a hundred thousand rows. Up to SOURCE_LINK_ROWS rows a
    # web address is a clickable link; above, plain text (a hyperlink object per row costs more than the data)
    data = [_column_values(src[c]) if c in src.columns else [None] * len(src) for c in cols]
    i_url = cols.index("source_url")
    for values in zip(*data, strict=True):
        if links:
            values = list(values)
            url = _first_url(values[i_url])
            if url is not None:
                values[i_url] = _Link(str(values[i_url]), target=url)
        book.row(ws, values)


def _write_methodology(book: _Book, ws, cfg, as_of_lines: Sequence[str], year: int | None) -> None:

    _widths(ws, [26, 14, 14, 16, 14, 90])
    _print_setup(ws, title_rows="1:1")
    w = cfg.weights
    norm = {"percentile": "peer percentile 1 + 99 x (rank - 1) / (n - 1)",
            "minmax": "min-max scaling to 1..100", "zscore": "z-score mapped through the normal CDF to 1..100"}
    agg = ("a weighted geometric mean, exp(sum w ln max(pillar, floor)), with floor "
           f"{cfg.geometric_floor:g}: only partly compensatory" if cfg.aggregation == "geometric"
           else "a weighted arithmetic mean, sum w x pillar / sum w: fully compensatory")
    steps = [
        "Every rule, with its source and rationale: docs/methodology.md in the esglib repository.",
        "1. For each company, year and metric one cited figure is chosen: preferred basis (operating over design), "
        "then the latest report edition, then the best data quality, then the company-wide boundary.",
        "2. Only figures published by the as-of date are used (their published_on date; a figure without one counts "
        f"from fiscal-year end + {cfg.publication_lag_days} days, flagged published_on_estimated). Derived KPIs are "
        "computed with the formulas below. esglib imputes no figure: a missing figure stays missing and scores "
        f"{cfg.missing_score:g} as not disclosed; revenue in another currency is converted with the cited rate of "
        "its year (data/fx_rates.csv), never an assumed rate.",
        "3. Each KPI comes from "
        + ("the latest fiscal year that ended at most "
           f"{cfg.carry_forward_years + 1} years before the as-of date" if year is None else
           f"fiscal years {int(year) - cfg.carry_forward_years}..{int(year)}")
        + "; a KPI older than the company's newest year is flagged stale_figures_carried_forward.",
        "4. KPIs with a physical or logical scale (PUE, WUE, shares, the supplier programme) are scored against "
        "fixed, cited reference points (data/reference_points.csv: PUE 1.0 -> 100, 1.58 -> 50; WUE 0 -> 100, 1.8 "
        "L/kWh -> 50; a share scores 1 + 0.99 x share), linear and clipped to 1..100. Intensities and server life "
        f"are scored by {norm.get(cfg.normalisation, cfg.normalisation)} "
        + ("within the peer group" if cfg.peer_relative else "across the whole universe")
        + f", only where at least {cfg.min_peer_size} companies disclose them; otherwise they are shown but "
        "unscored (flag kpi_unscored_small_peer_set). PUE, WUE, cooling and server life apply to data-centre "
        "operators only (" + ", ".join(cfg.dc_operator_groups) + ").",
        f"5. An applicable KPI that is not disclosed scores {cfg.missing_score:g}: never better than disclosing the "
        "worst value (every disclosed value scores at least 1).",
        "6. A pillar is the weighted mean of its applicable, scorable KPI scores (weights in the table below; weight "
        "0 = shown, not scored). The disclosure pillar is 100 x the quality-weighted share of the applicable core "
        "figures disclosed (quality weights " + ", ".join(f"{k}: {v:g}" for k, v in cfg.quality_weights.items())
        + ").",
        f"7. The composite is {agg}. Pillar weights: " + ", ".join(f"{p} {w[p]:.0%}" for p in _PILLARS)
        + " (editable on the Weights sheet); a pillar without any scorable KPI is left out and the others rescaled.",
        "8. Coverage = weighted share of the applicable KPIs disclosed (each footprint pillar's weight shared among "
        f"its KPIs). Below {cfg.min_coverage:.0%}, or with fewer than {cfg.min_kpi_share:.0%} of the applicable KPIs "
        "disclosed, the composite is withheld (blank) and the rating is NR.",
        "9. esglib ratings CCC..AAA cut the composite at " + ", ".join(f"{e:.2f}" for e in cfg.band_edges)
        + " (seven equal-width bands of 0-100; the top is reachable). These are esglib ratings, not MSCI ESG "
        "Ratings: MSCI rates industry-specific key issues across E, S and G and normalises by industry; esglib rates "
        "only the AI footprint from the company's own figures, with absolute band cut-offs. The scales are not "
        "comparable.",
        "10. Peer percentiles are relative: a high score means better than peers on disclosed figures, not a small "
        "footprint in absolute terms. The contractual instruments' effect (location - market Scope 2) / location "
        "measures every contractual instrument and is shown, not scored.",
    ]
    book.row(ws, ["Methodology: how the scores are built"], "title")
    for s in steps:
        book.row(ws, [s])
    book.row(ws, [])
    book.row(ws, ["KPIs"], "band")
    book.row(ws, ["KPI", "pillar", "unit", "better when", "weight in pillar", "formula"], "header")
    for name, spec in KPI_SPECS.items():
        mw = cfg.metric_weights.get(spec.pillar, {})
        total = sum(mw.values()) or 1.0
        book.row(ws, [name, spec.pillar, spec.unit, "higher" if spec.higher_is_better else "lower",
                      mw.get(name, 0.0) / total, spec.formula + (" [shown, not scored]" if mw.get(name, 0.0) == 0
                                                                 else "")],
                 [None, None, None, None, "fmt:0%", None])
    book.row(ws, [])
    book.row(ws, ["Core figures of the disclosure pillar"], "band")
    book.row(ws, [", ".join(CORE_DISCLOSURES)])
    book.row(ws, [])
    book.row(ws, ["Data quality scale"], "band")
    for k, v in QUALITY_LABELS.items():
        book.row(ws, [k, v])
    book.row(ws, [])
    book.row(ws, ["As of"], "band")
    for line in as_of_lines:
        book.row(ws, [line])
