"""The portfolio summary: weighted scores, WACI, financed emissions, coverage and flags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from esglib.errors import ConfigError
from esglib.inputs import DEFAULT_PUBLICATION_LAG_DAYS, available_as_of, select_figures
from esglib.portfolio._engagement import engagement_questions
from esglib.portfolio._holdings import CASH, holdings_weights
from esglib.scoring import PILLARS, ScoreConfig, score_to_band, wide_figures
from esglib.vocabulary import RATINGS

__all__ = ['PortfolioSummary', 'portfolio_summary', 'company_footprint', 'RATING_ORDER']


#: Ratings from worst to best; ``NR`` (not rated) is handled separately by every screen.
RATING_ORDER = RATINGS


# ------------------------------------------------------------------------------------------------ footprint
#: Readable names of the core disclosures for engagement questions.


def company_footprint(disclosures: pd.DataFrame, companies: pd.DataFrame | None = None, as_of=None,
                      lag_days: int | None = None) -> pd.DataFrame:
    """Per company, the latest carbon, electricity and water intensities from the disclosures.

    Each intensity comes from the latest fiscal year in which *all* its inputs are disclosed (numerator and
    revenue of the same year; years are never mixed).

    Parameters
    ----------
    disclosures : DataFrame
        Validated disclosures (:func:`esglib.inputs.load_disclosures`); not modified.
    companies : DataFrame, optional
        Universe (required with ``as_of``).
    as_of : date-like, optional
        Use only figures public on this date (:func:`esglib.inputs.available_as_of`).
    lag_days : int, optional
        Publication lag for ``as_of`` (default :data:`esglib.inputs.DEFAULT_PUBLICATION_LAG_DAYS`).

    Returns
    -------
    DataFrame
        Indexed by ticker: ``scope1_tco2e, scope2_market_tco2e, emissions_tco2e`` (S1 + S2 market-based),
        ``revenue_usd_m, carbon_intensity`` (tCO2e per USD m revenue), ``carbon_fy``,
        ``electricity_intensity`` (MWh per USD m), ``electricity_fy``, ``water_intensity`` (m3 per USD m;
        consumption, else withdrawal), ``water_fy``.
    """
    d = disclosures
    if as_of is not None:
        if companies is None:
            raise ConfigError("`companies` is required with `as_of` (fiscal-year ends date the figures)")
        d = available_as_of(d, companies, as_of, DEFAULT_PUBLICATION_LAG_DAYS if lag_days is None else lag_days)
    cols = ["scope1_tco2e", "scope2_market_tco2e", "emissions_tco2e", "revenue_usd_m", "carbon_intensity",
            "carbon_fy", "electricity_intensity", "electricity_fy", "water_intensity", "water_fy"]
    w = wide_figures(select_figures(d))
    if w.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="ticker"), dtype="float64")

    def col(name: str) -> pd.Series:
        return w[name].astype("float64") if name in w.columns else pd.Series(np.nan, index=w.index)

    rev = col("revenue_usd_m").where(lambda s: s > 0)
    emis = col("scope1_tco2e") + col("scope2_market_tco2e")
    water = col("water_consumption_m3").fillna(col("water_withdrawal_m3"))
    parts = {
        "carbon": pd.DataFrame({"scope1_tco2e": col("scope1_tco2e"), "scope2_market_tco2e": col("scope2_market_tco2e"),
                                "emissions_tco2e": emis, "revenue_usd_m": rev, "carbon_intensity": emis / rev}),
        "electricity": pd.DataFrame({"electricity_intensity": col("electricity_total_mwh") / rev}),
        "water": pd.DataFrame({"water_intensity": water / rev}),
    }
    out = []
    for name, frame in parts.items():
        key = {"carbon": "carbon_intensity"}.get(name, f"{name}_intensity")
        f = frame[frame[key].notna()].reset_index()
        f = f.sort_values(["ticker", "fiscal_year"]).groupby("ticker").last()
        f = f.rename(columns={"fiscal_year": f"{name}_fy"})
        out.append(f)
    res = pd.concat(out, axis=1)
    res.index.name = "ticker"
    return res.reindex(columns=cols)




# ------------------------------------------------------------------------------------------------ summary
def _nan_to_none(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _nan_to_none(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_nan_to_none(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.bool_,)):
        return bool(x)
    if isinstance(x, (float, np.floating)):
        return None if not np.isfinite(x) else float(x)
    if x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, pd.Timestamp):
        return str(x.date())
    return x


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [_nan_to_none(r) for r in df.reset_index().to_dict(orient="records")]


@dataclass(frozen=True, eq=False)
class PortfolioSummary:
    """Scores and footprint of a portfolio (output of :func:`portfolio_summary`).

    Every weighted average is taken over the holdings that have the figure and renormalised; its
    ``*_coverage`` is the share of total portfolio weight (cash included) that has it.

    Attributes
    ----------
    composite : float
        Weighted composite (0-100) over holdings with a composite; ``rating`` its esglib rating band (not MSCI ESG
        Ratings).
    pillars : dict
        Weighted pillar scores (0-100) over the same holdings as the composite.
    score_coverage : float
        Share of portfolio weight with a composite (0-1).
    waci : float
        Weighted average carbon intensity, tCO2e (Scope 1 + Scope 2 market-based) per USD m revenue (TCFD).
    waci_coverage : float
    financed_emissions : float
        tCO2e attributed to the portfolio (PCAF: value / EVIC x emissions), summed over covered holdings only;
        NaN when the portfolio value or every EVIC/market cap is unknown.
    carbon_footprint : float
        Financed emissions per USD m invested in the covered holdings (tCO2e / USD m).
    footprint_coverage : float
        Share of weight with emissions and an EVIC or market cap.
    footprint_basis : str
        Which denominator was used per holding (EVIC, market cap as a proxy, or none).
    electricity_intensity, water_intensity : float
        Weighted MWh and m3 per USD m revenue; ``*_coverage`` as above.
    flag_weights : dict
        Weight held in companies carrying each scoring flag, plus ``non_disclosure`` (any ``no_*_disclosure``
        flag or a withheld composite) and ``not_covered`` (not in the universe).
    cash_weight, not_covered_weight : float
    not_covered : tuple of str
    contributions : DataFrame
        One row per holding: weight, scores, intensities and each holding's contribution to every portfolio
        figure (the contribution columns sum to the portfolio figure).
    by_peer_group : DataFrame
        The same aggregated by peer group (plus ``cash`` and ``not_covered``).
    engagement : DataFrame
        Missing disclosures per holding as questions (:func:`engagement_questions`).
    notes : tuple of str
        Plain-words caveats (coverage, which denominator, what could not be computed).
    """

    composite: float
    rating: str
    pillars: dict[str, float]
    score_coverage: float
    waci: float
    waci_coverage: float
    financed_emissions: float
    carbon_footprint: float
    footprint_coverage: float
    footprint_basis: str
    electricity_intensity: float
    electricity_coverage: float
    water_intensity: float
    water_coverage: float
    flag_weights: dict[str, float]
    cash_weight: float
    not_covered_weight: float
    not_covered: tuple[str, ...]
    n_holdings: int
    portfolio_value: float
    contributions: pd.DataFrame = field(repr=False)
    by_peer_group: pd.DataFrame = field(repr=False)
    engagement: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()

    _UNITS = {"composite": "0-100", "waci": "tCO2e/USD m revenue", "financed_emissions": "tCO2e",
              "carbon_footprint": "tCO2e/USD m invested", "electricity_intensity": "MWh/USD m revenue",
              "water_intensity": "m3/USD m revenue"}

    def to_frame(self) -> pd.DataFrame:
        """Headline figures, one row each: ``value, unit, coverage`` (index ``figure``)."""
        rows = [("composite", self.composite, "0-100", self.score_coverage)]
        rows += [(p, v, "0-100", self.score_coverage) for p, v in self.pillars.items()]
        rows += [("waci", self.waci, self._UNITS["waci"], self.waci_coverage),
                 ("financed_emissions", self.financed_emissions, "tCO2e", self.footprint_coverage),
                 ("carbon_footprint", self.carbon_footprint, self._UNITS["carbon_footprint"], self.footprint_coverage),
                 ("electricity_intensity", self.electricity_intensity, self._UNITS["electricity_intensity"],
                  self.electricity_coverage),
                 ("water_intensity", self.water_intensity, self._UNITS["water_intensity"], self.water_coverage),
                 ("cash_weight", self.cash_weight, "share", np.nan),
                 ("not_covered_weight", self.not_covered_weight, "share", np.nan)]
        rows += [(f"weight_flagged:{k}", v, "share", np.nan) for k, v in self.flag_weights.items()]
        df = pd.DataFrame(rows, columns=["figure", "value", "unit", "coverage"]).set_index("figure")
        return df

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN -> None): headline figures, notes and the three tables as records."""
        head = {k: getattr(self, k) for k in (
            "composite", "rating", "pillars", "score_coverage", "waci", "waci_coverage", "financed_emissions",
            "carbon_footprint", "footprint_coverage", "footprint_basis", "electricity_intensity",
            "electricity_coverage", "water_intensity", "water_coverage", "flag_weights", "cash_weight",
            "not_covered_weight", "not_covered", "n_holdings", "portfolio_value")}
        head["units"] = dict(self._UNITS)
        head["notes"] = list(self.notes)
        head["contributions"] = _records(self.contributions)
        head["by_peer_group"] = _records(self.by_peer_group)
        head["engagement"] = _records(self.engagement)
        return _nan_to_none(head)


