"""From KPIs to pillar scores, a composite, a rating, flags, explanations and a weight-sensitivity report.

Pipeline (all choices in :class:`ScoreConfig`; see ``docs/methodology`` in the README):

1. pick one figure per (ticker, year, metric) (:func:`esglib.data.select_figures`) and derive KPIs
   (:func:`esglib.metrics.compute_metrics`);
2. per company, the reference ``fiscal_year`` (given, or the latest year with a KPI) and, per KPI, the latest
   value no more than ``carry_forward_years`` older;
3. normalise each KPI to 0-100 *within the peer group* (percentile rank; groups with fewer than
   ``min_peer_size`` disclosers fall back to the whole universe); min-max and z-score are available, with the
   JRC COIN winsorisation rule for outliers;
4. a KPI that is not disclosed scores ``missing_score`` (0): not disclosing never scores better than disclosing
   the worst value, because disclosed values score strictly above 0;
5. pillar = weighted mean of its KPI scores; disclosure pillar = quality-weighted share of core figures disclosed;
6. composite = arithmetic or geometric weighted mean of pillars; withheld (NaN + flag) when ``coverage`` (share
   of footprint-pillar weight with at least one disclosed KPI) is below ``min_coverage``;
7. rating = equal-width bands AAA..CCC (MSCI-style), ``NR`` when the composite is withheld.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from esglib.data import available_as_of, load_companies, select_figures
from esglib.errors import ConfigError
from esglib.metrics import KPI_INPUTS, KPI_SPECS, ProcurementLadder, compute_metrics

__all__ = [
    "PILLARS",
    "FOOTPRINT_PILLARS",
    "CORE_DISCLOSURES",
    "ScoreConfig",
    "score",
    "explain",
    "explain_many",
    "sensitivity",
    "score_to_band",
    "parse_weights",
    "aggregate",
]

FOOTPRINT_PILLARS = ("energy", "water", "procurement", "circularity")
PILLARS = (*FOOTPRINT_PILLARS, "disclosure")
RATINGS = ("CCC", "B", "BB", "BBB", "A", "AA", "AAA")
#: Core figures whose presence (weighted by data quality) makes up the disclosure pillar.
CORE_DISCLOSURES = (
    "electricity_total_mwh", "pue", "scope1_tco2e", "scope2_market_tco2e", "scope2_location_tco2e", "scope3_tco2e",
    "renewable_share_pct", "cfe_hourly_pct", "water_withdrawal_m3", "water_consumption_m3", "wue_l_per_kwh",
    "water_replenishment_pct", "hardware_reuse_recycling_pct", "server_useful_life_years", "ewaste_tonnes",
    "revenue_usd_m",
)

_DEFAULT_METRIC_WEIGHTS = {
    "energy": {"pue": 1.0, "carbon_intensity": 1.0, "electricity_intensity": 1.0},
    "water": {"water_intensity": 1.0, "wue": 1.0, "water_replenishment": 1.0, "water_stress_exposure": 1.0},
    "procurement": {"procurement_quality": 0.6, "renewable_share": 0.2, "certificate_reliance": 0.2},
    "circularity": {"hardware_reuse_recycling": 1.0, "server_life": 1.0, "ewaste_intensity": 1.0},
}


def _equal_pillars() -> dict[str, float]:
    return {p: 0.2 for p in PILLARS}


@dataclass(frozen=True)
class ScoreConfig:
    """Every scoring choice, with documented defaults. Immutable: derive variants with :meth:`replace`.

    Attributes
    ----------
    pillar_weights : mapping
        Weight per pillar (``energy, water, procurement, circularity, disclosure``); equal by default
        (OECD/JRC practice). Normalised to sum to 1.
    metric_weights : mapping of mappings
        Weight of each KPI within its pillar.
    normalisation : {"percentile", "minmax", "zscore"}
        KPI normalisation; percentile rank (default) is robust to outliers and invariant to units.
    peer_relative : bool
        Normalise within peer groups (default) rather than across the whole universe.
    min_peer_size : int
        Fewer disclosers than this in a peer group -> that KPI is normalised against the whole universe.
    aggregation : {"arithmetic", "geometric"}
        Pillar aggregation. Geometric is only partially compensatory (a 0 pillar drags the composite to the floor).
    geometric_floor : float
        Pillar values are floored at this before a geometric mean (the mean needs x > 0).
    missing_score : float
        Score of a KPI that is not disclosed (0: never better than disclosing the worst value).
    min_coverage : float
        Composite withheld below this coverage (0-1).
    carry_forward_years : int
        A KPI may come from up to this many fiscal years before the reference year (flagged ``stale``).
    winsorise : bool
        Apply the JRC COIN outlier rule (|skew| > 2 and kurtosis > 3.5 -> winsorise up to 5 points) before
        min-max/z-score normalisation (percentile ranks need none).
    band_edges : tuple of float
        Six increasing composite cut-offs between the seven rating bands CCC..AAA (equal width by default).
    ladder : ProcurementLadder
        Instrument-quality ladder of the procurement-quality index.
    certificate_reliance_flag : float
        Flag ``certificate_reliance`` at or above this share of location-based Scope 2 removed by instruments.
    quality_weights : mapping
        Weight of a disclosed figure in the disclosure pillar by data quality (1 best .. 4).
    publication_lag_days : int
        Days after fiscal-year end before a year's figures count as public (``as_of`` scoring, backtests).
    """

    pillar_weights: Mapping[str, float] = field(default_factory=_equal_pillars)
    metric_weights: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: {p: dict(w) for p, w in _DEFAULT_METRIC_WEIGHTS.items()})
    normalisation: str = "percentile"
    peer_relative: bool = True
    min_peer_size: int = 5
    aggregation: str = "arithmetic"
    geometric_floor: float = 1.0
    missing_score: float = 0.0
    min_coverage: float = 0.5
    carry_forward_years: int = 2
    winsorise: bool = True
    band_edges: tuple[float, ...] = (100 / 7, 200 / 7, 300 / 7, 400 / 7, 500 / 7, 600 / 7)
    ladder: ProcurementLadder = field(default_factory=ProcurementLadder)
    certificate_reliance_flag: float = 0.5
    quality_weights: Mapping[int, float] = field(default_factory=lambda: {1: 1.0, 2: 0.9, 3: 0.7, 4: 0.5})
    publication_lag_days: int = 183

    def __post_init__(self) -> None:
        pw = dict(self.pillar_weights)
        unknown = set(pw) - set(PILLARS)
        if unknown:
            raise ConfigError(f"`pillar_weights` has unknown pillar(s) {sorted(unknown)}; pillars are {PILLARS}")
        full = {p: float(pw.get(p, 0.0)) for p in PILLARS}
        if any(not np.isfinite(v) or v < 0 for v in full.values()):
            raise ConfigError(f"`pillar_weights` must be finite and >= 0, got {pw}")
        if sum(full.values()) <= 0:
            raise ConfigError(f"`pillar_weights` must not all be zero, got {pw}")
        object.__setattr__(self, "pillar_weights", full)
        unknown_mw = set(self.metric_weights) - set(FOOTPRINT_PILLARS)
        if unknown_mw:
            raise ConfigError(f"`metric_weights` has unknown pillar(s) {sorted(unknown_mw)}; KPI pillars are "
                              f"{FOOTPRINT_PILLARS}")
        mw = {p: dict(self.metric_weights.get(p, {})) for p in FOOTPRINT_PILLARS}
        for p, weights in mw.items():
            for k, v in weights.items():
                if k not in KPI_SPECS or KPI_SPECS[k].pillar != p:
                    raise ConfigError(f"`metric_weights[{p!r}]` has {k!r}, which is not a {p} KPI "
                                      f"({[n for n, s in KPI_SPECS.items() if s.pillar == p]})")
                if not np.isfinite(v) or v < 0:
                    raise ConfigError(f"`metric_weights[{p!r}][{k!r}]` must be >= 0, got {v!r}")
            if full[p] > 0 and sum(weights.values()) <= 0:
                raise ConfigError(f"`metric_weights[{p!r}]` must have a positive weight")
        object.__setattr__(self, "metric_weights", mw)
        if self.normalisation not in ("percentile", "minmax", "zscore"):
            raise ConfigError(f"`normalisation` must be 'percentile', 'minmax' or 'zscore', got {self.normalisation!r}")
        if self.aggregation not in ("arithmetic", "geometric"):
            raise ConfigError(f"`aggregation` must be 'arithmetic' or 'geometric', got {self.aggregation!r}")
        if not 0 <= self.min_coverage <= 1:
            raise ConfigError(f"`min_coverage` must be in 0..1, got {self.min_coverage!r}")
        if not 0 <= self.missing_score <= 100:
            raise ConfigError(f"`missing_score` must be in 0..100, got {self.missing_score!r}")
        if not self.geometric_floor > 0:
            raise ConfigError(f"`geometric_floor` must be > 0, got {self.geometric_floor!r}")
        if int(self.min_peer_size) < 1:
            raise ConfigError(f"`min_peer_size` must be >= 1, got {self.min_peer_size!r}")
        if int(self.carry_forward_years) < 0:
            raise ConfigError(f"`carry_forward_years` must be >= 0, got {self.carry_forward_years!r}")
        edges = tuple(float(e) for e in self.band_edges)
        if len(edges) != len(RATINGS) - 1 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
            raise ConfigError(f"`band_edges` must be {len(RATINGS) - 1} increasing cut-offs, got {self.band_edges!r}")
        object.__setattr__(self, "band_edges", edges)

    @property
    def weights(self) -> pd.Series:
        """Pillar weights normalised to sum to 1 (Series indexed by pillar)."""
        w = pd.Series(self.pillar_weights, dtype="float64").reindex(list(PILLARS))
        return w / w.sum()

    def replace(self, **changes) -> ScoreConfig:
        """Return a copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


