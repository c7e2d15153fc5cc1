"""esglib.scoring: KPI formulas against hand-computed values (synthetic company-years unless named)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from esglib.errors import ConfigError
from esglib.inputs import select_figures
from esglib.scoring import KPI_INPUTS, KPI_SPECS, ProcurementLadder, compute_metrics, wide_figures
from esglib.scoring._metrics import procurement_quality


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
    assert list(out.columns) == ["ticker", "fiscal_year", *KPI_SPECS]
    assert all(out[k].dtype == np.float64 for k in KPI_SPECS)
    assert out.loc[0, "pue"] == 1.2
    assert out.drop(columns=["ticker", "fiscal_year", "pue"]).isna().all().all()  # nothing imputed


@pytest.mark.parametrize(("figures", "kpi", "expected"), [
    # carbon intensity = (scope1 + scope2 market) / revenue
    ({"scope1_tco2e": 1_000.0, "scope2_market_tco2e": 9_000.0, "revenue_usd_m": 1_000.0}, "carbon_intensity", 10.0),
    ({"scope1_tco2e": 14_390.0, "scope2_market_tco2e": 40_555.0, "revenue_usd_m": 60_920.0}, "carbon_intensity",
     (14_390 + 40_555) / 60_920),
    ({"scope1_tco2e": 1_000.0, "revenue_usd_m": 1_000.0}, "carbon_intensity", np.nan),  # scope 2 missing
    ({"scope1_tco2e": 1_000.0, "scope2_market_tco2e": 0.0, "revenue_usd_m": 500.0}, "carbon_intensity", 2.0),
    ({"electricity_total_mwh": 250_000.0, "revenue_usd_m": 1_000.0}, "electricity_intensity", 250.0),
    # water: consumption first, withdrawal when consumption is not disclosed
    ({"water_consumption_m3": 500_000.0, "water_withdrawal_m3": 900_000.0, "revenue_usd_m": 1_000.0},
     "water_intensity", 500.0),
    ({"water_withdrawal_m3": 900_000.0, "revenue_usd_m": 1_000.0}, "water_intensity", 900.0),
    ({"ewaste_tonnes": 335.0, "revenue_usd_m": 130_500.0}, "ewaste_intensity", 335 / 130_500),
    # certificate reliance = (LB - MB) / LB
    ({"scope2_location_tco2e": 20_000.0, "scope2_market_tco2e": 9_000.0}, "certificate_reliance", 0.55),
    ({"scope2_location_tco2e": 178_087.0, "scope2_market_tco2e": 40_555.0}, "certificate_reliance",
     (178_087 - 40_555) / 178_087),
    ({"scope2_location_tco2e": 100.0, "scope2_market_tco2e": 0.0}, "certificate_reliance", 1.0),
    ({"scope2_location_tco2e": 100.0, "scope2_market_tco2e": 120.0}, "certificate_reliance", -0.2),
    ({"scope2_location_tco2e": 0.0, "scope2_market_tco2e": 0.0}, "certificate_reliance", np.nan),  # 0/0
    ({"scope2_market_tco2e": 10.0}, "certificate_reliance", np.nan),
    # pass-through KPIs
    ({"pue": 1.09}, "pue", 1.09),
    ({"wue_l_per_kwh": 0.19}, "wue", 0.19),
    ({"water_replenishment_pct": 118.0}, "water_replenishment", 118.0),
    ({"water_withdrawal_stressed_pct": 15.0}, "water_stress_exposure", 15.0),
    ({"renewable_share_pct": 100.0}, "renewable_share", 100.0),
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
    # unknown instruments score like certificates: 0.8 x 0.25 x 100
    ({"renewable_share_pct": 100.0}, 20.0),
    # ... or 0.45 when contracted PPA capacity is disclosed
    ({"renewable_share_pct": 100.0, "ppa_capacity_mw": 500.0}, 36.0),
    # ladder: PPA 1.0 > green tariff 0.6 > unbundled certificates 0.25, x 0.8 for annual matching
    ({"renewable_share_pct": 100.0, "renewable_ppa_share_pct": 40.0, "renewable_grid_mix_share_pct": 30.0,
      "renewable_unbundled_eac_share_pct": 30.0}, 0.8 * (40 + 0.6 * 30 + 0.25 * 30)),
    # onsite generation counts as PPA quality; the unexplained rest at unknown quality
    ({"renewable_share_pct": 80.0, "renewable_ppa_share_pct": 20.0, "onsite_renewable_mwh": 10_000.0,
      "electricity_total_mwh": 100_000.0}, 0.8 * (20 + 10 + 0.25 * 50)),
    # shares without a total: the total is the explained share
    ({"renewable_ppa_share_pct": 50.0}, 40.0),
    ({"renewable_unbundled_eac_share_pct": 100.0}, 0.8 * 25),
    # quality is capped at 100 before the annual factor
    ({"renewable_share_pct": 100.0, "renewable_ppa_share_pct": 100.0, "renewable_grid_mix_share_pct": 50.0}, 80.0),
    # hourly CFE is taken at full value and the index is the better of hourly and annual
    ({"renewable_share_pct": 100.0, "cfe_hourly_pct": 64.0}, 64.0),
    ({"cfe_hourly_pct": 64.0}, 64.0),
    ({"renewable_share_pct": 100.0, "renewable_ppa_share_pct": 100.0, "cfe_hourly_pct": 64.0}, 80.0),
    ({"renewable_share_pct": 0.0}, 0.0),
    ({"pue": 1.2}, np.nan),  # nothing about procurement disclosed
])
def test_procurement_quality_ladder(figures, expected):
    got = one(**figures)["procurement_quality"]
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected, rel=1e-12)


def test_withholding_instrument_detail_never_beats_disclosing_certificates():
    unknown = one(renewable_share_pct=100.0)["procurement_quality"]
    certificates = one(renewable_share_pct=100.0, renewable_unbundled_eac_share_pct=100.0)["procurement_quality"]
    assert unknown <= certificates


def test_custom_ladder():
    w = wide({"ticker": "SYN", "fiscal_year": 2024, "renewable_share_pct": 100.0})
    assert procurement_quality(w, ProcurementLadder(annual_factor=1.0)).iloc[0] == 25.0
    assert compute_metrics(w, ProcurementLadder(unknown=0.0))["procurement_quality"].iloc[0] == 0.0


@pytest.mark.parametrize(("field", "value"), [("annual_factor", 1.5), ("onsite_ppa", -0.1), ("unknown", np.nan),
                                              ("green_tariff", 2)])
def test_ladder_validation_names_the_argument(field, value):
    with pytest.raises(ConfigError, match=rf"`ladder\.{field}` must be between 0 and 1, got {value!r}"):
        ProcurementLadder(**{field: value})


def test_hourly_cfe_is_monotone():
    base = {"renewable_share_pct": 100.0, "renewable_ppa_share_pct": 30.0}
    values = [one(**base, cfe_hourly_pct=x)["procurement_quality"] for x in (0, 10, 30, 50, 70, 90, 100)]
    assert values == sorted(values)
    assert values[-1] == 100.0


# ------------------------------------------------------------------------------------------------ carry forward
def test_hourly_cfe_carried_forward_within_the_window():
    w = wide({"ticker": "SYN", "fiscal_year": 2022, "cfe_hourly_pct": 90.0, "renewable_share_pct": 100.0},
             {"ticker": "SYN", "fiscal_year": 2023, "renewable_share_pct": 100.0},
             {"ticker": "SYN", "fiscal_year": 2024, "renewable_share_pct": 100.0},
             {"ticker": "SYN", "fiscal_year": 2025, "renewable_share_pct": 100.0})
    got = compute_metrics(w).set_index("fiscal_year")["procurement_quality"]
    assert got.to_dict() == {2022: 90.0, 2023: 90.0, 2024: 90.0, 2025: 20.0}
    got0 = compute_metrics(w, carry_forward_years=0).set_index("fiscal_year")["procurement_quality"]
    assert got0.to_dict() == {2022: 90.0, 2023: 20.0, 2024: 20.0, 2025: 20.0}


def test_carry_forward_counts_years_not_rows():
    # hourly CFE reported for 2018, nothing until an annual claim in 2024: six years, outside a 2-year window
    w = wide({"ticker": "SYN", "fiscal_year": 2018, "cfe_hourly_pct": 90.0, "renewable_share_pct": 50.0},
             {"ticker": "SYN", "fiscal_year": 2024, "renewable_share_pct": 100.0})
    got = compute_metrics(w).set_index("fiscal_year")["procurement_quality"]
    assert got[2024] == 20.0


def test_carry_forward_never_goes_back_in_time_whatever_the_row_order():
    w = wide({"ticker": "SYN", "fiscal_year": 2024, "renewable_share_pct": 100.0},
             {"ticker": "SYN", "fiscal_year": 2023, "cfe_hourly_pct": 90.0, "renewable_share_pct": 50.0},
             {"ticker": "SYN", "fiscal_year": 2022, "renewable_share_pct": 50.0})
    got = compute_metrics(w).set_index("fiscal_year")["procurement_quality"]
    assert got.to_dict() == {2024: 90.0, 2023: 90.0, 2022: 0.8 * 0.25 * 50}


def test_carry_forward_stays_within_a_company():
    w = wide({"ticker": "AAA", "fiscal_year": 2023, "cfe_hourly_pct": 90.0},
             {"ticker": "BBB", "fiscal_year": 2024, "renewable_share_pct": 100.0})
    got = compute_metrics(w).set_index("ticker")["procurement_quality"]
    assert got["BBB"] == 20.0


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
    assert k.at[("NVDA", 2024), "carbon_intensity"] == pytest.approx((11_896 + 40_555) / 60_920, rel=1e-12)
    assert k.at[("NVDA", 2024), "certificate_reliance"] == pytest.approx((178_087 - 40_555) / 178_087, rel=1e-12)
    # every KPI present comes from one of its declared inputs
    sel = select_figures(disclosures)
    present = set(zip(sel["ticker"], sel["fiscal_year"], sel["metric"], strict=True))
    for (t, y), r in k.iterrows():
        for kpi in KPI_SPECS:
            if pd.notna(r[kpi]) and kpi != "procurement_quality":  # (procurement carries shares forward)
                assert any((t, y, m) in present for m in KPI_INPUTS[kpi]), (t, y, kpi)


def test_wide_figures_empty_and_shape(disclosures):
    empty = wide_figures(select_figures(disclosures).iloc[:0])
    assert empty.empty and empty.index.names == ["ticker", "fiscal_year"]
    w = wide_figures(select_figures(disclosures))
    assert w.index.is_unique
    out = compute_metrics(select_figures(disclosures).iloc[:0])
    assert out.empty and list(out.columns) == ["ticker", "fiscal_year", *KPI_SPECS]


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
    assert not KPI_SPECS["pue"].higher_is_better and KPI_SPECS["procurement_quality"].higher_is_better