def _wavg(values: pd.Series, w: pd.Series) -> tuple[float, float, pd.Series]:
    """Weighted mean over entries with a value, the covered weight share, and per-entry contributions."""
    has = values.notna() & w.notna()
    tot = float(w.sum())
    cw = float(w[has].sum())
    if cw <= 0:
        return np.nan, (cw / tot if tot else 0.0), pd.Series(np.nan, index=values.index)
    contrib = (w * values / cw).where(has)
    return float(contrib.sum()), cw / tot if tot else 0.0, contrib


def portfolio_summary(holdings: pd.DataFrame | pd.Series | Mapping[str, float], scores: pd.DataFrame,
                      disclosures: pd.DataFrame,
                      market_caps: pd.Series | pd.DataFrame | Mapping | None = None, *,
                      evic: pd.Series | Mapping[str, float] | None = None, companies: pd.DataFrame | None = None,
                      portfolio_value: float | None = None, as_of=None, config: ScoreConfig | None = None
                      ) -> PortfolioSummary:
    """Aggregate scores and the AI footprint over a portfolio.

    Parameters
    ----------
    holdings : DataFrame, Series or mapping
        :func:`load_holdings` output, or weights by ticker (``CASH`` = cash). Weights are normalised to 1.
    scores : DataFrame
        :func:`esglib.scoring.score` output (n_companies rows, indexed by ticker), scored point in time when
        ``as_of`` is used. Its ``attrs["config"]`` is the default ``config``.
    disclosures : DataFrame
        Validated disclosures for emissions, revenue, electricity and water.
    market_caps : Series, mapping or DataFrame, optional
        Market capitalisation by ticker in **USD** (PCAF proxy for EVIC when EVIC is unknown); NaN = unknown.
        A :func:`esglib.market.market_caps` frame is accepted (its USD ``market_cap`` values are used).
    evic : Series or mapping, optional
        Enterprise value including cash by ticker in **USD** (PCAF preferred denominator).
    companies : DataFrame
        The universe (required): names, peer groups and fiscal-year ends for the engagement questions.
    portfolio_value : float, optional
        Portfolio value in USD (default: the holdings' total market value, if known). Needed only for
        absolute financed emissions; the carbon footprint is independent of it.
    as_of : date-like, optional
        Use only figures public on this date (emissions, engagement), with the config's publication lag.
    config : ScoreConfig, optional
        The scoring configuration (default: the one ``scores`` was computed with, else ``ScoreConfig()``); its
        ``publication_lag_days`` dates the figures for ``as_of``.

    Returns
    -------
    PortfolioSummary

    Notes
    -----
    WACI = sum_i w_i (S1_i + S2_i) / Rev_i with S2 market-based (TCFD), over holdings with all three figures
    in one fiscal year and renormalised. Financed emissions = sum_i (V_i / EVIC_i) x (S1_i + S2_i) (PCAF);
    market cap replaces EVIC where EVIC is unknown and the basis says so; a holding with neither is left out
    (never guessed) and the coverage drops. Carbon footprint = financed emissions / (value of the holdings
    included / 10^6). Denominators are as given (ideally at fiscal-year end per PCAF); a current market cap
    against last year's emissions is an approximation and the notes say so.
    """
    cfg = config or scores.attrs.get("config") or ScoreConfig()
    if companies is None:
        raise ConfigError("`companies` is required: the universe names the holdings and dates their figures "
                          "(esglib.bundled.companies() gives the bundled one)")
    w_raw = holdings_weights(holdings, long_only=True)
    tot = float(w_raw.sum())
    if not tot > 0:
        raise ConfigError(f"`holdings` weights must sum to a positive number, got {tot!r}")
    w = w_raw / tot
    is_cash = pd.Series(w.index == CASH, index=w.index)
    if isinstance(holdings, pd.DataFrame) and "is_cash" in holdings.columns:
        is_cash = is_cash | holdings["is_cash"].reindex(w.index).fillna(False).astype(bool)
    covered = pd.Series(w.index.isin(scores.index), index=w.index) & ~is_cash
    notes: list[str] = []

    # scores
    S = scores.reindex(w.index)
    comp = S["composite"].astype("float64").where(covered)
    composite, score_cov, c_comp = _wavg(comp, w)
    rated = comp.notna()
    pillars = {}
    contrib = pd.DataFrame(index=w.index)
    for p in PILLARS:
        val = S[p].astype("float64").where(rated)
        pillars[p], _, contrib[f"contrib_{p}"] = _wavg(val, w)
    # footprint
    fp = (company_footprint(disclosures, companies, as_of, cfg.publication_lag_days)
          .reindex(w.index).where(covered, axis=0))
    waci, waci_cov, c_waci = _wavg(fp["carbon_intensity"], w)
    elec, elec_cov, c_elec = _wavg(fp["electricity_intensity"], w)
    water, water_cov, c_water = _wavg(fp["water_intensity"], w)

    # PCAF
    def _series(x) -> pd.Series:
        if x is None:
            return pd.Series(np.nan, index=w.index, dtype="float64")
        if isinstance(x, pd.DataFrame):  # esglib.market.market_caps output: USD rows of `market_cap`
            cur = x["currency"].astype(str).str.upper() if "currency" in x.columns else "USD"
            x = x["market_cap"].where(cur.isin(["USD", ""]) if not isinstance(cur, str) else True)
        s = x if isinstance(x, pd.Series) else pd.Series(dict(x))
        s = pd.to_numeric(s, errors="coerce").astype("float64")
        s.index = [str(t).upper() for t in s.index]
        return s.reindex(w.index).where(lambda v: v > 0)

    ev, mc = _series(evic), _series(market_caps)
    denom = ev.fillna(mc)
    basis = pd.Series(np.where(ev.notna(), "EVIC", np.where(mc.notna(), "market cap", "none")), index=w.index)
    basis = basis.where(covered, "")
    emis = fp["emissions_tco2e"]
    has_fe = emis.notna() & denom.notna()
    if portfolio_value is None and isinstance(holdings, pd.DataFrame) and "market_value" in holdings.columns:
        mv = holdings["market_value"]
        if mv.notna().all() and float(mv.sum()) > 0:
            portfolio_value = float(mv.sum())
    vp = float(portfolio_value) if portfolio_value is not None else np.nan
    fe_w = float(w[has_fe].sum())
    per_usd = (emis / denom).where(has_fe)  # tCO2e per USD of enterprise value
    c_fe = w * per_usd * vp  # tCO2e financed per holding
    financed = float(c_fe.sum()) if fe_w > 0 and np.isfinite(vp) else np.nan
    footprint = float((w * per_usd).sum() / fe_w * 1e6) if fe_w > 0 else np.nan
    fp_cov = fe_w
    n_ev, n_mc = int((has_fe & ev.notna()).sum()), int((has_fe & ev.isna()).sum())
    n_none = int((covered & emis.notna() & denom.isna()).sum())
    if fe_w <= 0:
        if (ev.notna() | mc.notna()).any():
            fb = "none: no holding has both emissions and an EVIC or market cap"
        else:
            fb = ("none: no EVIC or market cap is available for any holding, so financed emissions and the carbon "
                  "footprint are not computed (never guessed)")
    else:
        fb = f"EVIC for {n_ev} holding(s), market cap as a proxy for EVIC for {n_mc}"
        if n_none:
            fb += f"; {n_none} holding(s) with emissions but no EVIC or market cap left out"
    if fe_w > 0 and not np.isfinite(vp):
        notes.append("financed emissions need the portfolio value (give market values or `portfolio_value`); "
                     "the carbon footprint per USD m invested does not")
    if n_mc:
        notes.append("market caps are current while emissions are for the latest fiscal year: an approximation of "
                     "PCAF's fiscal-year-end EVIC")

    # flags
    flags = S["flags"].where(covered).fillna("").astype(str)
    flag_sets = flags.map(lambda f: {x.strip() for x in f.split(";") if x.strip()})
    all_flags = sorted(set().union(*flag_sets.tolist())) if len(flag_sets) else []
    flag_w = {f: float(w[flag_sets.map(lambda s, f=f: f in s)].sum()) for f in all_flags
              if not f.startswith("composite_withheld")}
    nondisc = flag_sets.map(lambda s: any(x.startswith("no_") and x.endswith("_disclosure") for x in s)) | (
        covered & comp.isna())
    flag_w["non_disclosure"] = float(w[nondisc].sum())
    flag_w.setdefault("certificate_reliance", 0.0)
    cash_w = float(w[is_cash].sum())
    nc = w[~covered & ~is_cash]
    flag_w["not_covered"] = float(nc.sum())

    # contributions table
    table = pd.DataFrame({
        "company": S["company"], "peer_group": S["peer_group"].where(covered), "weight": w,
        "covered": covered, "is_cash": is_cash, "rating": S["rating"].where(covered),
        "composite": comp, **{p: S[p].astype("float64").where(covered) for p in PILLARS},
        "contrib_composite": c_comp,
    })
    if isinstance(holdings, pd.DataFrame) and "company" in holdings.columns:
        table["company"] = table["company"].fillna(holdings["company"].reindex(w.index))
    table["company"] = table["company"].where(~is_cash, "Cash")
    table = table.join(contrib)
    table["carbon_intensity"] = fp["carbon_intensity"]
    table["carbon_fy"] = fp["carbon_fy"]
    table["contrib_waci"] = c_waci
    table["electricity_intensity"] = fp["electricity_intensity"]
    table["contrib_electricity_intensity"] = c_elec
    table["water_intensity"] = fp["water_intensity"]
    table["contrib_water_intensity"] = c_water
    table["emissions_tco2e"] = emis
    table["evic_usd"] = ev
    table["market_cap_usd"] = mc
    table["footprint_basis"] = basis
    table["financed_emissions"] = c_fe
    table["flags"] = flags.where(covered)
    table.index.name = "ticker"
    table = table.sort_values("weight", ascending=False, kind="stable")

    group = table["peer_group"].astype(object).where(covered, np.where(is_cash.reindex(table.index), "cash",
                                                                        "not_covered"))
    agg_cols = ["weight", "contrib_composite", *[f"contrib_{p}" for p in PILLARS], "contrib_waci",
                "contrib_electricity_intensity", "contrib_water_intensity", "financed_emissions"]
    by_pg = table[agg_cols].groupby(group.rename("peer_group")).sum(min_count=1)
    by_pg["n_holdings"] = group.value_counts()
    by_pg["rated_weight"] = table["weight"].where(table["composite"].notna()).groupby(group).sum()
    by_pg = by_pg.sort_values("weight", ascending=False)

    engagement = engagement_questions([t for t in table.index if covered[t]], disclosures, scores, companies, as_of,
                                      lag_days=cfg.publication_lag_days)
    engagement = engagement.assign(weight=engagement["ticker"].map(w))
    engagement = engagement.sort_values(["weight", "ticker"], ascending=[False, True], kind="stable")
    engagement = engagement[["ticker", "company", "weight", "fiscal_year", "metric", "status", "question"]]
    engagement = engagement.reset_index(drop=True)

    if score_cov < 0.65:
        notes.insert(0, f"only {score_cov:.0%} of the portfolio's weight has a composite score: the portfolio score "
                        "describes that part only")
    if len(nc):
        top = nc.sort_values(ascending=False).head(20)  # a summary names the largest; the rest are counted
        more = f" and {len(nc) - len(top):,} more ({nc.sum() - top.sum():.1%} in all)" if len(nc) > len(top) else ""
        notes.append("not covered by the universe (unscored): "
                     + ", ".join(f"{t} ({v:.1%})" for t, v in top.items()) + more)
    return PortfolioSummary(
        composite=composite, rating=str(score_to_band(composite)) if np.isfinite(composite) else "NR",
        pillars=pillars, score_coverage=score_cov, waci=waci, waci_coverage=waci_cov,
        financed_emissions=financed, carbon_footprint=footprint, footprint_coverage=fp_cov, footprint_basis=fb,
        electricity_intensity=elec, electricity_coverage=elec_cov, water_intensity=water, water_coverage=water_cov,
        flag_weights=flag_w, cash_weight=cash_w, not_covered_weight=float(nc.sum()),
        not_covered=tuple(nc.index), n_holdings=int(len(w)), portfolio_value=vp, contributions=table,
        by_peer_group=by_pg, engagement=engagement, notes=tuple(notes))
