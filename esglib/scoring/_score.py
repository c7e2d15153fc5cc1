"""From KPIs to KPI scores, pillar scores, a composite, an esglib rating and flags (docs/methodology.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from esglib.errors import ConfigError
from esglib.inputs import data_as_of, figure_publication, publication_dates, select_figures
from esglib.scoring._args import check_frame
from esglib.scoring._config import (
    CORE_DISCLOSURES,
    DC_CORE_DISCLOSURES,
    FOOTPRINT_PILLARS,
    PILLARS,
    ScoreConfig,
    score_to_band,
)
from esglib.scoring._metrics import KPI_INPUTS, KPI_SPECS, compute_metrics

__all__ = ['score', 'aggregate', 'default_as_of', 'reference_score']

_KPIS = list(KPI_SPECS)


# ------------------------------------------------------------------------------------------------ normalisation
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


def _points_for(kpi: str, cfg: ScoreConfig) -> tuple[tuple[float, float], ...] | None:
    """Reference points of a reference-scored KPI: configured, else the bounds of a share or a flag."""
    if kpi in cfg.reference_points:
        return cfg.reference_points[kpi]
    spec = KPI_SPECS[kpi]
    top = {"%": 100.0, "flag": 1.0}.get(spec.unit)
    if top is None:
        return None
    return ((top, 100.0), (0.0, 1.0)) if spec.higher_is_better else ((0.0, 100.0), (top, 1.0))


def reference_score(values, points) -> np.ndarray:
    """Score values against reference points: linear between and beyond the points, clipped to 1..100.

    Parameters
    ----------
    values : array-like
        KPI values (NaN stays NaN).
    points : sequence of (value, score)
        At least two points with different values, e.g. PUE ``((1.0, 100), (1.58, 50))``.

    Returns
    -------
    ndarray of float, same length as ``values``.
    """
    pts = sorted((float(a), float(b)) for a, b in points)
    xs = np.array([p[0] for p in pts])
    ys = np.array([p[1] for p in pts])
    v = np.asarray(values, dtype="float64")
    out = np.interp(v, xs, ys)
    lo_slope = (ys[1] - ys[0]) / (xs[1] - xs[0])
    hi_slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    with np.errstate(invalid="ignore"):
        out = np.where(v < xs[0], ys[0] + lo_slope * (v - xs[0]), out)
        out = np.where(v > xs[-1], ys[-1] + hi_slope * (v - xs[-1]), out)
    return np.where(np.isnan(v), np.nan, np.clip(out, 1.0, 100.0))


def _peer_scale(x: pd.Series, cfg: ScoreConfig) -> pd.Series:
    """Min-max or z-score of one peer group's "good" values (higher = better) to 1..100."""
    x = _coin_winsorise(x) if cfg.winsorise else x
    if cfg.normalisation == "minmax":
        lo, hi = x.min(), x.max()
        if not np.isfinite(hi - lo) or hi == lo:
            return pd.Series(np.where(x.notna(), 50.0, np.nan), index=x.index)
        return 1 + 99 * (x - lo) / (hi - lo)
    from scipy.stats import norm  # zscore -> normal CDF, 1..100

    mu, sd = x.mean(), x.std(ddof=0)
    if not np.isfinite(sd) or sd == 0:
        return pd.Series(np.where(x.notna(), 50.0, np.nan), index=x.index)
    return pd.Series(norm.cdf((x - mu) / sd) * 100, index=x.index).clip(lower=1.0)