def parse_weights(text: str, base: ScoreConfig | None = None) -> ScoreConfig:
    """Parse ``"energy=0.3,water=0.2"`` into a config (pillars not named keep their base weight).

    Raises
    ------
    ConfigError
        Unknown pillar, malformed pair or non-numeric weight (naming the piece received).
    """
    base = base or ScoreConfig()
    weights = dict(base.pillar_weights)
    for piece in filter(None, (p.strip() for p in str(text).split(","))):
        if "=" not in piece:
            raise ConfigError(f"`--weights` pieces must look like pillar=number, got {piece!r}")
        k, v = (s.strip() for s in piece.split("=", 1))
        if k not in PILLARS:
            raise ConfigError(f"`--weights` names unknown pillar {k!r}; pillars are {', '.join(PILLARS)}")
        try:
            weights[k] = float(v)
        except ValueError:
            raise ConfigError(f"`--weights` value for {k!r} must be a number, got {v!r}") from None
    return base.replace(pillar_weights=weights)


def score_to_band(x, edges: tuple[float, ...] | None = None, labels: tuple[str, ...] = RATINGS,
                  missing: str = "NR"):
    """Map scores to letter bands (MSCI-style: equal-width by default).

    Parameters
    ----------
    x : float, array-like or Series
        Scores 0-100.
    edges : tuple of float, optional
        ``len(labels) - 1`` increasing cut-offs; a score equal to a cut-off gets the upper band.
    labels : tuple of str
        Band names from worst to best.
    missing : str
        Label for NaN.

    Returns
    -------
    str, ndarray or Series (same shape as ``x``).
    """
    edges = tuple(edges or ScoreConfig().band_edges)
    if len(edges) != len(labels) - 1:
        raise ConfigError(f"`edges` needs {len(labels) - 1} cut-offs for {len(labels)} labels, got {len(edges)}")
    arr = np.asarray(x, dtype="float64")
    idx = np.searchsorted(np.asarray(edges), arr, side="right")
    lab = np.asarray(labels, dtype=object)[np.clip(idx, 0, len(labels) - 1)]
    lab = np.where(np.isnan(arr), missing, lab)
    if isinstance(x, pd.Series):
        return pd.Series(lab, index=x.index, name=x.name, dtype=object)
    if np.ndim(x) == 0:
        return str(lab)
    return lab


