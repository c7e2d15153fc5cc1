"""Derived AI-footprint KPIs per company-year, each with its formula, unit and direction.

Input is the one-figure-per-(ticker, year, metric) frame of :func:`esglib.data.select_figures`; output is a
wide frame of KPIs. A KPI whose inputs are not disclosed is NaN: nothing is imputed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from esglib.errors import ConfigError

__all__ = ['KpiSpec', 'KPI_SPECS', 'ProcurementLadder', 'compute_metrics', 'wide_figures', 'KPI_INPUTS']


@dataclass(frozen=True)
class KpiSpec:
    """A derived KPI.

    Attributes
    ----------
    name, pillar, unit : str
    higher_is_better : bool
    formula : str
        Plain-text formula shown in explanations, the scorecard and the docs.
    """

    name: str
    pillar: str
    unit: str
    higher_is_better: bool
    formula: str


KPI_SPECS: dict[str, KpiSpec] = {s.name: s for s in [
    KpiSpec("pue", "energy", "ratio", False, "PUE as disclosed (fleet operating value preferred over design)"),
    KpiSpec("carbon_intensity", "energy", "tCO2e/USD m", False,
            "(scope1_tco2e + scope2_market_tco2e) / revenue_usd_m"),
    KpiSpec("electricity_intensity", "energy", "MWh/USD m", False, "electricity_total_mwh / revenue_usd_m"),
    KpiSpec("water_intensity", "water", "m3/USD m", False,
            "water_consumption_m3 / revenue_usd_m (water_withdrawal_m3 when consumption is not disclosed)"),
    KpiSpec("wue", "water", "L/kWh", False, "WUE as disclosed = site water (L) / IT energy (kWh)"),
    KpiSpec("water_replenishment", "water", "%", True, "water_replenishment_pct (never netted off consumption)"),
    KpiSpec("water_stress_exposure", "water", "%", False,
            "water_withdrawal_stressed_pct (WRI Aqueduct high/extremely high)"),
    KpiSpec("procurement_quality", "procurement", "0-100", True,
            "max(hourly CFE %, annual_factor x sum(instrument quality x share %)); ladder: onsite/PPA > green "
            "tariff > unbundled certificates; unknown instruments at certificate quality"),
    KpiSpec("renewable_share", "procurement", "%", True, "renewable_share_pct (annual matching claim)"),
    KpiSpec("certificate_reliance", "procurement", "ratio", False,
            "(scope2_location_tco2e - scope2_market_tco2e) / scope2_location_tco2e"),
    KpiSpec("hardware_reuse_recycling", "circularity", "%", True, "hardware_reuse_recycling_pct"),
    KpiSpec("server_life", "circularity", "years", True, "server_useful_life_years (accounting life)"),
    KpiSpec("ewaste_intensity", "circularity", "t/USD m", False, "ewaste_tonnes / revenue_usd_m"),
]}

#: KPI -> the disclosure metrics it is computed from (for explanations and sources).
KPI_INPUTS: dict[str, tuple[str, ...]] = {
    "pue": ("pue",),
    "carbon_intensity": ("scope1_tco2e", "scope2_market_tco2e", "revenue_usd_m"),
    "electricity_intensity": ("electricity_total_mwh", "revenue_usd_m"),
    "water_intensity": ("water_consumption_m3", "water_withdrawal_m3", "revenue_usd_m"),
    "wue": ("wue_l_per_kwh",),
    "water_replenishment": ("water_replenishment_pct",),
    "water_stress_exposure": ("water_withdrawal_stressed_pct",),
    "procurement_quality": ("cfe_hourly_pct", "renewable_share_pct", "renewable_ppa_share_pct",
                            "renewable_grid_mix_share_pct", "renewable_unbundled_eac_share_pct",
                            "onsite_renewable_mwh", "ppa_capacity_mw", "electricity_total_mwh"),
    "renewable_share": ("renewable_share_pct",),
    "certificate_reliance": ("scope2_location_tco2e", "scope2_market_tco2e"),
    "hardware_reuse_recycling": ("hardware_reuse_recycling_pct",),
    "server_life": ("server_useful_life_years",),
    "ewaste_intensity": ("ewaste_tonnes", "revenue_usd_m"),
}


@dataclass(frozen=True)
class ProcurementLadder:
    """Instrument-quality ladder for the procurement-quality index (RE100 types, METHODOLOGY s.2).

    Attributes
    ----------
    onsite_ppa : float
        Quality of onsite generation and PPAs (RE100 types 1-2), default 1.0.
    green_tariff : float
        Supplier contracts / green tariffs / grid renewables (type 3), default 0.6.
    unbundled_eac : float
        Unbundled certificates (type 4), default 0.25.
    unknown : float
        Renewable share whose instruments are not disclosed: scored like certificates (0.25) so that
        withholding instrument detail never beats disclosing certificates.
    unknown_with_ppa_evidence : float
        Unknown share when the company discloses contracted PPA capacity, default 0.45.
    annual_factor : float
        Penalty on annual (not hourly) matching, default 0.8; hourly CFE counts at 1.0.
    """

    onsite_ppa: float = 1.0
    green_tariff: float = 0.6
    unbundled_eac: float = 0.25
    unknown: float = 0.25
    unknown_with_ppa_evidence: float = 0.45
    annual_factor: float = 0.8

    def __post_init__(self) -> None:
        for name in ("onsite_ppa", "green_tariff", "unbundled_eac", "unknown", "unknown_with_ppa_evidence",
                     "annual_factor"):
            v = getattr(self, name)
            if not (0.0 <= float(v) <= 1.0):
                raise ConfigError(f"`ladder.{name}` must be between 0 and 1, got {v!r}")


def wide_figures(selected: pd.DataFrame) -> pd.DataFrame:
    """Pivot selected figures to one row per (ticker, fiscal_year) and one column per metric.

    Parameters
    ----------
    selected : DataFrame
        Output of :func:`esglib.inputs.select_figures` (long, one figure per key).

    Returns
    -------
    DataFrame
        Index (ticker, fiscal_year); columns: canonical metric names; values in canonical units.
    """
    if selected.empty:
        return pd.DataFrame(index=pd.MultiIndex.from_arrays([[], []], names=["ticker", "fiscal_year"]))
    return selected.pivot(index=["ticker", "fiscal_year"], columns="metric", values="value")


def _col(w: pd.DataFrame, name: str) -> pd.Series:
    if name in w.columns:
        return w[name].astype("float64")
    return pd.Series(np.nan, index=w.index, dtype="float64")


def procurement_quality(w: pd.DataFrame, ladder: ProcurementLadder | None = None) -> pd.Series:
    """Procurement-quality index (0-100) per company-year; NaN when no renewable or CFE figure is disclosed.

    ``annual = annual_factor * (q_ppa*ppa% + q_tariff*tariff% + q_eac*eac% + q_onsite*onsite% +
    q_unknown*unexplained%)`` where ``unexplained = renewable_share - explained shares``;
    ``index = max(hourly CFE %, annual)``.
    """
    ladder = ladder or ProcurementLadder()
    re = _col(w, "renewable_share_pct")
    elec = _col(w, "electricity_total_mwh")
    onsite = (_col(w, "onsite_renewable_mwh") / elec * 100).clip(upper=100)
    ppa = _col(w, "renewable_ppa_share_pct")
    tariff = _col(w, "renewable_grid_mix_share_pct")
    eac = _col(w, "renewable_unbundled_eac_share_pct")
    explained = ppa.fillna(0) + tariff.fillna(0) + eac.fillna(0) + onsite.fillna(0)
    re_total = re.where(re.notna(), explained.where(explained > 0))
    unexplained = (re_total - explained).clip(lower=0)
    q_unknown = np.where(_col(w, "ppa_capacity_mw").fillna(0) > 0, ladder.unknown_with_ppa_evidence, ladder.unknown)
    quality = (ladder.onsite_ppa * (ppa.fillna(0) + onsite.fillna(0)) + ladder.green_tariff * tariff.fillna(0)
               + ladder.unbundled_eac * eac.fillna(0) + q_unknown * unexplained.fillna(0))
    annual = (ladder.annual_factor * quality.clip(upper=100)).where(re_total.notna())
    hourly = _col(w, "cfe_hourly_pct")
    return pd.concat([annual, hourly], axis=1).max(axis=1, skipna=True).clip(0, 100)


#: Share-type inputs of the procurement-quality index that may be carried forward within a company.
_PROCUREMENT_SHARES = ("cfe_hourly_pct", "renewable_ppa_share_pct", "renewable_grid_mix_share_pct",
                       "renewable_unbundled_eac_share_pct")


def compute_metrics(selected: pd.DataFrame, ladder: ProcurementLadder | None = None,
                    carry_forward_years: int = 2) -> pd.DataFrame:
    """Compute every KPI in :data:`KPI_SPECS` per company-year.

    Parameters
    ----------
    selected : DataFrame
        One figure per (ticker, fiscal_year, metric): :func:`esglib.inputs.select_figures` output, or an
        already-wide frame indexed by (ticker, fiscal_year) with metric columns.
    ladder : ProcurementLadder, optional
        Instrument-quality ladder for ``procurement_quality``.
    carry_forward_years : int
        The instrument-split and hourly-CFE shares feeding ``procurement_quality`` are carried forward to later
        fiscal years of the same company, at most this many years (a company that reported hourly CFE last year
        and only an annual claim this year keeps its hourly figure). Ratio KPIs never mix years.

    Returns
    -------
    DataFrame
        Columns ``ticker, fiscal_year`` and one float column per KPI (units in :data:`KPI_SPECS`), one row per
        company-year with at least one figure. NaN where inputs are missing; division by a zero or missing
        revenue gives NaN.
    """
    w = selected if isinstance(selected.index, pd.MultiIndex) else wide_figures(selected)
    rev = _col(w, "revenue_usd_m").where(lambda s: s > 0)
    out = pd.DataFrame(index=w.index)
    out["pue"] = _col(w, "pue")
    out["carbon_intensity"] = (_col(w, "scope1_tco2e") + _col(w, "scope2_market_tco2e")) / rev
    out["electricity_intensity"] = _col(w, "electricity_total_mwh") / rev
    water = _col(w, "water_consumption_m3").fillna(_col(w, "water_withdrawal_m3"))
    out["water_intensity"] = water / rev
    out["wue"] = _col(w, "wue_l_per_kwh")
    out["water_replenishment"] = _col(w, "water_replenishment_pct")
    out["water_stress_exposure"] = _col(w, "water_withdrawal_stressed_pct")
    carried = w.copy()
    shares = [c for c in _PROCUREMENT_SHARES if c in carried.columns]
    if shares and carry_forward_years > 0 and len(w):
        # carry forward in fiscal years (not rows: a 2018 figure never reaches 2024 across missing years), in
        # year order whatever the row order of the input (never backwards in time)
        years = np.asarray(w.index.get_level_values(1), dtype="float64")
        codes = pd.factorize(w.index.get_level_values(0))[0]
        perm = np.lexsort((years, codes))
        inverse = np.empty_like(perm)
        inverse[perm] = np.arange(len(perm))
        yrs = pd.Series(years[perm])
        grp = codes[perm]
        for c in shares:
            v = pd.Series(carried[c].to_numpy(dtype="float64")[perm])
            src_year = yrs.where(v.notna()).groupby(grp).ffill()
            filled = v.groupby(grp).ffill().where(yrs - src_year <= int(carry_forward_years))
            carried[c] = filled.to_numpy()[inverse]
    out["procurement_quality"] = procurement_quality(carried, ladder)
    out["renewable_share"] = _col(w, "renewable_share_pct")
    lb = _col(w, "scope2_location_tco2e").where(lambda s: s > 0)
    out["certificate_reliance"] = (lb - _col(w, "scope2_market_tco2e")) / lb
    out["hardware_reuse_recycling"] = _col(w, "hardware_reuse_recycling_pct")
    out["server_life"] = _col(w, "server_useful_life_years")
    out["ewaste_intensity"] = _col(w, "ewaste_tonnes") / rev
    out = out.replace([np.inf, -np.inf], np.nan)
    return out.reset_index()
