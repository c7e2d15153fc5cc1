"""Explanations: one company's composite metric by metric, from the same pass as the scores."""

from __future__ import annotations

import numpy as np
import pandas as pd

from esglib.errors import ConfigError
from esglib.scoring._config import FOOTPRINT_PILLARS, ScoreConfig
from esglib.scoring._metrics import KPI_SPECS
from esglib.scoring._score import _Detail, _detail

__all__ = ['explain', 'explain_many']


def explain(ticker: str, disclosures: pd.DataFrame | None = None, config: ScoreConfig | None = None,
            year: int | None = None, *, companies: pd.DataFrame | None = None, as_of=None,
            fx: pd.DataFrame | None = None) -> pd.DataFrame:
    """Explain one company's composite metric by metric.

    Parameters
    ----------
    ticker : str
        A ticker of the universe.
    disclosures, config, year, companies, as_of, fx
        As for :func:`score`.

    Returns
    -------
    DataFrame
        One row per KPI (scored and shown-only; weight 0 = shown, not scored) plus one for the disclosure pillar:
        ``pillar, metric, value, unit, fiscal_year, source, source_url, published_on`` (publication date of the
        figures used; "(estimated)" where the conservative default applied), ``retrieved_from, data_quality,
        compared_with`` (peer group, reference points, or why unscored), ``scored_by, status`` (scored, missing,
        unscored_small_peer_set, unscored_missing, not_applicable), ``peer_percentile, metric_score`` (NaN when
        unscored or not applicable), ``weight_in_pillar`` (as used), ``pillar_weight`` (as used), ``formula,
        contribution_to_pillar, contribution`` (to the composite). ``contribution`` sums to the company's
        ``composite_indicative`` (equal to ``composite`` unless it is withheld). ``attrs`` carries the
        ``composite``, ``rating``, ``flags`` and ``withheld``.

    Raises
    ------
    ConfigError
        If ``ticker`` is not in the universe.
    """
    det = _detail(disclosures, companies, config, year, as_of, fx=fx)
    return _explain_one(det, ticker)


def explain_many(tickers=None, disclosures: pd.DataFrame | None = None, config: ScoreConfig | None = None,
                 year: int | None = None, *, companies: pd.DataFrame | None = None, as_of=None,
                 fx: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """:func:`explain` for many companies from one scoring pass (the scorecard's per-company sheets).

    Parameters
    ----------
    tickers : iterable of str, optional
        Tickers of the universe (default: all).
    disclosures, config, year, companies, as_of, fx
        As for :func:`score`.

    Returns
    -------
    dict
        ``{ticker: explanation}``, each frame exactly as :func:`explain` returns it.
    """
    det = _detail(disclosures, companies, config, year, as_of, fx=fx)
    wanted = list(det.scores.index) if tickers is None else [str(t).upper() for t in tickers]
    return {t: _explain_one(det, t) for t in wanted}


def did_you_mean(name: str, choices) -> str:
    """`` (did you mean 'GOOGL'?)`` for the nearest of ``choices`` (prefix or spelling), else ``""``."""
    import difflib

    options = [str(c) for c in choices]
    up = str(name).upper()
    close = [c for c in options if c.upper().startswith(up) or up.startswith(c.upper())]
    close = close or difflib.get_close_matches(up, options, n=2, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(c) for c in close[:2])}?)" if close else ""


def _join(series: pd.Series) -> str:
    vals = [str(v) for v in series if pd.notna(v) and str(v) not in ("", "NaT", "nan")]
    return " | ".join(dict.fromkeys(vals))


