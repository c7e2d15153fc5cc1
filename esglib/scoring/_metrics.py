"""Derived AI-footprint KPIs per company-year, each with its formula, unit, direction and scoring rule.

The KPI table is ``docs/methodology.md`` section 2; this module is its executable form. Input is the
one-figure-per-(ticker, year, metric) frame of :func:`esglib.inputs.select_figures`; a KPI whose inputs are not
disclosed is NaN: nothing is imputed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from esglib.errors import ConfigError

__all__ = ['KpiSpec', 'KPI_SPECS', 'SCORED_KPIS', 'SHOWN_KPIS', 'ProcurementLadder', 'compute_metrics',
           'wide_figures', 'KPI_INPUTS', 'instrument_shares', 'revenue_usd']


@dataclass(frozen=True)
class KpiSpec:
    """A derived KPI.

    Attributes
    ----------
    name, pillar, unit : str
    higher_is_better : bool
    formula : str
        Plain-text formula shown in explanations, the scorecard and the docs.
    applies_to : {"all", "dc_operators"}
        ``"dc_operators"``: only companies in ``ScoreConfig.dc_operator_groups`` (PUE, WUE, cooling, server life
        describe data-centre fleets); for the others the KPI is neither scored nor counted as missing.
    scored_by : {"peers", "reference"}
        ``"peers"``: percentile (or min-max / z-score) within the peer group, only with at least
        ``min_peer_size`` disclosers; ``"reference"``: fixed, cited reference points (``data/reference_points.csv``).
    shown_only : bool
        Shown in explanations and the scorecard, weight 0 unless configured (docs/methodology.md s.2).
    """

    name: str
    pillar: str
    unit: str
    higher_is_better: bool
    formula: str
    applies_to: str = "all"
    scored_by: str = "peers"
    shown_only: bool = False


def _k(name, pillar, unit, hib, formula, applies_to="all", scored_by="peers", shown_only=False):
    return KpiSpec(name, pillar, unit, hib, formula, applies_to, scored_by, shown_only)


KPI_SPECS: dict[str, KpiSpec] = {s.name: s for s in [
    # energy
    _k("carbon_intensity", "energy", "tCO2e/USD m", False, "(scope1_tco2e + scope2_market_tco2e) / revenue in USD m"),
    _k("electricity_intensity", "energy", "MWh/USD m", False, "electricity_total_mwh / revenue in USD m"),
    _k("scope3_intensity", "energy", "tCO2e/USD m", False, "scope3_tco2e / revenue in USD m"),
    _k("pue", "energy", "ratio", False, "fleet PUE as disclosed (operating value preferred; design values flagged)",
       "dc_operators", "reference"),
    # water
    _k("water_intensity", "water", "m3/USD m", False,
       "water_consumption_m3 / revenue in USD m (consumption only: withdrawal never substitutes)"),
    _k("water_withdrawal_intensity", "water", "m3/USD m", False, "water_withdrawal_m3 / revenue in USD m"),
    _k("wue", "water", "L/kWh", False, "WUE as disclosed = site water (L) / IT energy (kWh)", "dc_operators",
       "reference"),
    _k("water_stress_exposure", "water", "%", False,
       "water_withdrawal_stressed_pct (share of withdrawal in WRI Aqueduct high / extremely-high stress basins)",
       scored_by="reference"),
    _k("water_replenishment", "water", "%", True,
       "water_replenishment_pct, else 100 x water_replenished_m3 / water_consumption_m3 (capped at 100 for scoring; "
       "never netted off consumption)", scored_by="reference"),
    _k("water_reuse", "water", "%", True,
       "water_reuse_pct, else 100 x water_recycled_m3 / (water_recycled_m3 + water_withdrawal_m3)",
       scored_by="reference"),
    _k("cooling_liquid_closed_loop", "water", "%", True, "cooling_liquid_closed_loop_pct (share of capacity)",
       "dc_operators", "reference"),
    # procurement
    _k("renewable_share", "procurement", "%", True, "renewable_share_pct (annual matching claim)",
       scored_by="reference"),
    _k("instrument_quality", "procurement", "%", True,
       "sum(ladder quality x share of electricity) over onsite+PPA, green tariff, unbundled certificates and the "
       "renewable share whose instrument is not disclosed; only where the instrument split is disclosed",
       scored_by="reference"),
    _k("cfe_hourly", "procurement", "%", True, "cfe_hourly_pct (hourly carbon-free energy, grid CFE included)",
       scored_by="reference"),
    _k("supplier_clean_energy", "procurement", "flag", True, "supplier_clean_energy_program (1 = yes, 0 = no)",
       scored_by="reference"),
    _k("contractual_instruments_effect", "procurement", "%", True,
       "100 x (scope2_location_tco2e - scope2_market_tco2e) / scope2_location_tco2e (every contractual instrument: "
       "PPAs, tariffs, certificates, residual mix)", scored_by="reference", shown_only=True),
    _k("certificate_share", "procurement", "%", False,
       "unbundled-certificate MWh (or share) / electricity, only where the instrument split is disclosed",
       scored_by="reference", shown_only=True),
    _k("green_bonds", "procurement", "USD m", True, "green_bond_issued_usd_m (cumulative principal issued)",
       shown_only=True),
    _k("supplier_re_commitment", "procurement", "%", True, "supplier_re_commitment_pct (share of suppliers by spend)",
       scored_by="reference", shown_only=True),
    # circularity
    _k("hardware_reuse_recycling", "circularity", "%", True, "hardware_reuse_recycling_pct", scored_by="reference"),
    _k("hardware_takeback_intensity", "circularity", "t/USD m", True,
       "hardware_takeback_tonnes / revenue in USD m (hardware taken back and processed)"),
    _k("ewaste_intensity", "circularity", "t/USD m", False, "ewaste_tonnes (generated) / revenue in USD m"),
    _k("server_life", "circularity", "years", True, "server_useful_life_years (accounting life, 10-K)",
       "dc_operators"),
]}

#: KPIs scored by default (positive default weight) and shown-only KPIs (weight 0 unless configured).
SCORED_KPIS: tuple[str, ...] = tuple(k for k, s in KPI_SPECS.items() if not s.shown_only)
SHOWN_KPIS: tuple[str, ...] = tuple(k for k, s in KPI_SPECS.items() if s.shown_only)

_REVENUE = ("revenue_usd_m", "revenue_reported_m")
_SPLIT = ("renewable_ppa_share_pct", "renewable_grid_mix_share_pct", "renewable_unbundled_eac_share_pct",
          "renewable_ppa_mwh", "renewable_green_tariff_mwh", "renewable_unbundled_eac_mwh")

#: KPI -> the disclosure metrics it is computed from (for explanations, sources and publication dates).
KPI_INPUTS: dict[str, tuple[str, ...]] = {
    "carbon_intensity": ("scope1_tco2e", "scope2_market_tco2e", *_REVENUE),
    "electricity_intensity": ("electricity_total_mwh", *_REVENUE),
    "scope3_intensity": ("scope3_tco2e", *_REVENUE),
    "pue": ("pue",),
    "water_intensity": ("water_consumption_m3", *_REVENUE),
    "water_withdrawal_intensity": ("water_withdrawal_m3", *_REVENUE),
    "wue": ("wue_l_per_kwh",),
    "water_stress_exposure": ("water_withdrawal_stressed_pct",),
    "water_replenishment": ("water_replenishment_pct", "water_replenished_m3", "water_consumption_m3"),
    "water_reuse": ("water_reuse_pct", "water_recycled_m3", "water_withdrawal_m3"),
    "cooling_liquid_closed_loop": ("cooling_liquid_closed_loop_pct",),
    "renewable_share": ("renewable_share_pct",),
    "instrument_quality": ("renewable_share_pct", *_SPLIT, "onsite_renewable_mwh", "electricity_total_mwh"),
    "cfe_hourly": ("cfe_hourly_pct",),
    "supplier_clean_energy": ("supplier_clean_energy_program",),
    "contractual_instruments_effect": ("scope2_location_tco2e", "scope2_market_tco2e"),
    "certificate_share": (*_SPLIT, "electricity_total_mwh"),
    "green_bonds": ("green_bond_issued_usd_m", "green_bond_allocated_usd_m"),
    "supplier_re_commitment": ("supplier_re_commitment_pct",),
    "hardware_reuse_recycling": ("hardware_reuse_recycling_pct",),
    "hardware_takeback_intensity": ("hardware_takeback_tonnes", *_REVENUE),
    "ewaste_intensity": ("ewaste_tonnes", *_REVENUE),
    "server_life": ("server_useful_life_years",),
}


@dataclass(frozen=True)
class ProcurementLadder:
    """Instrument-quality ladder of ``instrument_quality`` (docs/methodology.md s.2, "the instrument ladder").

    ``instrument_quality = sum_i q_i x share_i`` over the shares of electricity covered by each instrument. The
    ladder measures contractual instruments only; hourly CFE is a separate KPI (``cfe_hourly``), never combined
    with it by a maximum.

    Attributes
    ----------
    onsite_ppa : float
        Onsite generation and PPAs, physical or virtual (RE100 procurement types 1-2), default 1.0. Rationale: the
        buyer's contract brings specific generation; RE100 exempts these from its 15-year commissioning limit.
    green_tariff : float
        Green tariffs and supplier renewable products (RE100 type 3), default 0.6. Rationale: a supplier contract,
        often for existing generation, so a weaker link to new supply.
    unbundled_eac : float
        Unbundled certificates: RECs, GOs, I-RECs (RE100 type 4), default 0.25. Rationale: they meet the GHG Protocol
        Scope 2 Quality Criteria for the attribute claim but are the weakest signal of new clean supply (the
        EnergyTag and Scope 2 revision debate centres on them).
    unknown : float
        Renewable share whose instrument is not disclosed, default 0.25. Rationale: never better than certificates,
        so withholding the split cannot beat disclosing it.
    """

    onsite_ppa: float = 1.0
    green_tariff: float = 0.6
    unbundled_eac: float = 0.25
    unknown: float = 0.25

    def __post_init__(self) -> None:
        for name in ("onsite_ppa", "green_tariff", "unbundled_eac", "unknown"):
            v = getattr(self, name)
            if not (0.0 <= float(v) <= 1.0):
                raise ConfigError(f"`ladder.{name}` must be between 0 and 1, got {v!r}")
        if float(self.unknown) > float(self.unbundled_eac):
            raise ConfigError(f"`ladder.unknown` ({self.unknown!r}) must not exceed `ladder.unbundled_eac` "
                              f"({self.unbundled_eac!r}): withholding the split must never beat disclosing it")


def wide_figures(selected: pd.DataFrame) -> pd.DataFrame:
    """Pivot selected figures to one row per (ticker, fiscal_year) and one column per metric.

    Parameters
    ----------
    selected : DataFrame
        Output of :func:`esglib.inputs.select_figures` (long, one figure per key).

    Returns
    -------
    DataFrame
        Index (ticker, fiscal_year); columns: canonical metric names; values in canonical units. Where
        ``revenue_reported_m`` is present, a text column ``revenue_currency`` holds its ISO code.
    """
    if selected.empty:
        return pd.DataFrame(index=pd.MultiIndex.from_arrays([[], []], names=["ticker", "fiscal_year"]))
    w = selected.pivot(index=["ticker", "fiscal_year"], columns="metric", values="value")
    w.columns.name = None
    rep = selected[selected["metric"] == "revenue_reported_m"]
    if len(rep) and "unit" in rep.columns:
        cur = rep.set_index(["ticker", "fiscal_year"])["unit"].astype(str).str.split().str[0].str.upper()
        w["revenue_currency"] = cur.reindex(w.index)
    return w


def _col(w: pd.DataFrame, name: str) -> pd.Series:
    if name in w.columns:
        return pd.to_numeric(w[name], errors="coerce").astype("float64")
    return pd.Series(np.nan, index=w.index, dtype="float64")


def revenue_usd(w: pd.DataFrame, fx: pd.DataFrame | None = None) -> tuple[pd.Series, pd.Series]:
    """Revenue in USD millions per company-year, and where a reported-currency revenue lacked an FX rate.

    ``revenue_usd_m`` is used as disclosed. Otherwise ``revenue_reported_m`` (in ``revenue_currency``) is converted
    with the rate of that fiscal year from ``fx`` (``currency, year, usd_per_unit``: ``data/fx_rates.csv``). No rate
    is ever assumed: a missing rate leaves the revenue NaN and is reported in the second series.

    Parameters
    ----------
    w : DataFrame
        Wide figures (:func:`wide_figures`), index (ticker, fiscal_year).
    fx : DataFrame, optional
        Annual-average FX rates; None = no rates (reported-currency revenue stays unconverted).

    Returns
    -------
    (Series, Series)
        Revenue in USD m (NaN where unknown or not positive) and a boolean ``fx_rate_missing`` series.
    """
    usd = _col(w, "revenue_usd_m")
    rep = _col(w, "revenue_reported_m")
    need = usd.isna() & rep.notna()
    rate = pd.Series(np.nan, index=w.index, dtype="float64")
    if need.any() and "revenue_currency" in w.columns:
        cur = w["revenue_currency"].astype(str).str.upper()
        years = pd.Series(w.index.get_level_values(1), index=w.index).astype(int)
        rate[cur == "USD"] = 1.0
        if fx is not None and len(fx):
            f = fx.assign(currency=fx["currency"].astype(str).str.upper(), year=fx["year"].astype(int))
            table = f.drop_duplicates(["currency", "year"], keep="last").set_index(["currency", "year"])["usd_per_unit"]
            keys = pd.MultiIndex.from_arrays([cur.to_numpy(), years.to_numpy()])
            looked = pd.Series(table.reindex(keys).to_numpy(dtype="float64"), index=w.index)
            rate = rate.fillna(looked)
    converted = rep * rate
    out = usd.where(usd.notna(), converted).where(lambda s: s > 0)
    missing = need & rate.isna()
    return out, missing


def instrument_shares(w: pd.DataFrame) -> pd.DataFrame:
    """Shares of electricity (%) covered by each procurement instrument, and whether the split is disclosed.

    Returns
    -------
    DataFrame
        Aligned with ``w``: ``onsite_ppa, green_tariff, unbundled_eac`` (% of electricity; a disclosed share is
        used, else MWh / electricity), ``unknown`` (renewable share not explained by them), ``split_disclosed``
        (bool: a PPA, tariff or certificate share or MWh is disclosed; onsite MWh alone is not a split).
    """
    elec = _col(w, "electricity_total_mwh").where(lambda s: s > 0)

    def share(pct: str, mwh: str) -> pd.Series:
        return _col(w, pct).where(_col(w, pct).notna(), _col(w, mwh) / elec * 100).clip(upper=100)

    ppa = share("renewable_ppa_share_pct", "renewable_ppa_mwh")
    tariff = share("renewable_grid_mix_share_pct", "renewable_green_tariff_mwh")
    eac = share("renewable_unbundled_eac_share_pct", "renewable_unbundled_eac_mwh")
    onsite = (_col(w, "onsite_renewable_mwh") / elec * 100).clip(upper=100)
    split = ppa.notna() | tariff.notna() | eac.notna()
    onsite_ppa = (ppa.fillna(0) + onsite.fillna(0)).clip(upper=100)
    explained = onsite_ppa + tariff.fillna(0) + eac.fillna(0)
    unknown = (_col(w, "renewable_share_pct") - explained).clip(lower=0).fillna(0)
    return pd.DataFrame({"onsite_ppa": onsite_ppa, "green_tariff": tariff.fillna(0), "unbundled_eac": eac,
                         "unknown": unknown, "split_disclosed": split})


def compute_metrics(selected: pd.DataFrame, ladder: ProcurementLadder | None = None,
                    carry_forward_years: int | None = None, *, fx: pd.DataFrame | None = None) -> pd.DataFrame:
    """Compute every KPI in :data:`KPI_SPECS` per company-year (a pure function of its inputs).

    Parameters
    ----------
    selected : DataFrame
        One figure per (ticker, fiscal_year, metric): :func:`esglib.inputs.select_figures` output, or an
        already-wide frame indexed by (ticker, fiscal_year) with metric columns.
    ladder : ProcurementLadder, optional
        Instrument-quality ladder for ``instrument_quality``.
    carry_forward_years : int, optional
        Ignored (kept for backward compatibility): since methodology v2 each KPI is carried forward on its own by
        the scoring step, and ratios never mix fiscal years.
    fx : DataFrame, optional
        Annual-average FX rates (``currency, year, usd_per_unit``; :func:`esglib.inputs.load_fx_rates`) converting
        ``revenue_reported_m`` to USD; without a rate the intensities of that company-year stay NaN.

    Returns
    -------
    DataFrame
        Columns ``ticker, fiscal_year``, one float column per KPI (units in :data:`KPI_SPECS`) and the boolean
        ``fx_rate_missing``; one row per company-year with at least one figure. NaN where inputs are missing;
        division by a zero or missing revenue gives NaN.
    """
    ladder = ladder or ProcurementLadder()
    w = selected if isinstance(selected.index, pd.MultiIndex) else wide_figures(selected)
    rev, fx_missing = revenue_usd(w, fx)
    out = pd.DataFrame(index=w.index)
    # energy
    out["carbon_intensity"] = (_col(w, "scope1_tco2e") + _col(w, "scope2_market_tco2e")) / rev
    out["electricity_intensity"] = _col(w, "electricity_total_mwh") / rev
    out["scope3_intensity"] = _col(w, "scope3_tco2e") / rev
    out["pue"] = _col(w, "pue")
    # water: consumption and withdrawal apart (GRI 303-5 vs 303-3)
    consumption = _col(w, "water_consumption_m3")
    withdrawal = _col(w, "water_withdrawal_m3")
    out["water_intensity"] = consumption / rev
    out["water_withdrawal_intensity"] = withdrawal / rev
    out["wue"] = _col(w, "wue_l_per_kwh")
    out["water_stress_exposure"] = _col(w, "water_withdrawal_stressed_pct")
    repl = _col(w, "water_replenishment_pct")
    out["water_replenishment"] = repl.where(repl.notna(),
                                            100 * _col(w, "water_replenished_m3") / consumption.where(consumption > 0))
    reuse = _col(w, "water_reuse_pct")
    recycled = _col(w, "water_recycled_m3")
    out["water_reuse"] = reuse.where(reuse.notna(), 100 * recycled / (recycled + withdrawal).where(lambda s: s > 0))
    out["cooling_liquid_closed_loop"] = _col(w, "cooling_liquid_closed_loop_pct")
    # procurement: annual claim, instrument ladder and hourly CFE side by side (never a maximum)
    out["renewable_share"] = _col(w, "renewable_share_pct")
    sh = instrument_shares(w)
    quality = (ladder.onsite_ppa * sh["onsite_ppa"] + ladder.green_tariff * sh["green_tariff"]
               + ladder.unbundled_eac * sh["unbundled_eac"].fillna(0) + ladder.unknown * sh["unknown"])
    out["instrument_quality"] = quality.clip(0, 100).where(sh["split_disclosed"])
    out["cfe_hourly"] = _col(w, "cfe_hourly_pct")
    out["supplier_clean_energy"] = _col(w, "supplier_clean_energy_program")
    lb = _col(w, "scope2_location_tco2e").where(lambda s: s > 0)
    out["contractual_instruments_effect"] = 100 * (lb - _col(w, "scope2_market_tco2e")) / lb
    out["certificate_share"] = sh["unbundled_eac"].fillna(0).where(sh["split_disclosed"])
    out["green_bonds"] = _col(w, "green_bond_issued_usd_m")
    out["supplier_re_commitment"] = _col(w, "supplier_re_commitment_pct")
    # circularity: take-back (higher is better) apart from e-waste generated (lower is better)
    out["hardware_reuse_recycling"] = _col(w, "hardware_reuse_recycling_pct")
    out["hardware_takeback_intensity"] = _col(w, "hardware_takeback_tonnes") / rev
    out["ewaste_intensity"] = _col(w, "ewaste_tonnes") / rev
    out["server_life"] = _col(w, "server_useful_life_years")
    out = out.replace([np.inf, -np.inf], np.nan)
    out["fx_rate_missing"] = fx_missing.to_numpy(dtype=bool)
    return out.reset_index()
