"""Engagement questions: the one place that turns missing figures and scoring flags into questions."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from esglib.inputs import METRICS, available_as_of, publication_dates, select_figures
from esglib.scoring import CORE_DISCLOSURES, KPI_INPUTS
from esglib.vocabulary import DEFAULT_PUBLICATION_LAG_DAYS

__all__ = ["engagement_questions", "explanation_questions"]


_METRIC_LABELS = {
    "electricity_total_mwh": "total electricity consumption (MWh)",
    "pue": "fleet operational power usage effectiveness (PUE)",
    "scope1_tco2e": "Scope 1 emissions (tCO2e)",
    "scope2_market_tco2e": "market-based Scope 2 emissions (tCO2e)",
    "scope2_location_tco2e": "location-based Scope 2 emissions (tCO2e)",
    "scope3_tco2e": "Scope 3 emissions (tCO2e)",
    "renewable_share_pct": "renewable electricity share (%) with the instruments used",
    "cfe_hourly_pct": "hourly (24/7) carbon-free energy share (%)",
    "water_withdrawal_m3": "water withdrawal (m3)",
    "water_consumption_m3": "water consumption (m3)",
    "wue_l_per_kwh": "water usage effectiveness (WUE, L/kWh)",
    "water_replenishment_pct": "water replenishment (% of consumption)",
    "hardware_reuse_recycling_pct": "share of retired hardware reused or recycled (%)",
    "server_useful_life_years": "server useful life (years)",
    "ewaste_tonnes": "e-waste generated (t)",
    "revenue_usd_m": "revenue (USD m) for the same boundary",
}

_FLAG_QUESTIONS = {
    "certificate_reliance": "Most of your Scope 2 reduction comes from contractual instruments: what share of your "
                            "electricity is covered by unbundled certificates, and what is your plan to replace them "
                            "with PPAs or onsite supply on the same grid?",
    "100pct_renewable_claim_without_instrument_detail": "You report 100% renewable electricity: please break it down "
                                                        "by instrument (onsite, PPA, green tariff, unbundled "
                                                        "certificates) and report hourly carbon-free energy.",
    "pue_design_value_only": "Only a design PUE is disclosed: please publish the fleet-wide operating PUE "
                             "(ISO/IEC 30134-2) for the reporting year.",
    "mostly_secondary_sources": "Most figures we use come from secondary sources: please publish them in your own "
                                "report or data table so we can cite you directly.",
    "figure_choice_among_editions": "Figures were restated between report editions: please explain the restatements "
                                    "and the boundary of each edition.",
    "stale_figures_carried_forward": "Some figures are older than the reference year: please publish current-year "
                                     "values.",
}


def engagement_questions(tickers: Iterable[str], disclosures: pd.DataFrame, scores: pd.DataFrame,
                         companies: pd.DataFrame, as_of=None, *,
                         lag_days: int = DEFAULT_PUBLICATION_LAG_DAYS) -> pd.DataFrame:
    """Missing core disclosures per company, phrased as engagement questions.

    For each ticker the *reference year* is its score's ``fiscal_year`` (latest year with a figure); for a
    company with no figure it is the latest fiscal year public on ``as_of`` (default today). A core figure
    (:data:`esglib.scoring.CORE_DISCLOSURES`) missing for that year gives "Disclose <figure> for FY<year>"; one
    disclosed only for an earlier year gives "Update <figure> for FY<year> (latest on file: FY<earlier>)".

    Parameters
    ----------
    tickers : iterable of str
        The companies to ask (tickers of ``companies``).
    disclosures : DataFrame
        Validated disclosures (not modified).
    scores : DataFrame
        :func:`esglib.scoring.score` output (its ``fiscal_year`` is the reference year).
    companies : DataFrame
        The universe (names, fiscal-year ends).
    as_of : date-like, optional
        Use only figures public on this date.
    lag_days : int
        Publication lag for ``as_of`` (the scoring config's ``publication_lag_days``).

    Returns
    -------
    DataFrame
        Columns ``ticker, company, fiscal_year, metric, status`` (``missing``/``stale``) and ``question``.
    """
    d = disclosures
    if as_of is not None:
        d = available_as_of(d, companies, as_of, lag_days)
    sel = select_figures(d)
    sel = sel[sel["metric"].isin(CORE_DISCLOSURES)]
    have = sel.groupby(["ticker", "metric"])["fiscal_year"].max()
    today = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.today().normalize()
    rows = []
    uni = companies.drop_duplicates("ticker").set_index("ticker")
    for t in tickers:
        if t not in uni.index:
            continue
        fy = scores["fiscal_year"].get(t, pd.NA) if "fiscal_year" in scores else pd.NA
        if pd.isna(fy):
            years = np.arange(today.year - 2, today.year + 1)
            pub = publication_dates(companies, years, np.repeat(t, len(years)))
            ok = years[(pub <= today).to_numpy()]
            fy = int(ok.max()) if len(ok) else int(today.year - 2)
        fy = int(fy)
        for m in CORE_DISCLOSURES:
            last = have.get((t, m), np.nan)
            label = _METRIC_LABELS.get(m, m)
            if pd.notna(last) and int(last) >= fy:
                continue
            if pd.notna(last):
                status, q = "stale", f"Update {label} for FY{fy} (latest on file: FY{int(last)})"
            else:
                status, q = "missing", f"Disclose {label} for FY{fy}"
            rows.append({"ticker": t, "company": uni.at[t, "company"], "fiscal_year": fy, "metric": m,
                         "status": status, "question": q})
    return pd.DataFrame(rows, columns=["ticker", "company", "fiscal_year", "metric", "status", "question"])


def explanation_questions(ex: pd.DataFrame | None, flags: str) -> list[str]:
    """Engagement questions for one company from its explanation and scoring flags (the scorecard's list).

    Parameters
    ----------
    ex : DataFrame or None
        :func:`esglib.scoring.explain` output for the company (None when it has no explanation).
    flags : str
        The company's ``flags`` from :func:`esglib.scoring.score` (``;``-separated).

    Returns
    -------
    list of str
        One question per KPI without a value, then one per flag that has a standard question.
    """
    out: list[str] = []
    if ex is not None:
        fy = ex.attrs.get("fiscal_year")
        year = "the latest fiscal year" if pd.isna(fy) else f"fiscal year {int(fy)}"
        for rec in ex[ex["value"].isna() & (ex["pillar"] != "disclosure")].itertuples():
            inputs = [m for m in KPI_INPUTS.get(rec.metric, ()) if m in METRICS]
            what = "; ".join(f"{m} ({METRICS[m].unit}): {METRICS[m].description}" for m in inputs[:3])
            out.append(f"{rec.pillar} / {rec.metric} is not disclosed. Will you publish, for {year}, {what}? "
                       f"We compute it as: {rec.formula}.")
    for flag in filter(None, (f.strip() for f in str(flags or "").split(";"))):
        if flag in _FLAG_QUESTIONS:
            out.append(_FLAG_QUESTIONS[flag])
        elif flag.startswith("no_") and flag.endswith("_disclosure") and ex is None:
            out.append(f"Nothing is disclosed for the {flag[3:-11]} pillar: will you publish its core figures?")
    return out