def _normalise(values: pd.DataFrame, groups: pd.Series, cfg: ScoreConfig
               ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """KPI scores (1..100, NaN = not disclosed or unscored), the comparison used, and the scorable mask.

    Reference KPIs are scored against their points whatever the peer set. Peer KPIs are ranked within the peer
    group (or the whole universe with ``peer_relative=False``) only where at least ``min_peer_size`` companies of
    the group disclose them; otherwise the KPI is unscored for the whole group.
    """
    tickers = values.index
    scores = pd.DataFrame(np.nan, index=tickers, columns=values.columns, dtype="float64")
    compared = pd.DataFrame(None, index=tickers, columns=values.columns, dtype=object)
    scorable = pd.DataFrame(True, index=tickers, columns=values.columns, dtype=bool)
    grp = groups if cfg.peer_relative else pd.Series("universe", index=tickers)
    peer_cols = [k for k in values.columns if KPI_SPECS[k].scored_by == "peers"]
    for k in values.columns:
        if KPI_SPECS[k].scored_by != "reference":
            continue
        pts = _points_for(k, cfg)
        if pts is None:  # a reference KPI without points and without natural bounds: unscored, said so
            scorable[k] = False
            compared[k] = "unscored: no reference points"
            continue
        scores[k] = reference_score(values[k].to_numpy(), pts)
        compared[k] = "reference points " + ", ".join(f"{a:g}->{b:g}" for a, b in sorted(pts))
    if peer_cols:
        sign = np.array([1.0 if KPI_SPECS[c].higher_is_better else -1.0 for c in peer_cols])
        good = values[peer_cols].astype("float64") * sign
        has = good.notna()
        n_peer = has.groupby(grp).transform("sum")
        enough = n_peer >= cfg.min_peer_size
        if cfg.normalisation == "percentile":
            rank = good.groupby(grp).rank(method="average")
            s = 1 + 99 * (rank - 1) / (n_peer - 1).where(n_peer > 1)
            s = s.where(n_peer > 1, 100.0)
        else:
            s = pd.DataFrame(np.nan, index=tickers, columns=peer_cols)
            for c in peer_cols:
                s[c] = good[c].groupby(grp, group_keys=False).apply(lambda x: _peer_scale(x, cfg)).reindex(tickers)
        scores[peer_cols] = s.where(enough & has)
        scorable[peer_cols] = enough
        label = np.asarray(grp.to_numpy(dtype=object), dtype=object)[:, None]
        n_arr = n_peer.to_numpy()
        text = np.where(enough.to_numpy(), np.broadcast_to(label, enough.shape).astype(object),
                        np.vectorize(lambda n: f"unscored: fewer than {cfg.min_peer_size} peers disclose ({int(n)})",
                                     otypes=[object])(n_arr) if n_arr.size else n_arr.astype(object))
        compared[peer_cols] = pd.DataFrame(text, index=tickers, columns=peer_cols)
    return scores, compared, scorable


def aggregate(pillars: pd.DataFrame, cfg: ScoreConfig) -> pd.Series:
    """Composite (0-100) from a frame of pillar scores (rows = companies, columns = :data:`PILLARS`).

    A pillar that is NaN (no scorable applicable KPI) is left out and the other pillar weights are rescaled.
    """
    w = cfg.weights
    P = pillars[list(PILLARS)].astype("float64")
    present = P.notna() & (w > 0)
    wsum = (present * w).sum(axis=1).where(lambda s: s > 0)
    if cfg.aggregation == "arithmetic":
        return (P * w).sum(axis=1, min_count=1) / wsum
    logs = np.log(P.clip(lower=cfg.geometric_floor))
    return np.exp((logs * w).sum(axis=1, min_count=1) / wsum)


# ------------------------------------------------------------------------------------------------ point in time
def default_as_of(disclosures: pd.DataFrame | None = None) -> pd.Timestamp:
    """The date scores refer to when ``as_of`` is not given: the data's as-of date.

    The bundled data's curation date (:func:`esglib.inputs.data_as_of`), or the latest ``published_on`` in
    ``disclosures`` if that is later (a user's newer, dated figures are used).
    """
    base = pd.Timestamp(data_as_of())
    if disclosures is not None and "published_on" in disclosures.columns:
        latest = pd.to_datetime(disclosures["published_on"].replace("", None), errors="coerce").max()
        if pd.notna(latest) and latest > base:
            base = pd.Timestamp(latest)
    return base


def _eligible(kpis: pd.DataFrame, companies: pd.DataFrame, cfg: ScoreConfig, year: int | None,
              as_of: pd.Timestamp | None) -> np.ndarray:
    """Rows of ``kpis`` (ticker, fiscal_year) whose fiscal year may feed a KPI (docs/methodology.md s.1)."""
    fy = kpis["fiscal_year"].to_numpy(dtype="float64")
    if year is not None:
        return (fy <= year) & (fy >= year - cfg.carry_forward_years)
    if as_of is None:  # precomputed KPIs without dates: a window below each company's latest year
        latest = kpis.groupby("ticker")["fiscal_year"].transform("max").to_numpy(dtype="float64")
        return fy >= latest - cfg.carry_forward_years
    if not len(kpis):
        return np.zeros(0, dtype=bool)
    ends = publication_dates(companies, kpis["fiscal_year"].to_numpy(), kpis["ticker"].to_numpy(), 0)
    cutoff = as_of - pd.DateOffset(years=int(cfg.carry_forward_years) + 1)
    return (ends >= cutoff).to_numpy() & (ends <= as_of).to_numpy()


def _latest_values(kpis: pd.DataFrame, eligible: np.ndarray, tickers: pd.Index
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per ticker and KPI: the value of the latest eligible fiscal year with a value, and that year."""
    k = kpis.loc[eligible]
    k = k.sort_values(["ticker", "fiscal_year"], kind="stable")
    vals = k[_KPIS].reset_index(drop=True)
    fy = k["fiscal_year"].to_numpy(dtype="float64")
    years = pd.DataFrame(np.where(vals.notna().to_numpy(), fy[:, None], np.nan), columns=_KPIS)
    grp = k["ticker"].to_numpy()
    g_vals = vals.groupby(grp, sort=False).last().reindex(tickers)
    g_years = years.groupby(grp, sort=False).last().reindex(tickers)
    return g_vals.astype("float64"), g_years.astype("float64")


def _used_figures(selected: pd.DataFrame, values: pd.DataFrame, years: pd.DataFrame) -> pd.DataFrame:
    """The selected figures behind each KPI value used: ``selected`` rows plus a ``kpi`` column."""
    if not len(selected):
        return selected.assign(kpi=pd.Series(dtype=object))
    parts = []
    for k in _KPIS:
        y = years[k].dropna()
        if not len(y):
            continue
        want = pd.DataFrame({"ticker": y.index, "fiscal_year": y.to_numpy().astype(int)})
        rows = selected[selected["metric"].isin(KPI_INPUTS[k])].merge(want, on=["ticker", "fiscal_year"])
        parts.append(rows.assign(kpi=k))
    if not parts:
        return selected.iloc[:0].assign(kpi=pd.Series(dtype=object))
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class _Detail:
    scores: pd.DataFrame
    values: pd.DataFrame
    years: pd.DataFrame
    kpi_scores: pd.DataFrame
    groups: pd.DataFrame
    selected: pd.DataFrame
    config: ScoreConfig
    status: pd.DataFrame
    used: pd.DataFrame
    effective_weights: pd.DataFrame
    as_of: pd.Timestamp | None


def _detail(disclosures: pd.DataFrame | None, companies: pd.DataFrame | None, config: ScoreConfig | None,
            year: int | None, as_of, kpis: pd.DataFrame | None = None, fx: pd.DataFrame | None = None) -> _Detail:
    cfg = config or ScoreConfig()
    if companies is None:
        raise ConfigError("`companies` is required: pass a frame (esglib.bundled.companies() gives the bundled one)")
    check_frame(companies, "companies", ("ticker",), index_ok=True)
    if disclosures is not None:
        check_frame(disclosures, "disclosures", ("ticker", "fiscal_year", "metric", "value"))
    if not isinstance(cfg, ScoreConfig):
        raise ConfigError(f"`config` must be a ScoreConfig, got {type(cfg).__name__}")
    if year is not None:
        try:
            year = int(year)
        except (TypeError, ValueError):
            raise ConfigError(f"`year` must be a whole year, got {year!r}") from None
    if as_of is not None:
        try:
            as_of = pd.Timestamp(as_of)
        except (TypeError, ValueError):
            raise ConfigError(f"`as_of` must be a date such as 2024-07-15, got {as_of!r}") from None
        if pd.isna(as_of):
            raise ConfigError(f"`as_of` must be a date such as 2024-07-15, got {as_of!r}")
    uni = companies.drop_duplicates("ticker").set_index("ticker")
    tickers = uni.index
    if kpis is None:
        if disclosures is None:
            raise ConfigError("`disclosures` is required: pass a frame (esglib.bundled.disclosures() gives the "
                              "bundled one)")
        as_of = default_as_of(disclosures) if as_of is None else as_of
        pub = figure_publication(disclosures, companies, cfg.publication_lag_days)
        usable = (pub["known_from"] <= as_of).to_numpy()
        d = disclosures.loc[usable].assign(known_from=pub["known_from"][usable],
                                           published_on_estimated=pub["published_on_estimated"][usable])
        selected = select_figures(d)
        kpis = compute_metrics(selected, cfg.ladder, fx=fx)
    else:
        selected = pd.DataFrame(columns=["ticker", "fiscal_year", "metric", "value", "data_quality", "basis",
                                         "n_candidates", "published_on_estimated"])
        missing = [c for c in ("ticker", "fiscal_year", *KPI_SPECS) if c not in kpis.columns]
        if missing:
            raise ConfigError(f"`kpis` lacks column(s) {missing}")
        if "fx_rate_missing" not in kpis.columns:
            kpis = kpis.assign(fx_rate_missing=False)
    kpis = kpis[kpis["ticker"].isin(tickers)]
    eligible = _eligible(kpis, companies, cfg, year, as_of)
    values, years = _latest_values(kpis, eligible, tickers)
    groups = uni["peer_group"]
    dc = groups.isin(cfg.dc_operator_groups).to_numpy()
    applicable = pd.DataFrame({k: dc if KPI_SPECS[k].applies_to == "dc_operators" else np.ones(len(tickers), bool)
                               for k in _KPIS}, index=tickers)
    values = values.where(applicable)
    years = years.where(applicable)
    kpi_scores, compared, scorable = _normalise(values, groups, cfg)
    kpi_scores = kpi_scores.where(applicable)
    compared = compared.where(applicable, "not applicable (not a data-centre operator)")
    disclosed = values.notna()
    # status of every (company, KPI)
    status = pd.DataFrame("missing", index=tickers, columns=_KPIS, dtype=object)
    status = status.mask(disclosed & scorable, "scored")
    status = status.mask(disclosed & ~scorable, "unscored_small_peer_set")
    status = status.mask(~disclosed & ~scorable, "unscored_missing")
    status = status.mask(~applicable, "not_applicable")
    out = pd.DataFrame(index=tickers)
    out["company"] = uni["company"]
    out["peer_group"] = groups
    newest = years.max(axis=1)
    out["fiscal_year"] = newest.astype("Float64").round().astype("Int64")
    filled = kpi_scores.where(disclosed, cfg.missing_score)
    eff_w = pd.DataFrame(0.0, index=tickers, columns=_KPIS)
    pillar_has = {}
    cov_num = pd.Series(0.0, index=tickers)
    cov_den = pd.Series(0.0, index=tickers)
    n_app = pd.Series(0, index=tickers)
    n_disc = pd.Series(0, index=tickers)
    pw = cfg.weights
    pillar_cov = pd.DataFrame(0.0, index=tickers, columns=list(FOOTPRINT_PILLARS))
    for p in FOOTPRINT_PILLARS:
        mw = pd.Series(cfg.metric_weights[p], dtype="float64")
        mw = mw[mw > 0]
        if not len(mw):
            out[p] = np.nan
            pillar_has[p] = pd.Series(False, index=tickers)
            continue
        app = applicable[mw.index]
        use = (app & scorable[mw.index]).astype(float) * mw
        wsum = use.sum(axis=1)
        eff = use.div(wsum.where(wsum > 0), axis=0).fillna(0.0)
        eff_w[mw.index] = eff
        out[p] = (filled[mw.index].fillna(0.0) * eff).sum(axis=1).where(wsum > 0)
        pillar_has[p] = (disclosed[mw.index] & app).any(axis=1)
        # coverage: applicable KPIs share the pillar's weight in proportion to their KPI weights
        app_w = app.astype(float) * mw
        app_sum = app_w.sum(axis=1)
        pillar_cov[p] = ((app_w * disclosed[mw.index]).sum(axis=1) / app_sum.where(app_sum > 0)).fillna(0.0)
        cov_num += pw[p] * (app_w * disclosed[mw.index]).sum(axis=1) / app_sum.where(app_sum > 0)
        cov_num = cov_num.fillna(0.0)
        cov_den += pw[p] * (app_sum > 0)
        n_app += app.sum(axis=1)
        n_disc += (app & disclosed[mw.index]).sum(axis=1)
    # disclosure pillar: quality-weighted share of the applicable core figures disclosed in the window
    if len(selected):
        win = selected[selected["metric"].isin(CORE_DISCLOSURES)]
        win_ok = _eligible(win.assign(ticker=win["ticker"]), companies, cfg, year, as_of) if len(win) else []
        win = win[np.asarray(win_ok, dtype=bool)] if len(win) else win
        win = win[~(win["metric"].isin(DC_CORE_DISCLOSURES) & ~win["ticker"].map(groups).isin(cfg.dc_operator_groups))]
        q = win["data_quality"].map(cfg.quality_weights).fillna(min(cfg.quality_weights.values()))
        best = pd.DataFrame({"ticker": win["ticker"], "metric": win["metric"], "q": q}).groupby(
            ["ticker", "metric"])["q"].max()
        n_core = np.where(dc, len(CORE_DISCLOSURES), len(CORE_DISCLOSURES) - len(DC_CORE_DISCLOSURES))
        got = best.groupby(level=0).sum().reindex(tickers).fillna(0.0)
        out["disclosure"] = got / n_core * 100
    else:  # KPIs given directly: completeness = share of applicable KPIs present
        out["disclosure"] = (disclosed.sum(axis=1) / applicable.sum(axis=1).where(lambda s: s > 0) * 100).fillna(0.0)
    out["coverage"] = (cov_num / cov_den.where(cov_den > 0)).fillna(0.0)
    kpi_share = (n_disc / n_app.where(n_app > 0)).fillna(0.0)
    out["composite_indicative"] = aggregate(out, cfg)
    withheld = (out["coverage"] < cfg.min_coverage - 1e-12) | (kpi_share < cfg.min_kpi_share - 1e-12)
    out["composite"] = out["composite_indicative"].where(~withheld)
    out["rating"] = score_to_band(out["composite"], cfg.band_edges)
    used = _used_figures(selected, values, years)
    out["flags"] = _flags(kpis, eligible, values, years, newest, used, status, pillar_has, withheld, cfg, tickers)
    out["n_figures"] = (selected.groupby("ticker").size().reindex(tickers).fillna(0).astype(int)
                        if len(selected) else disclosed.sum(axis=1))
    out.index.name = "ticker"
    order = out["composite"].rank(ascending=False, method="min")
    out.insert(0, "rank", order.astype("Int64"))
    out = out.sort_values(["composite", "composite_indicative", "coverage"], ascending=False, na_position="last",
                          kind="stable")
    out = out[["rank", "company", "peer_group", "fiscal_year", *PILLARS, "composite", "rating", "coverage",
               "composite_indicative", "flags", "n_figures"]]
    # per-pillar coverage and the KPI-share test, for consumers that rebuild coverage (the scorecard's live formulas)
    out.attrs["pillar_coverage"] = _SharedAttr({t: tuple(float(x) for x in row) for t, row in
                                                zip(pillar_cov.index, pillar_cov.to_numpy(), strict=True)})
    out.attrs["meets_min_kpi_share"] = _SharedAttr({t: bool(v >= cfg.min_kpi_share - 1e-12)
                                                    for t, v in kpi_share.items()})
    return _Detail(out, values, years, kpi_scores, compared, selected, cfg, status, used, eff_w, as_of)


class _SharedAttr(dict):
    """A per-company mapping kept in ``DataFrame.attrs`` and shared, not copied, by pandas operations.

    pandas deep-copies ``attrs`` on every operation that derives a frame; a mapping with one entry per company
    made each column operation on a 10,000-company score table cost a deep copy of 20,000 entries (7 s of a
    10 s ``esglib score``). Treat it as read-only.
    """

    def __deepcopy__(self, memo: dict) -> _SharedAttr:
        return self


def _flags(kpis, eligible, values, years, newest, used, status, pillar_has, withheld, cfg, tickers) -> pd.Series:
    masks: list[tuple[np.ndarray, str]] = []

    def add(mask: pd.Series, text: str) -> None:
        if not mask.index.equals(tickers):
            mask = mask.reindex(tickers)
        masks.append((mask.fillna(False).to_numpy(dtype=bool), text))

    add(values["certificate_share"] >= cfg.certificate_reliance_flag, "certificate_reliance")
    # a 100% claim without an instrument split in the claim's own fiscal year
    k = kpis.set_index(["ticker", "fiscal_year"])["instrument_quality"]
    ry = years["renewable_share"]
    keys = pd.MultiIndex.from_arrays([tickers, ry.fillna(-1).astype(int).to_numpy()])
    split_that_year = pd.Series(k.reindex(keys).notna().to_numpy() if len(k) else False, index=tickers)
    add((values["renewable_share"] >= 100 - 1e-9) & ~split_that_year,
        "100pct_renewable_claim_without_instrument_detail")
    if len(used):
        design = used[(used["kpi"] == "pue") & (used["basis"].fillna("").astype(str) == "design")]
        add(pd.Series(True, index=design["ticker"].unique()).reindex(tickers, fill_value=False),
            "pue_design_value_only")
    for p in FOOTPRINT_PILLARS:
        add(~pillar_has[p], f"no_{p}_disclosure")
    if len(used):
        figs = used.drop_duplicates(["ticker", "fiscal_year", "metric"])
        low_q = (figs["data_quality"] >= 3).groupby(figs["ticker"]).mean()
        add(low_q.reindex(tickers) > 0.5, "mostly_secondary_sources")
    with np.errstate(invalid="ignore"):
        stale = (years.lt(newest.to_numpy()[:, None]) & values.notna()).any(axis=1)
    add(stale, "stale_figures_carried_forward")
    if len(used) and "published_on_estimated" in used.columns:
        est = used["published_on_estimated"].fillna(False).astype(bool).groupby(used["ticker"]).any()
        add(est.reindex(tickers), "published_on_estimated")
    if len(used) and "n_candidates" in used.columns:
        add(used[used["n_candidates"] > 1].groupby("ticker").size().reindex(tickers) > 0,
            "figure_choice_among_editions")
    weighted = pd.Series({k: any(cfg.metric_weights[p].get(k, 0) > 0 for p in FOOTPRINT_PILLARS) for k in _KPIS})
    small = (status[weighted[weighted].index] == "unscored_small_peer_set").any(axis=1)
    add(small, "kpi_unscored_small_peer_set")
    fxm = kpis.loc[eligible & kpis["fx_rate_missing"].to_numpy(dtype=bool), "ticker"].unique()
    add(pd.Series(True, index=fxm).reindex(tickers, fill_value=False), "fx_rate_missing")
    add(withheld, f"composite_withheld_coverage_below_{cfg.min_coverage:g}")
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
          fx: pd.DataFrame | None = None, engine: str = "pandas", **engine_options) -> pd.DataFrame:
    """Score every company in the universe (rules: ``docs/methodology.md``).

    Parameters
    ----------
    disclosures : DataFrame, optional
        Validated disclosures (:func:`esglib.inputs.load_disclosures`); required unless ``kpis`` is given. Not
        modified.
    config : ScoreConfig, optional
        All scoring choices (default: ``ScoreConfig()``).
    year : int, optional
        Historical view: KPIs from fiscal years ``year - carry_forward_years .. year``. Default: per KPI, the
        latest fiscal year known on ``as_of``.
    companies : DataFrame, optional
        The universe with ``ticker, company, peer_group`` (and ``fiscal_year_end``), required. Companies without
        any disclosure stay in the result (non-disclosure is a result).
    as_of : date-like, optional
        Point in time: only figures published on or before this date (``published_on``; undated figures from
        fiscal-year end + ``config.publication_lag_days``), each KPI from a fiscal year that ended at most
        ``carry_forward_years + 1`` years before. Default: the data's as-of date (:func:`default_as_of`).
    kpis : DataFrame, optional
        Precomputed KPIs (:func:`esglib.scoring.compute_metrics` output) instead of ``disclosures``.
    fx : DataFrame, optional
        FX rates (``currency, year, usd_per_unit``: :func:`esglib.inputs.load_fx_rates`) for
        ``revenue_reported_m``; default none: reported-currency revenue stays unconverted (flagged
        ``fx_rate_missing``). ``esglib.bundled`` passes the bundled table.
    engine : {"pandas", "dask"}
        ``"pandas"`` (default) scores in this process. ``"dask"`` spreads the work over a ``dask.distributed``
        cluster with the same result (:func:`esglib.scoring.dask_engine.score_dask`): ``disclosures`` may then
        also be a CSV path, a glob or a folder of Parquet parts, and ``engine_options`` takes ``scheduler``
        (address of a running scheduler; default: a local cluster for the call), ``client`` and ``max_rows``.

    Returns
    -------
    DataFrame
        One row per ticker (index ``ticker``), sorted best first: ``rank, company, peer_group, fiscal_year``
        (newest fiscal year used), pillar scores ``energy, water, procurement, circularity, disclosure`` (0-100;
        NaN for a pillar without a scorable applicable KPI), ``composite`` (0-100, NaN when withheld), ``rating``
        (esglib rating AAA..CCC, NR when withheld), ``coverage`` (0-1, weighted KPIs), ``composite_indicative``
        (the composite before withholding), ``flags`` ("; "-separated) and ``n_figures``. ``attrs`` holds
        ``config``, ``year`` and ``as_of``.
    """
    if engine != "pandas":
        if engine not in _ENGINES:
            raise ConfigError(f"`engine` must be one of 'pandas', {', '.join(map(repr, _ENGINES))}, got {engine!r}")
        if kpis is not None:
            raise ConfigError(f"`kpis` is scored by the pandas engine only, not by engine={engine!r}")
        return _ENGINES[engine](disclosures, config, year, companies=companies, as_of=as_of, fx=fx,
                                  **engine_options)
    if engine_options:
        raise ConfigError(f"unexpected option(s) for the pandas engine: {', '.join(sorted(engine_options))}")
    det = _detail(disclosures, companies, config, year, as_of, kpis, fx)
    out = det.scores.copy()
    out.attrs["config"] = det.config
    out.attrs["year"] = year
    out.attrs["as_of"] = None if det.as_of is None else str(pd.Timestamp(det.as_of).date())
    return out