# ------------------------------------------------------------------------------------------------ internals
def _coin_winsorise(v: pd.Series, max_points: int = 5) -> pd.Series:
    """JRC COIN rule: while |skew| > 2 and kurtosis > 3.5, clip the most extreme point (up to 5)."""
    v = v.copy()
    for _ in range(max_points):
        x = v.dropna()
        if len(x) < 4:
            break
        skew, kurt = x.skew(), x.kurt()
        if not (abs(skew) > 2 and kurt > 3.5):
            break
        srt = x.sort_values()
        if skew > 0:
            v[srt.index[-1]] = srt.iloc[-2]
        else:
            v[srt.index[0]] = srt.iloc[1]
    return v


def _normalise(values: pd.Series, groups: pd.Series, higher_is_better: bool,
               cfg: ScoreConfig) -> tuple[pd.Series, pd.Series]:
    """Min-max or z-score 0-100 score of one KPI (NaN where missing) and the comparison group used per company.

    Percentile normalisation (the default) is done for every KPI at once by :func:`_normalise_percentile`.
    """
    v = values.astype("float64")
    good = v if higher_is_better else -v
    has = good.notna()
    if cfg.peer_relative:
        n_peer = has.groupby(groups).transform("sum")
        use_peer = n_peer >= cfg.min_peer_size
    else:
        use_peer = pd.Series(False, index=v.index)
    group_used = groups.where(use_peer, "universe")
    def scale(x: pd.Series) -> pd.Series:
        x = _coin_winsorise(x) if cfg.winsorise else x
        if cfg.normalisation == "minmax":
            lo, hi = x.min(), x.max()
            if not np.isfinite(hi - lo) or hi == lo:
                return pd.Series(np.where(x.notna(), 50.0, np.nan), index=x.index)
            return 1 + 99 * (x - lo) / (hi - lo)  # disclosed values stay strictly above the missing score
        from scipy.stats import norm  # zscore -> normal CDF, 0..100

        mu, sd = x.mean(), x.std(ddof=0)
        if not np.isfinite(sd) or sd == 0:
            return pd.Series(np.where(x.notna(), 50.0, np.nan), index=x.index)
        return pd.Series(norm.cdf((x - mu) / sd) * 100, index=x.index).clip(lower=0.5)

    uni = scale(good)
    peer = good.groupby(groups, group_keys=False).apply(scale) if cfg.peer_relative else uni
    out = peer.reindex(v.index).where(use_peer, uni)
    return out.where(has), group_used


