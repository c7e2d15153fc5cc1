"""esglib.scoring: KPI formulas against hand-computed values (synthetic company-years unless named)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from esglib.errors import ConfigError
from esglib.inputs import select_figures
from esglib.scoring import KPI_INPUTS, KPI_SPECS, ProcurementLadder, compute_metrics, wide_figures


def wide(*rows: dict) -> pd.DataFrame:
    """A wide (ticker, fiscal_year) x metric frame of SYNTHETIC figures."""
    return pd.DataFrame(list(rows)).set_index(["ticker", "fiscal_year"])


def one(**figures) -> pd.Series:
    """KPIs of one synthetic company-year."""
    out = compute_metrics(wide({"ticker": "SYN", "fiscal_year": 2024, **figures}))
    assert len(out) == 1
    return out.iloc[0]


def test_output_columns():
    out = compute_metrics(wide({"ticker": "SYN", "fiscal_year": 2024, "pue": 1.2}))
    assert list(out.columns) == ["ticker", "fiscal_year", *KPI_SPECS, "fx_rate_missing"]
    assert all(out[k].dtype == np.float64 for k in KPI_SPECS)
    assert out.loc[0, "pue"] == 1.2
    assert out.drop(columns=["ticker", "fiscal_year", "pue", "fx_rate_missing"]).isna().all().all()  # nothing imputed


@pytest.mark.parametrize(("figures", "kpi", "expected"), [
    # carbon intensity = (scope1 + scope2 market) / revenue
    ({"scope1_tco2e": 1_000.0, "scope2_market_tco2e": 9_000.0, "revenue_usd_m": 1_000.0}, "carbon_intensity", 10.0),
    ({"scope1_tco2e": 14_390.0, "scope2_market_tco2e": 40_555.0, "revenue_usd_m": 60_920.0}, "carbon_intensity",
     (14_390 + 40_555) / 60_920),
    ({"scope1_tco2e": 1_000.0, "revenue_usd_m": 1_000.0}, "carbon_intensity", np.nan),  # scope 2 missing
    ({"scope1_tco2e": 1_000.0, "scope2_market_tco2e": 0.0, "revenue_usd_m": 500.0}, "carbon_intensity", 2.0),
    ({"electricity_total_mwh": 250_000.0, "revenue_usd_m": 1_000.0}, "electricity_intensity", 250.0),
    ({"scope3_tco2e": 5_000.0, "revenue_usd_m": 1_000.0}, "scope3_intensity", 5.0),
    # water (v2): consumption and withdrawal are separate KPIs; withdrawal never substitutes for consumption
    ({"water_consumption_m3": 500_000.0, "water_withdrawal_m3": 900_000.0, "revenue_usd_m": 1_000.0},
     "water_intensity", 500.0),
    ({"water_withdrawal_m3": 900_000.0, "revenue_usd_m": 1_000.0}, "water_intensity", np.nan),
    ({"water_withdrawal_m3": 900_000.0, "revenue_usd_m": 1_000.0}, "water_withdrawal_intensity", 900.0),
    ({"water_replenished_m3": 50.0, "water_consumption_m3": 200.0}, "water_replenishment", 25.0),
    ({"water_replenishment_pct": 118.0, "water_replenished_m3": 50.0, "water_consumption_m3": 200.0},
     "water_replenishment", 118.0),  # the disclosed share wins
    ({"water_recycled_m3": 100.0, "water_withdrawal_m3": 300.0}, "water_reuse", 25.0),
    ({"water_reuse_pct": 40.0, "water_recycled_m3": 100.0, "water_withdrawal_m3": 300.0}, "water_reuse", 40.0),
    ({"cooling_liquid_closed_loop_pct": 35.0}, "cooling_liquid_closed_loop", 35.0),
    # circularity (v2): e-waste generated (lower is better) apart from hardware taken back (higher is better)
    ({"ewaste_tonnes": 335.0, "revenue_usd_m": 130_500.0}, "ewaste_intensity", 335 / 130_500),
    ({"hardware_takeback_tonnes": 12_400.0, "revenue_usd_m": 62_000.0}, "hardware_takeback_intensity", 0.2),
    ({"hardware_takeback_tonnes": 12_400.0, "revenue_usd_m": 62_000.0}, "ewaste_intensity", np.nan),
    # contractual instruments' effect = 100 x (LB - MB) / LB (shown, not scored)
    ({"scope2_location_tco2e": 20_000.0, "scope2_market_tco2e": 9_000.0}, "contractual_instruments_effect", 55.0),
    ({"scope2_location_tco2e": 178_087.0, "scope2_market_tco2e": 40_555.0}, "contractual_instruments_effect",
     100 * (178_087 - 40_555) / 178_087),
    ({"scope2_location_tco2e": 100.0, "scope2_market_tco2e": 0.0}, "contractual_instruments_effect", 100.0),
    ({"scope2_location_tco2e": 100.0, "scope2_market_tco2e": 120.0}, "contractual_instruments_effect", -20.0),
    ({"scope2_location_tco2e": 0.0, "scope2_market_tco2e": 0.0}, "contractual_instruments_effect", np.nan),  # 0/0
    ({"scope2_market_tco2e": 10.0}, "contractual_instruments_effect", np.nan),
    # pass-through KPIs
    ({"pue": 1.09}, "pue", 1.09),
    ({"wue_l_per_kwh": 0.19}, "wue", 0.19),
    ({"water_replenishment_pct": 118.0}, "water_replenishment", 118.0),
    ({"water_withdrawal_stressed_pct": 15.0}, "water_stress_exposure", 15.0),
    ({"renewable_share_pct": 100.0}, "renewable_share", 100.0),
    ({"cfe_hourly_pct": 64.0}, "cfe_hourly", 64.0),
    ({"supplier_clean_energy_program": 1.0}, "supplier_clean_energy", 1.0),
    ({"supplier_re_commitment_pct": 30.0}, "supplier_re_commitment", 30.0),
    ({"green_bond_issued_usd_m": 5_750.0}, "green_bonds", 5_750.0),
    ({"hardware_reuse_recycling_pct": 89.4}, "hardware_reuse_recycling", 89.4),
    ({"server_useful_life_years": 6.0}, "server_life", 6.0),
])
def test_kpi_formulas(figures, kpi, expected):
    got = one(**figures)[kpi]
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("revenue", [0.0, -5.0, np.nan])
def test_zero_or_missing_revenue_gives_nan_not_inf(revenue):
    k = one(scope1_tco2e=1.0, scope2_market_tco2e=1.0, electricity_total_mwh=1.0, water_consumption_m3=1.0,
            ewaste_tonnes=1.0, revenue_usd_m=revenue)
    for name in ("carbon_intensity", "electricity_intensity", "water_intensity", "ewaste_intensity"):
        assert np.isnan(k[name]), name


# ------------------------------------------------------------------------------------------------ procurement
@pytest.mark.parametrize(("figures", "expected"), [
    # v2: the ladder exists only where the instrument split is (at least partly) disclosed
    ({"renewable_share_pct": 100.0}, np.nan),
    ({"renewable_share_pct": 100.0, "ppa_capacity_mw": 500.0}, np.nan),
    ({"renewable_share_pct": 100.0, "onsite_renewable_mwh": 10.0, "electricity_total_mwh": 1_000.0}, np.nan),
    # ladder: PPA 1.0 > green tariff 0.6 > unbundled certificates 0.25 (no annual factor, no maximum with CFE)
    ({"renewable_share_pct": 100.0, "renewable_ppa_share_pct": 40.0, "renewable_grid_mix_share_pct": 30.0,
      "renewable_unbundled_eac_share_pct": 30.0}, 40 + 0.6 * 30 + 0.25 * 30),
    # onsite generation counts as PPA quality; the unexplained rest at unknown quality
    ({"renewable_share_pct": 80.0, "renewable_ppa_share_pct": 20.0, "onsite_renewable_mwh": 10_000.0,
      "electricity_total_mwh": 100_000.0}, 20 + 10 + 0.25 * 50),
    # instrument MWh are turned into shares of electricity
    ({"renewable_ppa_mwh": 300.0, "renewable_green_tariff_mwh": 100.0, "renewable_unbundled_eac_mwh": 200.0,
      "electricity_total_mwh": 1_000.0}, 30 + 0.6 * 10 + 0.25 * 20),
    ({"renewable_ppa_share_pct": 50.0}, 50.0),
    ({"renewable_unbundled_eac_share_pct": 100.0}, 25.0),
    # quality is capped at 100
    ({"renewable_share_pct": 100.0, "renewable_ppa_share_pct": 100.0, "renewable_grid_mix_share_pct": 50.0}, 100.0),
    # hourly CFE is a separate KPI: it never raises the ladder
    ({"renewable_share_pct": 100.0, "renewable_ppa_share_pct": 30.0, "cfe_hourly_pct": 64.0}, 30 + 0.25 * 70),
    ({"cfe_hourly_pct": 64.0}, np.nan),
    ({"renewable_share_pct": 0.0, "renewable_ppa_share_pct": 0.0}, 0.0),
    ({"pue": 1.2}, np.nan),  # nothing about procurement disclosed
])
def test_instrument_quality_ladder(figures, expected):
    got = one(**figures)["instrument_quality"]
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("figures", "expected"), [
    ({"renewable_unbundled_eac_share_pct": 60.0, "renewable_share_pct": 100.0}, 60.0),
    ({"renewable_unbundled_eac_mwh": 250.0, "electricity_total_mwh": 1_000.0}, 25.0),
    ({"renewable_ppa_share_pct": 80.0, "renewable_share_pct": 100.0}, 0.0),  # split disclosed, no certificates
    ({"renewable_share_pct": 100.0}, np.nan),  # instrument mix not disclosed
])
def test_certificate_share_only_from_a_disclosed_split(figures, expected):
    got = one(**figures)["certificate_share"]
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected, rel=1e-12)


def test_withholding_instrument_detail_never_beats_disclosing_certificates():
    partial = one(renewable_share_pct=100.0, renewable_ppa_share_pct=0.0)["instrument_quality"]
    certificates = one(renewable_share_pct=100.0, renewable_unbundled_eac_share_pct=100.0)["instrument_quality"]
    assert partial <= certificates


def test_custom_ladder():
    w = wide({"ticker": "SYN", "fiscal_year": 2024, "renewable_share_pct": 100.0, "renewable_ppa_share_pct": 50.0})
    assert compute_metrics(w, ProcurementLadder(onsite_ppa=0.5))["instrument_quality"].iloc[0] == 25.0 + 12.5
    assert compute_metrics(w, ProcurementLadder(unknown=0.0))["instrument_quality"].iloc[0] == 50.0


@pytest.mark.parametrize(("field", "value"), [("unbundled_eac", 1.5), ("onsite_ppa", -0.1), ("unknown", np.nan),
                                              ("green_tariff", 2)])
def test_ladder_validation_names_the_argument(field, value):
    with pytest.raises(ConfigError, match=rf"`ladder\.{field}` must be between 0 and 1, got {value!r}"):
        ProcurementLadder(**{field: value})


def test_ladder_unknown_never_above_certificates():
    with pytest.raises(ConfigError, match="must not exceed `ladder.unbundled_eac`"):
        ProcurementLadder(unknown=0.5)


def test_hourly_cfe_is_its_own_kpi_and_monotone():
    base = {"renewable_share_pct": 100.0, "renewable_ppa_share_pct": 30.0}
    rows = [one(**base, cfe_hourly_pct=x) for x in (0, 10, 30, 50, 70, 90, 100)]
    assert [r["cfe_hourly"] for r in rows] == [0, 10, 30, 50, 70, 90, 100]
    assert len({r["instrument_quality"] for r in rows}) == 1  # the ladder ignores hourly CFE


# ------------------------------------------------------------------------------------------------ years and FX
def test_no_carry_forward_inside_the_kpi_step():
    # v2: each KPI is carried forward on its own by the scoring step; compute_metrics keeps years apart
    w = wide({"ticker": "SYN", "fiscal_year": 2022, "cfe_hourly_pct": 90.0, "renewable_share_pct": 100.0},
             {"ticker": "SYN", "fiscal_year": 2023, "renewable_share_pct": 100.0})
    got = compute_metrics(w).set_index("fiscal_year")["cfe_hourly"]
    assert got[2022] == 90.0 and np.isnan(got[2023])


def test_reported_currency_revenue_converted_with_the_fiscal_years_rate():
    sel = pd.DataFrame({"ticker": ["SYN", "SYN", "SYN", "SYN"], "fiscal_year": [2023, 2023, 2024, 2024],
                        "metric": ["revenue_reported_m", "scope1_tco2e", "revenue_reported_m", "scope1_tco2e"],
                        "value": [1_000.0, 500.0, 1_000.0, 500.0], "unit": ["CNY millions", "tCO2e"] * 2})
    sel = pd.concat([sel, sel.assign(metric=sel["metric"].replace({"revenue_reported_m": "scope2_market_tco2e"}),
                                     value=0.0, unit="tCO2e").iloc[[0, 2]]], ignore_index=True)
    fx = pd.DataFrame({"currency": ["CNY"], "year": [2023], "usd_per_unit": [0.125]})
    k = compute_metrics(sel, fx=fx).set_index("fiscal_year")
    assert k.at[2023, "carbon_intensity"] == pytest.approx(500 / 125.0)
    assert np.isnan(k.at[2024, "carbon_intensity"])  # no 2024 rate: NaN, never an assumed rate
    assert k["fx_rate_missing"].to_dict() == {2023: False, 2024: True}


def test_usd_revenue_wins_over_reported_currency():
    sel = pd.DataFrame({"ticker": ["SYN"] * 3, "fiscal_year": [2024] * 3,
                        "metric": ["revenue_usd_m", "revenue_reported_m", "electricity_total_mwh"],
                        "value": [100.0, 999.0, 1_000.0], "unit": ["USD millions", "EUR millions", "MWh"]})
    k = compute_metrics(sel)
    assert k.at[0, "electricity_intensity"] == 10.0 and not k.at[0, "fx_rate_missing"]


def test_ratio_kpis_never_mix_years():
    w = wide({"ticker": "SYN", "fiscal_year": 2023, "scope1_tco2e": 100.0, "scope2_market_tco2e": 100.0},
             {"ticker": "SYN", "fiscal_year": 2024, "revenue_usd_m": 10.0})
    assert compute_metrics(w)["carbon_intensity"].isna().all()


# ------------------------------------------------------------------------------------------------ long input
def test_long_and_wide_inputs_agree(disclosures):
    sel = select_figures(disclosures)
    a = compute_metrics(sel)
    b = compute_metrics(wide_figures(sel))
    pd.testing.assert_frame_equal(a, b)
    assert not a.duplicated(["ticker", "fiscal_year"]).any()


def test_bundled_kpis_use_the_chosen_figures(disclosures):
    k = compute_metrics(select_figures(disclosures)).set_index(["ticker", "fiscal_year"])
    # NVIDIA FY2024: restated scope 1 (11,896, FY2025 report) + market-based scope 2 over revenue
    assert k.at[("NVDA", 2024), "carbon_intensity"] == pytest.approx((11_896 + 40_555) / 60_900, rel=1e-12)
    assert k.at[("NVDA", 2024), "contractual_instruments_effect"] == pytest.approx(
        100 * (178_087 - 40_555) / 178_087, rel=1e-12)
    # every KPI present comes from one of its declared inputs
    sel = select_figures(disclosures)
    present = set(zip(sel["ticker"], sel["fiscal_year"], sel["metric"], strict=True))
    for (t, y), r in k.iterrows():
        for kpi in KPI_SPECS:
            if pd.notna(r[kpi]):
                assert any((t, y, m) in present for m in KPI_INPUTS[kpi]), (t, y, kpi)


def test_wide_figures_empty_and_shape(disclosures):
    empty = wide_figures(select_figures(disclosures).iloc[:0])
    assert empty.empty and empty.index.names == ["ticker", "fiscal_year"]
    w = wide_figures(select_figures(disclosures))
    assert w.index.is_unique
    out = compute_metrics(select_figures(disclosures).iloc[:0])
    assert out.empty and list(out.columns) == ["ticker", "fiscal_year", *KPI_SPECS, "fx_rate_missing"]


def test_compute_metrics_does_not_modify_its_input(disclosures):
    sel = select_figures(disclosures)
    w = wide_figures(sel)
    sel_before, w_before = sel.copy(deep=True), w.copy(deep=True)
    compute_metrics(sel)
    compute_metrics(w, carry_forward_years=3)
    pd.testing.assert_frame_equal(sel, sel_before)
    pd.testing.assert_frame_equal(w, w_before)


def test_kpi_specs_are_documented():
    for name, spec in KPI_SPECS.items():
        assert spec.name == name
        assert spec.formula and spec.unit
        assert isinstance(spec.higher_is_better, bool)
        assert spec.applies_to in ("all", "dc_operators") and spec.scored_by in ("peers", "reference")
    assert not KPI_SPECS["pue"].higher_is_better and KPI_SPECS["instrument_quality"].higher_is_better
    assert KPI_SPECS["hardware_takeback_intensity"].higher_is_better  # take-back volumes: more is better
    assert not KPI_SPECS["ewaste_intensity"].higher_is_better
