"""The metric catalogue: every canonical metric, its unit family, bounds and meaning.

This module is data, not logic: :mod:`esglib.data` validates against it, :mod:`esglib.metrics` derives KPIs
from it and :mod:`esglib.scoring` scores them. ``other:<name>`` metrics are real figures that fit no canonical
metric; they are kept (with their source) for context and never scored.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "MetricSpec", "METRICS", "OTHER_PREFIX", "REQUIRED_COLUMNS", "OPTIONAL_COLUMNS", "DISCLOSURE_COLUMNS",
    "QUALITY_LABELS", "is_known_metric", "MIN_YEAR",
]


OTHER_PREFIX = "other:"
MIN_YEAR = 1990


@dataclass(frozen=True)
class MetricSpec:
    """One canonical disclosure metric.

    Attributes
    ----------
    name : str
        Canonical name, e.g. ``"pue"``.
    family : str
        Unit family (see :data:`esglib.inputs.UNIT_FAMILIES`); values are stored in its canonical unit.
    unit : str
        Canonical unit as written in files.
    lower, upper : float or None
        Inclusive bounds on the value in the canonical unit (None = unbounded).
    lower_strict : bool
        If True the lower bound is exclusive (value must be greater than ``lower``).
    pillar : str
        Pillar the raw figure informs (``energy``, ``water``, ``procurement``, ``circularity``,
        ``finance`` or ``target``).
    description : str
        Plain-words meaning.
    """

    name: str
    family: str
    unit: str
    lower: float | None
    upper: float | None
    pillar: str
    description: str
    lower_strict: bool = False


def _m(name, family, unit, lower, upper, pillar, description, lower_strict=False):
    return MetricSpec(name, family, unit, lower, upper, pillar, description, lower_strict)


_SPECS = [
    _m("electricity_total_mwh", "energy", "MWh", 0, None, "energy", "Total electricity consumed (company boundary)."),
    _m("electricity_datacenter_mwh", "energy", "MWh", 0, None, "energy", "Electricity consumed by data centres."),
    _m("energy_total_mwh", "energy", "MWh", 0, None, "energy", "Total energy consumed (all carriers)."),
    _m("pue", "ratio", "ratio", 1.0, 10.0, "energy",
       "Power usage effectiveness = facility energy / IT energy (>= 1 by definition; ISO/IEC 30134-2)."),
    _m("scope1_tco2e", "emissions", "tCO2e", 0, None, "energy", "Scope 1 (direct) GHG emissions."),
    _m("scope2_market_tco2e", "emissions", "tCO2e", 0, None, "energy", "Scope 2, market-based (GHG Protocol)."),
    _m("scope2_location_tco2e", "emissions", "tCO2e", 0, None, "energy", "Scope 2, location-based (grid average)."),
    _m("scope3_tco2e", "emissions", "tCO2e", 0, None, "energy", "Scope 3 (value-chain) emissions."),
    _m("total_ghg_tco2e", "emissions", "tCO2e", 0, None, "energy", "Total GHG emissions as reported."),
    _m("renewable_share_pct", "percent", "%", 0, 100, "procurement",
       "Share of electricity matched with renewables (annual matching unless the basis says otherwise)."),
    _m("cfe_hourly_pct", "percent", "%", 0, 100, "procurement",
       "Hourly (24/7) carbon-free energy share: CFE matched hour by hour on the same grid."),
    _m("renewable_ppa_share_pct", "percent", "%", 0, 100, "procurement",
       "Share of electricity from onsite generation and power purchase agreements."),
    _m("renewable_grid_mix_share_pct", "percent", "%", 0, 100, "procurement",
       "Share of electricity that is renewable through supplier contracts / green tariffs / the grid mix."),
    _m("renewable_unbundled_eac_share_pct", "percent", "%", 0, 100, "procurement",
       "Share of electricity covered by unbundled certificates (RECs, GOs, I-RECs)."),
    _m("ppa_capacity_mw", "power", "MW", 0, None, "procurement", "Contracted renewable PPA capacity."),
    _m("renewable_purchased_mwh", "energy", "MWh", 0, None, "procurement", "Renewable electricity purchased."),
    _m("onsite_renewable_mwh", "energy", "MWh", 0, None, "procurement", "Renewable electricity generated onsite."),
    _m("renewable_ppa_mwh", "energy", "MWh", 0, None, "procurement",
       "Renewable electricity from power purchase agreements (physical or virtual; RE100 types 1-2)."),
    _m("renewable_green_tariff_mwh", "energy", "MWh", 0, None, "procurement",
       "Renewable electricity from green tariffs / supplier renewable products (RE100 type 3)."),
    _m("renewable_unbundled_eac_mwh", "energy", "MWh", 0, None, "procurement",
       "Electricity covered by unbundled certificates: RECs, GOs, I-RECs (RE100 type 4)."),
    _m("supplier_re_commitment_pct", "percent", "%", 0, 100, "procurement",
       "Share of suppliers (by spend) committed to renewable electricity."),
    _m("supplier_clean_energy_program", "flag", "flag", 0, 1, "procurement",
       "The company runs a supplier clean-energy programme (1 = yes, 0 = no)."),
    _m("water_withdrawal_m3", "water", "m3", 0, None, "water", "Water withdrawal (GRI 303-3)."),
    _m("water_consumption_m3", "water", "m3", 0, None, "water", "Water consumption (GRI 303-5)."),
    _m("water_discharge_m3", "water", "m3", 0, None, "water", "Water discharge (GRI 303-4)."),
    _m("water_withdrawal_stressed_pct", "percent", "%", 0, 100, "water",
       "Share of withdrawal in high / extremely-high baseline water-stress areas (WRI Aqueduct)."),
    _m("water_replenishment_pct", "percent", "%", 0, 1000, "water",
       "Water replenished as a share of freshwater consumed (can exceed 100; never netted off consumption)."),
    _m("water_recycled_m3", "water", "m3", 0, None, "water", "Water recycled or reused (non-potable reuse)."),
    _m("water_replenished_m3", "water", "m3", 0, None, "water",
       "Water replenished through watershed projects (never netted off consumption)."),
    _m("water_reuse_pct", "percent", "%", 0, 100, "water",
       "Disclosed share of water use met by recycled / reused water."),
    _m("cooling_liquid_closed_loop_pct", "percent", "%", 0, 100, "water",
       "Share of data-centre capacity on liquid or closed-loop cooling."),
    _m("wue_l_per_kwh", "water_per_energy", "L/kWh", 0, 50, "water",
       "Water usage effectiveness = site water (L) / IT energy (kWh) (The Green Grid; ISO/IEC 30134-9)."),
    _m("hardware_reuse_recycling_pct", "percent", "%", 0, 100, "circularity",
       "Share of retired hardware (servers, components) reused or recycled."),
    _m("ewaste_tonnes", "mass", "t", 0, None, "circularity",
       "Electronic waste the company generated (lower is better; take-back volumes go to hardware_takeback_tonnes)."),
    _m("hardware_takeback_tonnes", "mass", "t", 0, None, "circularity",
       "Retired hardware taken back and processed for reuse or recycling (higher is better)."),
    _m("server_useful_life_years", "years", "years", 0, 30, "circularity",
       "Accounting useful life of servers (10-K); a proxy for hardware lifetime, not physical life.", True),
    _m("revenue_usd_m", "currency_usd", "USD millions", 0, None, "finance", "Revenue (denominator of intensities).",
       True),
    _m("revenue_reported_m", "currency_reported", "<ISO> millions", 0, None, "finance",
       "Revenue in the reporting currency (unit '<ISO> millions', e.g. 'CNY millions'); converted to USD per fiscal "
       "year with data/fx_rates.csv.", True),
    _m("green_bond_issued_usd_m", "currency_usd", "USD millions", 0, None, "finance",
       "Green / sustainability bond principal issued (cumulative)."),
    _m("green_bond_allocated_usd_m", "currency_usd", "USD millions", 0, None, "finance",
       "Green bond proceeds allocated to renewables or data-centre efficiency (cumulative)."),
    _m("target_net_zero_year", "year", "year", 2000, 2100, "target", "Year of the net-zero target."),
    _m("target_carbon_negative_year", "year", "year", 2000, 2100, "target", "Year of the carbon-negative target."),
    _m("target_24x7_cfe_year", "year", "year", 2000, 2100, "target", "Year of the 24/7 carbon-free energy target."),
    _m("target_water_positive_year", "year", "year", 2000, 2100, "target", "Year of the water-positive target."),
    _m("target_renewable_100_year", "year", "year", 2000, 2100, "target", "Year of the 100% renewable target."),
    _m("target_zero_waste_year", "year", "year", 2000, 2100, "target", "Year of the zero-waste target."),
]

#: Canonical metrics by name.
METRICS: dict[str, MetricSpec] = {s.name: s for s in _SPECS}

#: Columns every disclosure file must have.
REQUIRED_COLUMNS = ("ticker", "fiscal_year", "metric", "value", "unit")
#: Columns that are kept when present (source columns are required to be *filled* for canonical metrics).
OPTIONAL_COLUMNS = ("company", "reported_value", "reported_unit", "reported_metric", "basis", "scope_note",
                    "source_kind", "data_quality", "source_title", "source_url", "quote", "report_edition",
                    "published_on", "retrieved_from")
#: Column order of a validated disclosures frame.
DISCLOSURE_COLUMNS = ("ticker", "company", "fiscal_year", "metric", "value", "unit", "reported_value",
                      "reported_unit", "reported_metric", "basis", "scope_note", "source_kind", "data_quality",
                      "source_title", "source_url", "quote", "report_edition", "published_on", "retrieved_from")

#: Data-quality scale of the ``data_quality`` column.
QUALITY_LABELS = {
    1: "company report or web page read directly",
    2: "machine-parsed table of the company report",
    3: "secondary source quoting the company (news, aggregator, filing excerpt)",
    4: "tertiary compilation",
}


def is_known_metric(name: str) -> bool:
    """True for canonical metrics and ``other:<name>`` context metrics."""
    return name in METRICS or (name.startswith(OTHER_PREFIX) and len(name) > len(OTHER_PREFIX))
