"""Scores: normalise KPIs within peer groups, aggregate pillars, rate and flag (METHODOLOGY s.2-4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from esglib.errors import ConfigError
from esglib.inputs import available_as_of, select_figures
from esglib.scoring._config import CORE_DISCLOSURES, FOOTPRINT_PILLARS, PILLARS, ScoreConfig, score_to_band
from esglib.scoring._metrics import KPI_SPECS, compute_metrics

__all__ = ['score', 'aggregate']


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
        raise ConfigError("`companies` is required: pass a frame (esglib.bundled.companies() gives the bundled one)")
    if year is not None:
        try:
            year = int(year)
        except (TypeError, ValueError):
            raise ConfigError(f"`year` must be a whole year, got {year!r}") from None
    uni = companies.drop_duplicates("ticker").set_index("ticker")
    if kpis is None:
        if disclosures is None:
            raise ConfigError("`disclosures` is required: pass a frame "
                              "(esglib.bundled.disclosures() gives the bundled one)")
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
#: Other scoring engines by name (``"dask"`` registers itself when :mod:`esglib.scoring` is imported).
_ENGINES: dict[str, Callable[..., pd.DataFrame]] = {}


def register_engine(name: str, fn: Callable[..., pd.DataFrame]) -> None:
    """Make ``score(..., engine=name)`` call ``fn(disclosures, config, year, companies=, as_of=, **options)``."""
    _ENGINES[name] = fn


def score(disclosures: pd.DataFrame | None = None, config: ScoreConfig | None = None, year: int | None = None, *,
          companies: pd.DataFrame | None = None, as_of=None, kpis: pd.DataFrame | None = None,
          engine: str = "pandas", **engine_options) -> pd.DataFrame:
    """Score every company in the universe.

    Parameters
    ----------
    disclosures : DataFrame, optional
        Validated disclosures (:func:`esglib.inputs.load_disclosures`); required unless ``kpis`` is given. Not
        modified.
    config : ScoreConfig, optional
        All scoring choices (default: ``ScoreConfig()``).
    year : int, optional
        Reference fiscal year for every company. Default: each company's latest year with a KPI.
    companies : DataFrame, optional
        The universe with ``ticker, company, peer_group`` (required). Companies without any
        disclosure stay in the result (non-disclosure is a result).
    as_of : date-like, optional
        Point-in-time scoring: use only figures public on this date (fiscal-year end +
        ``config.publication_lag_days``).
    kpis : DataFrame, optional
        Precomputed KPIs (:func:`esglib.scoring.compute_metrics` output) instead of ``disclosures``.
    engine : {"pandas", "dask"}
        ``"pandas"`` (default) scores in this process. ``"dask"`` spreads the work over a ``dask.distributed``
        cluster with the same result (:func:`esglib.scoring.dask_engine.score_dask`): ``disclosures`` may then
        also be a CSV path, a glob or a folder of Parquet parts, and ``engine_options`` takes ``scheduler``
        (address of a running scheduler; default: a local cluster for the call), ``client`` and ``max_rows``.

    Returns
    -------
    DataFrame
        One row per ticker (index ``ticker``), sorted best first: ``rank, company, peer_group, fiscal_year``,
        pillar scores ``energy, water, procurement, circularity, disclosure`` (0-100), ``composite`` (0-100, NaN
        when withheld), ``rating`` (AAA..CCC, NR when withheld), ``coverage`` (0-1),
        ``composite_indicative`` (the composite before withholding), ``flags`` ("; "-separated) and
        ``n_figures`` (canonical figures on file). ``attrs["config"]`` holds the config used.
    """
    if engine != "pandas":
        if engine not in _ENGINES:
            raise ConfigError(f"`engine` must be one of 'pandas', {', '.join(map(repr, _ENGINES))}, got {engine!r}")
        if kpis is not None:
            raise ConfigError(f"`kpis` is scored by the pandas engine only, not by engine={engine!r}")
        return _ENGINES[engine](disclosures, config, year, companies=companies, as_of=as_of, **engine_options)
    if engine_options:
        raise ConfigError(f"unexpected option(s) for the pandas engine: {', '.join(sorted(engine_options))}")
    det = _detail(disclosures, companies, config, year, as_of, kpis)
    out = det.scores.copy()
    out.attrs["config"] = det.config
    out.attrs["year"] = year
    out.attrs["as_of"] = None if as_of is None else str(pd.Timestamp(as_of).date())
    return out