def _normalise_percentile(values: pd.DataFrame, groups: pd.Series, cfg: ScoreConfig
                          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`_normalise` (percentile) for every KPI column at once: same numbers, one grouping per step."""
    sign = np.array([1.0 if KPI_SPECS[c].higher_is_better else -1.0 for c in values.columns])
    good = values.astype("float64") * sign  # (exact: multiplying by -1 only flips the sign)
    has = good.notna()
    n_peer = has.groupby(groups).transform("sum")
    use_peer = (n_peer >= cfg.min_peer_size) if cfg.peer_relative else pd.DataFrame(
        False, index=values.index, columns=values.columns)
    s_uni = (good.rank(method="average") - 0.5) / has.sum() * 100
    s_peer = (good.groupby(groups).rank(method="average") - 0.5) / n_peer * 100
    out = s_peer.where(use_peer, s_uni).where(has)
    g = np.asarray(groups.to_numpy(dtype=object))[:, None]
    used = np.where(use_peer.to_numpy(dtype=bool), g, "universe")
    group_used = pd.DataFrame(used, index=values.index, columns=values.columns, dtype=object).where(has)
    return out, group_used


def aggregate(pillars: pd.DataFrame, cfg: ScoreConfig) -> pd.Series:
    """Composite (0-100) from a frame of pillar scores (rows = companies, columns = :data:`PILLARS`)."""
    w = cfg.weights
    P = pillars[list(PILLARS)].astype("float64")
    if cfg.aggregation == "arithmetic":
        return (P * w).sum(axis=1, min_count=1)
    logs = np.log(P.clip(lower=cfg.geometric_floor))
    return np.exp((logs * w).sum(axis=1, min_count=1))


def _latest_values(kpis: pd.DataFrame, ref_year: pd.Series, cfg: ScoreConfig, factorized=None
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per ticker and KPI: latest value in [ref - carry, ref] and the fiscal year it comes from."""
    cols = list(KPI_SPECS)
    # integer codes of the tickers: grouping on them is much faster than on text
    codes, uniques = factorized if factorized is not None else pd.factorize(kpis["ticker"])
    ref_u = ref_year.reindex(uniques).to_numpy(dtype="float64")
    ref = np.where(codes >= 0, ref_u[codes], np.nan) if len(uniques) else np.full(len(codes), np.nan)
    fy = kpis["fiscal_year"].to_numpy(dtype="float64")
    keep = np.flatnonzero((fy <= ref) & (fy >= ref - cfg.carry_forward_years))
    order = keep[np.lexsort((fy[keep], codes[keep]))]  # by ticker, then year; stable
    vals = kpis[cols].iloc[order]
    vals.index = pd.RangeIndex(len(order))
    present = vals.notna().to_numpy()
    years = pd.DataFrame(np.where(present, fy[order][:, None], np.nan), columns=cols)
    grp = codes[order]
    g_vals = vals.groupby(grp, sort=False).last()
    g_years = years.groupby(grp, sort=False).last()
    g_vals.index = uniques[g_vals.index.to_numpy()]
    g_years.index = g_vals.index
    return g_vals, g_years


@dataclass(frozen=True)
class _Detail:
    scores: pd.DataFrame
    values: pd.DataFrame
    years: pd.DataFrame
    kpi_scores: pd.DataFrame
    groups: pd.DataFrame
    selected: pd.DataFrame
    config: ScoreConfig


def _detail(disclosures: pd.DataFrame | None, companies: pd.DataFrame | None, config: ScoreConfig | None,
            year: int | None, as_of, kpis: pd.DataFrame | None = None) -> _Detail:
    cfg = config or ScoreConfig()
    if companies is None:
        companies = load_companies()
    if year is not None:
        try:
            year = int(year)
        except (TypeError, ValueError):
            raise ConfigError(f"`year` must be a whole year, got {year!r}") from None
    uni = companies.drop_duplicates("ticker").set_index("ticker")
    if kpis is None:
        if disclosures is None:
            from esglib.data import load_disclosures

            disclosures = load_disclosures(companies=companies)
        d = disclosures
        if as_of is not None:
            d = available_as_of(d, companies, as_of, cfg.publication_lag_days)
        selected = select_figures(d)
        kpis = compute_metrics(selected, cfg.ladder, cfg.carry_forward_years)
    else:
        selected = pd.DataFrame(columns=["ticker", "fiscal_year", "metric", "value", "data_quality"])
        missing = [c for c in ("ticker", "fiscal_year", *KPI_SPECS) if c not in kpis.columns]
        if missing:
            raise ConfigError(f"`kpis` lacks column(s) {missing}")
    tickers = uni.index
    # reference year per ticker
    # the latest year with a footprint figure: targets and revenue alone do not make a reporting year
    metric_str = selected["metric"].astype(str) if len(selected) else selected["metric"]
    non_target = (selected[~metric_str.str.startswith("target_") & (metric_str != "revenue_usd_m")]
                  if len(selected) else selected)
    factorized = None
    if len(selected):  # latest year with a disclosed footprint figure
        latest = non_target.groupby("ticker")["fiscal_year"].max()
    else:
        factorized = pd.factorize(kpis["ticker"])
        codes, uniques = factorized
        # (a missing ticker has code -1 and no group, as with groupby("ticker"))
        any_kpi = kpis[list(KPI_SPECS)].notna().any(axis=1).to_numpy() & (codes >= 0)
        fy = kpis["fiscal_year"].to_numpy()[any_kpi]
        latest = pd.Series(fy).groupby(codes[any_kpi]).max()
        latest.index = uniques[latest.index.to_numpy()]
    if year is None:
        ref = latest.reindex(tickers)
    else:
        ref = pd.Series(float(year), index=tickers)
    values, years = _latest_values(kpis, ref, cfg, factorized)
    values = values.reindex(tickers)
    years = years.reindex(tickers)
    groups = uni["peer_group"]
    if cfg.normalisation == "percentile":
        kpi_scores, group_used = _normalise_percentile(values[list(KPI_SPECS)], groups, cfg)
    else:
        kpi_scores = pd.DataFrame(index=tickers, columns=list(KPI_SPECS), dtype="float64")
        group_used = pd.DataFrame(index=tickers, columns=list(KPI_SPECS), dtype=object)
        for name, spec in KPI_SPECS.items():
            s, g = _normalise(values[name], groups, spec.higher_is_better, cfg)
            kpi_scores[name] = s
            group_used[name] = g.where(values[name].notna())
    filled = kpi_scores.fillna(cfg.missing_score)
    out = pd.DataFrame(index=tickers)
    out["company"] = uni["company"]
    out["peer_group"] = groups
    out["fiscal_year"] = ref.astype("Float64").round().astype("Int64")
    pillar_has = {}
    for p in FOOTPRINT_PILLARS:
        mw = pd.Series(cfg.metric_weights[p], dtype="float64")
        mw = mw[mw > 0]
        if mw.sum() <= 0:
            out[p] = np.nan
            pillar_has[p] = pd.Series(False, index=tickers)
            continue
        out[p] = (filled[mw.index] * mw).sum(axis=1) / mw.sum()
        pillar_has[p] = values[mw.index].notna().any(axis=1)
    # disclosure pillar: quality-weighted share of core figures disclosed within the window
    if len(selected):
        s = selected[selected["metric"].isin(CORE_DISCLOSURES)]
        r = s["ticker"].map(ref)
        s = s[(s["fiscal_year"] <= r) & (s["fiscal_year"] >= r - cfg.carry_forward_years)]
        q = s["data_quality"].map(cfg.quality_weights).fillna(min(cfg.quality_weights.values()))
        best = (pd.DataFrame({"ticker": s["ticker"], "metric": s["metric"], "q": q})
                .groupby(["ticker", "metric"])["q"].max())
        out["disclosure"] = (best.groupby(level=0).sum() / len(CORE_DISCLOSURES) * 100).reindex(tickers).fillna(0.0)
    else:  # KPIs given directly: completeness = share of KPIs present
        out["disclosure"] = values.notna().mean(axis=1) * 100
    w = cfg.weights
    foot_w = w[list(FOOTPRINT_PILLARS)]
    cov = sum(pillar_has[p].astype(float) * foot_w[p] for p in FOOTPRINT_PILLARS)
    out["coverage"] = (cov / foot_w.sum()) if foot_w.sum() > 0 else 1.0
    out["composite_indicative"] = aggregate(out, cfg)
    withheld = out["coverage"] < cfg.min_coverage - 1e-12
    out["composite"] = out["composite_indicative"].where(~withheld)
    out["rating"] = score_to_band(out["composite"], cfg.band_edges)
    out["flags"] = _flags(values, years, ref, selected, pillar_has, withheld, cfg, tickers)
    out["n_figures"] = (selected.groupby("ticker").size().reindex(tickers).fillna(0).astype(int)
                        if len(selected) else values.notna().sum(axis=1))
    out.index.name = "ticker"
    order = out["composite"].rank(ascending=False, method="min")
    out.insert(0, "rank", order.astype("Int64"))
    out = out.sort_values(["composite", "composite_indicative", "coverage"], ascending=False, na_position="last",
                          kind="stable")
    out = out[["rank", "company", "peer_group", "fiscal_year", *PILLARS, "composite", "rating", "coverage",
               "composite_indicative", "flags", "n_figures"]]
    return _Detail(out, values, years, kpi_scores, group_used, selected, cfg)


def _flags(values, years, ref, selected, pillar_has, withheld, cfg, tickers) -> pd.Series:
    masks: list[tuple[np.ndarray, str]] = []

    def add(mask: pd.Series, text: str) -> None:
        if not mask.index.equals(tickers):
            mask = mask.reindex(tickers)
        masks.append((mask.fillna(False).to_numpy(dtype=bool), text))

    add(values["certificate_reliance"] >= cfg.certificate_reliance_flag, "certificate_reliance")
    if len(selected):
        latest_sel = selected.assign(_r=selected["ticker"].map(ref))
        latest_sel = latest_sel[(latest_sel["fiscal_year"] <= latest_sel["_r"])
                                & (latest_sel["fiscal_year"] >= latest_sel["_r"] - cfg.carry_forward_years)]
        has = latest_sel.groupby(["ticker", "metric"]).size().unstack(fill_value=0).reindex(tickers, fill_value=0)

        def col(m: str) -> pd.Series:
            return has[m] > 0 if m in has.columns else pd.Series(False, index=tickers)

        instruments = (col("renewable_ppa_share_pct") | col("renewable_grid_mix_share_pct")
                       | col("renewable_unbundled_eac_share_pct") | col("onsite_renewable_mwh")
                       | col("cfe_hourly_pct"))
        claim = values["renewable_share"] >= 100 - 1e-9
        add(claim & ~instruments, "100pct_renewable_claim_without_instrument_detail")
        design = latest_sel[(latest_sel["metric"] == "pue") & (latest_sel["basis"].fillna("") == "design")]
        add(pd.Series(True, index=design["ticker"].unique()).reindex(tickers, fill_value=False)
            & values["pue"].notna(), "pue_design_value_only")
        low_q = (latest_sel[latest_sel["data_quality"] >= 3].groupby("ticker").size()
                 / latest_sel.groupby("ticker").size())
        add(low_q.reindex(tickers) > 0.5, "mostly_secondary_sources")
        restated = latest_sel[latest_sel["n_candidates"] > 1].groupby("ticker").size()
        add(restated.reindex(tickers) > 0, "figure_choice_among_editions")
    for p in FOOTPRINT_PILLARS:
        add(~pillar_has[p], f"no_{p}_disclosure")
    with np.errstate(invalid="ignore"):  # NaN reference years (no figures at all) compare as False
        stale = (years.lt(ref.to_numpy()[:, None]) & values.notna()).any(axis=1)
    add(stale, "stale_figures_carried_forward")
    add(withheld, f"composite_withheld_coverage_below_{cfg.min_coverage:g}")
    # join the flags of each ticker with "; " in the order above, without a Python loop over tickers
    text = np.full(len(tickers), "", dtype=object)
    for mask, flag in masks:
        if not mask.any():
            continue
        first = mask & (text == "")
        later = mask & ~first
        text[first] = flag
        text[later] = text[later] + ("; " + flag)
    return pd.Series(text, index=tickers, dtype=object)


# ------------------------------------------------------------------------------------------------ public API
def score(disclosures: pd.DataFrame | None = None, config: ScoreConfig | None = None, year: int | None = None, *,
          companies: pd.DataFrame | None = None, as_of=None, kpis: pd.DataFrame | None = None) -> pd.DataFrame:
    """Score every company in the universe.

    Parameters
    ----------
    disclosures : DataFrame, optional
        Validated disclosures (:func:`esglib.data.load_disclosures`); default: the bundled data. Not modified.
    config : ScoreConfig, optional
        All scoring choices (default: ``ScoreConfig()``).
    year : int, optional
        Reference fiscal year for every company. Default: each company's latest year with a KPI.
    companies : DataFrame, optional
        The universe with ``ticker, company, peer_group``; default: the bundled one. Companies without any
        disclosure stay in the result (non-disclosure is a result).
    as_of : date-like, optional
        Point-in-time scoring: use only figures public on this date (fiscal-year end +
        ``config.publication_lag_days``).
    kpis : DataFrame, optional
        Precomputed KPIs (:func:`esglib.metrics.compute_metrics` output) instead of ``disclosures``.

    Returns
    -------
    DataFrame
        One row per ticker (index ``ticker``), sorted best first: ``rank, company, peer_group, fiscal_year``,
        pillar scores ``energy, water, procurement, circularity, disclosure`` (0-100), ``composite`` (0-100, NaN
        when withheld), ``rating`` (AAA..CCC, NR when withheld), ``coverage`` (0-1),
        ``composite_indicative`` (the composite before withholding), ``flags`` ("; "-separated) and
        ``n_figures`` (canonical figures on file). ``attrs["config"]`` holds the config used.
    """
    det = _detail(disclosures, companies, config, year, as_of, kpis)
    out = det.scores.copy()
    out.attrs["config"] = det.config
    out.attrs["year"] = year
    out.attrs["as_of"] = None if as_of is None else str(pd.Timestamp(as_of).date())
    return out


def explain(ticker: str, disclosures: pd.DataFrame | None = None, config: ScoreConfig | None = None,
            year: int | None = None, *, companies: pd.DataFrame | None = None, as_of=None) -> pd.DataFrame:
    """Explain one company's composite metric by metric.

    Parameters
    ----------
    ticker : str
        A ticker of the universe.
    disclosures, config, year, companies, as_of
        As for :func:`score`.

    Returns
    -------
    DataFrame
        One row per KPI plus one for the disclosure pillar: ``pillar, metric, value, unit, fiscal_year, source,
        source_url, data_quality, compared_with, peer_percentile, metric_score, weight_in_pillar, pillar_weight,
        contribution_to_pillar, contribution`` (to the composite). ``contribution`` sums to the company's
        ``composite_indicative`` (equal to ``composite`` unless it is withheld). ``attrs`` carries the
        ``composite``, ``rating``, ``flags`` and ``withheld``.

    Raises
    ------
    ConfigError
        If ``ticker`` is not in the universe.
    """
    det = _detail(disclosures, companies, config, year, as_of)
    return _explain_one(det, ticker)


def explain_many(tickers=None, disclosures: pd.DataFrame | None = None, config: ScoreConfig | None = None,
                 year: int | None = None, *, companies: pd.DataFrame | None = None, as_of=None
                 ) -> dict[str, pd.DataFrame]:
    """:func:`explain` for many companies from one scoring pass (the scorecard's per-company sheets).

    Parameters
    ----------
    tickers : iterable of str, optional
        Tickers of the universe (default: all).
    disclosures, config, year, companies, as_of
        As for :func:`score`.

    Returns
    -------
    dict
        ``{ticker: explanation}``, each frame exactly as :func:`explain` returns it.
    """
    det = _detail(disclosures, companies, config, year, as_of)
    wanted = list(det.scores.index) if tickers is None else [str(t).upper() for t in tickers]
    return {t: _explain_one(det, t) for t in wanted}


def _explain_one(det: _Detail, ticker: str) -> pd.DataFrame:
    t = str(ticker).upper()
    if t not in det.scores.index:
        raise ConfigError(f"`ticker` {ticker!r} is not in the universe ({len(det.scores)} companies)")
    cfg = det.config
    row = det.scores.loc[t]
    w = cfg.weights
    sel = det.selected[det.selected["ticker"] == t]
    rows = []
    for p in FOOTPRINT_PILLARS:
        mw = pd.Series(cfg.metric_weights[p], dtype="float64")
        mw = mw[mw > 0] / mw[mw > 0].sum() if mw.sum() > 0 else mw
        for m, wm in mw.items():
            spec = KPI_SPECS[m]
            val = det.values.at[t, m]
            yr = det.years.at[t, m]
            srcs = sel[sel["metric"].isin(KPI_INPUTS[m])]
            if pd.notna(yr):
                srcs = srcs[srcs["fiscal_year"] == yr]
            ks = det.kpi_scores.at[t, m]
            rows.append({
                "pillar": p, "metric": m, "value": val, "unit": spec.unit,
                "fiscal_year": None if pd.isna(yr) else int(yr),
                "source": (" | ".join(dict.fromkeys(srcs["source_title"].astype(str))) if pd.notna(val)
                           else "not disclosed"),
                "source_url": " | ".join(dict.fromkeys(srcs["source_url"].astype(str))) if pd.notna(val) else "",
                "data_quality": srcs["data_quality"].max() if pd.notna(val) and len(srcs) else np.nan,
                "compared_with": det.groups.at[t, m] if pd.notna(val) else None,
                "peer_percentile": ks if pd.notna(val) else np.nan,
                "metric_score": ks if pd.notna(ks) else cfg.missing_score,
                "weight_in_pillar": wm, "pillar_weight": w[p], "formula": spec.formula,
            })
    rows.append({"pillar": "disclosure", "metric": "disclosure_completeness", "value": row["disclosure"],
                 "unit": "0-100", "fiscal_year": None if pd.isna(row["fiscal_year"]) else int(row["fiscal_year"]),
                 "source": f"{int(row['n_figures'])} cited figures on file", "source_url": "", "data_quality": np.nan,
                 "compared_with": "absolute", "peer_percentile": np.nan, "metric_score": row["disclosure"],
                 "weight_in_pillar": 1.0, "pillar_weight": w["disclosure"],
                 "formula": "100 x sum(quality weight of each core figure disclosed) / number of core figures"})
    ex = pd.DataFrame(rows)
    ex["contribution_to_pillar"] = ex["metric_score"] * ex["weight_in_pillar"]
    total = row["composite_indicative"]
    if cfg.aggregation == "arithmetic":
        ex["contribution"] = ex["contribution_to_pillar"] * ex["pillar_weight"]
    else:
        pil = ex.groupby("pillar", sort=False)["contribution_to_pillar"].transform("sum")
        logs = np.log(np.maximum(pil, cfg.geometric_floor)) * ex["pillar_weight"]
        per_pillar = logs.groupby(ex["pillar"], sort=False).first()
        denom = per_pillar.sum()
        if denom > 0:
            pillar_share = ex["pillar"].map(per_pillar / denom)
        else:
            pillar_share = ex["pillar"].map(w / w.sum())
        within = np.where(pil > 0, ex["contribution_to_pillar"] / pil.where(pil > 0, 1),
                          ex["weight_in_pillar"])
        ex["contribution"] = total * pillar_share * within
    ex.attrs.update({"ticker": t, "composite": row["composite"], "composite_indicative": total,
                     "rating": row["rating"], "flags": row["flags"], "withheld": pd.isna(row["composite"]),
                     "coverage": row["coverage"], "fiscal_year": row["fiscal_year"]})
    return ex


def sensitivity(scores: pd.DataFrame | None = None, n: int = 10_000, concentration: float = 50.0,
                config: ScoreConfig | None = None, seed: int | None = 0, quantiles: tuple[float, float] = (0.05, 0.95)
                ) -> pd.DataFrame:
    """Monte-Carlo weight sensitivity: each company's rank interval under random pillar weights.

    Weights are drawn from a Dirichlet distribution centred on the configured pillar weights
    (``alpha = concentration * w``; larger ``concentration`` = draws closer to the defaults). Fully vectorised.

    Parameters
    ----------
    scores : DataFrame, optional
        Output of :func:`score` (default: score the bundled data). Only companies with a composite are ranked.
    n : int
        Number of weight draws.
    concentration : float
        Dirichlet concentration (> 0).
    config : ScoreConfig, optional
        Centre weights and aggregation (default: ``scores.attrs["config"]`` or ``ScoreConfig()``).
    seed : int or None
        Random seed (reproducible by default).
    quantiles : (float, float)
        Lower and upper quantile of the rank interval (default 5th-95th percentile).

    Returns
    -------
    DataFrame
        Rated companies (index ``ticker``): ``rank`` (base), ``rank_low``, ``rank_median``, ``rank_high``,
        ``composite_low``, ``composite_high`` and ``rank_range`` (high - low); sorted by base rank.
    """
    if scores is None:
        scores = score(config=config)
    cfg = config or scores.attrs.get("config") or ScoreConfig()
    if int(n) < 1:
        raise ConfigError(f"`n` must be >= 1, got {n!r}")
    if not concentration > 0:
        raise ConfigError(f"`concentration` must be > 0, got {concentration!r}")
    rated = scores[scores["composite"].notna()]
    P = rated[list(PILLARS)].to_numpy(dtype="float64")
    m = len(rated)
    if m == 0:
        return pd.DataFrame(columns=["rank", "rank_low", "rank_median", "rank_high", "composite_low",
                                     "composite_high", "rank_range"])
    rng = np.random.default_rng(seed)
    w0 = cfg.weights.to_numpy()
    active = w0 > 0
    W = np.zeros((int(n), len(PILLARS)))
    W[:, active] = rng.dirichlet(concentration * w0[active] / w0[active].sum(), size=int(n))
    X = np.log(np.clip(P, cfg.geometric_floor, None)) if cfg.aggregation == "geometric" else P
    X = np.nan_to_num(X, nan=0.0)  # a pillar without KPIs (NaN) is skipped, as in `aggregate`
    lo_q, hi_q = quantiles
    geometric = cfg.aggregation == "geometric"
    ranks_lo, ranks_med, ranks_hi = _rank_quantiles(_draw_composites(W, X, geometric), (lo_q, 0.5, hi_q))
    comp_lo, comp_hi = _column_quantiles(_draw_composites(W, X, geometric, transposed=True), (lo_q, hi_q))
    base_rank = rated["composite"].rank(ascending=False, method="min").to_numpy()
    out = pd.DataFrame({"rank": base_rank.astype(int), "rank_low": ranks_lo.astype(int),
                        "rank_median": ranks_med.astype(int), "rank_high": ranks_hi.astype(int),
                        "composite_low": comp_lo, "composite_high": comp_hi}, index=rated.index)
    out["rank_range"] = out["rank_high"] - out["rank_low"]
    out.attrs.update({"n": int(n), "concentration": concentration, "quantiles": quantiles})
    return out.sort_values("rank", kind="stable")


# ------------------------------------------------------------------------------------------------ sensitivity internals
_DRAW_CHUNK = 2048
#: Most companies whose (company, rank) codes fit 32 bits: m * (m + 1) < 2**32.
_MAX_PACKED_COMPANIES = 65_535


def _draw_composites(W: np.ndarray, X: np.ndarray, geometric: bool, transposed: bool = False) -> np.ndarray:
    """Composite of every company under every weight draw, float32: draws x companies (or transposed)."""
    C = (X.astype("float32") @ W.T.astype("float32")) if transposed else (W.astype("float32") @ X.T.astype("float32"))
    if geometric:
        C = np.exp(C)
    C += np.float32(0.0)  # -0.0 -> +0.0: equal values must get equal sort keys
    return C


def _descending_keys(c: np.ndarray, out: np.ndarray) -> None:
    """Write uint32 keys whose ascending order is the descending order of the float32 values ``c``."""
    u = c.view(np.uint32)
    if c.size and c.min() >= 0:  # the usual case: non-negative floats sort like their bit patterns
        np.invert(u, out=out)
        return
    negative = (u >> np.uint32(31)).astype(bool)
    np.invert(np.where(negative, ~u, u | np.uint32(0x80000000)), out=out)


def _rank_quantiles(C: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    """Per column of ``C`` (n draws x m companies): quantiles (method "lower") of its rank over the draws.

    Rank 1 is the highest composite; equal composites share the best rank (``method="min"``, like the base rank
    of :func:`score`). Each draw is ranked by sorting packed 64-bit (value, company) keys, several times faster
    than ``argsort``; then (company, rank) codes are sorted once, which puts each company's n ranks in order.
    """
    n, m = C.shape
    ks = np.floor((n - 1) * np.asarray(qs, dtype="float64")).astype(np.intp)  # numpy's "lower" order statistic
    if m == 0:
        return [np.zeros(0, dtype=np.int64) for _ in ks]
    if m > _MAX_PACKED_COMPANIES:  # (company, rank) codes no longer fit 32 bits: plain argsort
        order = np.argsort(-C.astype("float64"), axis=1, kind="stable")
        srt = np.take_along_axis(C, order, axis=1)
        rank = np.where(np.diff(srt, axis=1, prepend=np.nan) != 0, np.arange(1, m + 1), 0)
        np.maximum.accumulate(rank, axis=1, out=rank)
        R = np.empty_like(rank)
        np.put_along_axis(R, order, rank, axis=1)
        R.sort(axis=0)
        return [R[k] for k in ks]
    stride = np.uint32(m + 1)
    base = np.arange(m, dtype=np.uint32) * stride  # company j's codes are j*(m+1) + rank
    pos = np.arange(1, m + 1, dtype=np.uint32)
    codes = np.empty((n, m), dtype=np.uint32)
    keys = np.empty((min(_DRAW_CHUNK, n), m), dtype=np.uint64)
    for s in range(0, n, _DRAW_CHUNK):
        c = C[s:s + _DRAW_CHUNK]
        k = keys[:len(c)]
        halves = k.view(np.uint32).reshape(len(c), m, 2)  # little-endian: [..., 0] low word, [..., 1] high word
        if np.little_endian:
            _descending_keys(c, halves[..., 1])
            halves[..., 0] = base
        else:  # pragma: no cover - big-endian machines
            _descending_keys(c, halves[..., 0])
            halves[..., 1] = base
        k.sort(axis=1)
        lo, hi = (halves[..., 0], halves[..., 1]) if np.little_endian else (halves[..., 1], halves[..., 0])
        out = codes[s:s + _DRAW_CHUNK]
        np.add(lo, pos, out=out)
        tie = hi[:, 1:] == hi[:, :-1]  # same composite as the company ranked just above
        rows = np.flatnonzero(tie.any(axis=1))
        if len(rows):
            rank = np.broadcast_to(pos, (len(rows), m)).copy()
            rank[:, 1:][tie[rows]] = 0
            np.maximum.accumulate(rank, axis=1, out=rank)
            out[rows] = lo[rows] + rank
    flat = codes.ravel()
    flat.sort()  # company-major: company j's n codes are flat[j*n:(j+1)*n], in rank order
    per_company = flat.reshape(m, n)
    return [(per_company[:, k] - base).astype(np.int64) for k in ks]


def _column_quantiles(CT: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    """``np.quantile(CT, q, axis=1)`` (linear method) per q, for companies x draws ``CT``, via one sort."""
    n = CT.shape[1]
    srt = np.sort(CT, axis=1)
    out = []
    for q in qs:  # numpy's linear interpolation, step by step, so that results are identical
        virtual = (n - 1) * np.float64(q)
        prev = int(np.floor(virtual))
        nxt = prev + 1
        if virtual >= n - 1:
            prev = nxt = n - 1
        elif virtual < 0:
            prev = nxt = 0
        gamma = virtual - np.float64(prev)
        a, b = srt[:, prev], srt[:, nxt]
        diff = b - a
        res = np.add(a, diff * gamma)
        if gamma >= 0.5:
            res = np.subtract(b, diff * (1 - gamma), dtype=res.dtype)
        out.append(res)
    return out