def _explain_one(det: _Detail, ticker: str) -> pd.DataFrame:
    t = str(ticker).upper()
    if t not in det.scores.index:
        raise ConfigError(f"`ticker` {ticker!r} is not in the universe ({len(det.scores)} companies)"
                          f"{did_you_mean(t, det.scores.index)}")
    cfg = det.config
    row = det.scores.loc[t]
    w = cfg.weights
    # pillar weights as used: pillars without a scorable KPI (NaN) are left out and the others rescaled
    present = pd.Series({p: pd.notna(row[p]) and w[p] > 0 for p in w.index})
    pw = (w * present) / (w * present).sum() if (w * present).sum() > 0 else w
    used = det.used[det.used["ticker"] == t] if len(det.used) else det.used
    rows = []
    for p in FOOTPRINT_PILLARS:
        for m, spec in KPI_SPECS.items():
            if spec.pillar != p:
                continue
            val = det.values.at[t, m]
            yr = det.years.at[t, m]
            status = det.status.at[t, m]
            srcs = used[used["kpi"] == m] if len(used) else used
            ks = det.kpi_scores.at[t, m]
            disclosed = pd.notna(val)
            if status == "scored" or status == "missing":
                metric_score = ks if pd.notna(ks) else cfg.missing_score
            else:
                metric_score = np.nan
            pub = ""
            if disclosed and len(srcs) and "published_on" in srcs.columns:
                given = pd.to_datetime(srcs["published_on"], errors="coerce")
                est = srcs["known_from"] if "known_from" in srcs.columns else pd.Series(pd.NaT, index=srcs.index)
                pub = _join(pd.Series([
                    f"{g.date()}" if pd.notna(g) else (f"{e.date()} (estimated)" if pd.notna(e) else "")
                    for g, e in zip(given, est, strict=True)]))
            rows.append({
                "pillar": p, "metric": m, "value": val, "unit": spec.unit,
                "fiscal_year": None if pd.isna(yr) else int(yr),
                "source": _join(srcs["source_title"]) if disclosed and len(srcs) else (
                    "" if disclosed else ("not applicable" if status == "not_applicable" else "not disclosed")),
                "source_url": _join(srcs["source_url"]) if disclosed and len(srcs) else "",
                "published_on": pub,
                "retrieved_from": _join(srcs["retrieved_from"]) if disclosed and len(srcs)
                and "retrieved_from" in srcs.columns else "",
                "data_quality": srcs["data_quality"].max() if disclosed and len(srcs) else np.nan,
                "compared_with": det.groups.at[t, m] if (disclosed or status != "missing") else det.groups.at[t, m],
                "scored_by": spec.scored_by, "status": status,
                "peer_percentile": ks if disclosed and spec.scored_by == "peers" else np.nan,
                "metric_score": metric_score,
                "weight_in_pillar": float(det.effective_weights.at[t, m]), "pillar_weight": pw[p],
                "formula": spec.formula,
            })
    rows.append({"pillar": "disclosure", "metric": "disclosure_completeness", "value": row["disclosure"],
                 "unit": "0-100", "fiscal_year": None if pd.isna(row["fiscal_year"]) else int(row["fiscal_year"]),
                 "source": f"{int(row['n_figures'])} cited figures on file", "source_url": "", "published_on": "",
                 "retrieved_from": "", "data_quality": np.nan, "compared_with": "absolute", "scored_by": "absolute",
                 "status": "scored", "peer_percentile": np.nan, "metric_score": row["disclosure"],
                 "weight_in_pillar": 1.0, "pillar_weight": pw["disclosure"],
                 "formula": "100 x sum(quality weight of each applicable core figure disclosed) / number of "
                            "applicable core figures"})
    ex = pd.DataFrame(rows)
    ex["contribution_to_pillar"] = ex["metric_score"].fillna(0.0) * ex["weight_in_pillar"]
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
            pillar_share = ex["pillar"].map(pw / pw.sum())
        within = np.where(pil > 0, ex["contribution_to_pillar"] / pil.where(pil > 0, 1),
                          ex["weight_in_pillar"])
        ex["contribution"] = (total if pd.notna(total) else 0.0) * pillar_share * within
    ex.attrs.update({"ticker": t, "composite": row["composite"], "composite_indicative": total,
                     "rating": row["rating"], "flags": row["flags"], "withheld": pd.isna(row["composite"]),
                     "coverage": row["coverage"], "fiscal_year": row["fiscal_year"],
                     "as_of": None if det.as_of is None else str(pd.Timestamp(det.as_of).date())})
    return ex
