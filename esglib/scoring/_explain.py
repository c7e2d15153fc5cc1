"""Explanations: one company's composite metric by metric, from the same pass as the scores."""

from __future__ import annotations

import numpy as np
import pandas as pd

from esglib.errors import ConfigError
from esglib.scoring._config import FOOTPRINT_PILLARS, ScoreConfig
from esglib.scoring._metrics import KPI_INPUTS, KPI_SPECS
from esglib.scoring._score import _Detail, _detail

__all__ = ['explain', 'explain_many']


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
