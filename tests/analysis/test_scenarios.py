"""Tests of esglib.analysis: hand-computed values, invariants (hypothesis), errors and the bundled data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esglib import analysis as sc
from esglib.app import bundled
from esglib.errors import ConfigError

SETTINGS = settings(deadline=None)  # example count from the conftest profile (ci: 20)


# ------------------------------------------------------------------------------------------------ fixtures
@pytest.fixture
def carbon_base() -> pd.DataFrame:
    """Two companies with round numbers (tCO2e, USD m)."""
    return pd.DataFrame(
        {"company": ["Alpha", "Beta"], "fiscal_year": [2023, 2024], "scope1_tco2e": [100.0, 1_000.0],
         "scope2_market_tco2e": [900.0, 0.0], "scope2_location_tco2e": [1_900.0, 3_000.0],
         "revenue_usd_m": [10.0, 0.0]},
        index=pd.Index(["A", "B"], name="ticker"))


@pytest.fixture
def growth_base() -> pd.DataFrame:
    return pd.DataFrame(
        {"company": ["Alpha"], "fiscal_year": [2024], "electricity_total_mwh": [1_000.0],
         "scope2_location_tco2e": [400.0], "scope2_market_tco2e": [100.0], "target_year": [2028]},
        index=pd.Index(["A"], name="ticker"))


def _disclosures(rows: list[tuple]) -> pd.DataFrame:
    """Minimal validated-disclosure frame: (ticker, fiscal_year, metric, value)."""
    df = pd.DataFrame(rows, columns=["ticker", "fiscal_year", "metric", "value"])
    df["company"] = df["ticker"] + " Inc."
    df["basis"] = ""
    df.loc[df["metric"] == "scope2_market_tco2e", "basis"] = "market-based"
    df.loc[df["metric"] == "scope2_location_tco2e", "basis"] = "location-based"
    df["scope_note"] = ""
    df["report_edition"] = pd.array([pd.NA] * len(df), dtype="Int64")
    df["data_quality"] = 1
    df["unit"] = ""
    df["source_title"] = "test"
    df["source_url"] = ""
    return df


# ------------------------------------------------------------------------------------------------ baseline
def test_baseline_picks_latest_complete_year_and_never_mixes_years():
    d = _disclosures([
        ("X", 2022, "scope1_tco2e", 1.0), ("X", 2022, "scope2_market_tco2e", 2.0), ("X", 2022, "revenue_usd_m", 3.0),
        ("X", 2023, "scope1_tco2e", 10.0), ("X", 2023, "scope2_market_tco2e", 20.0),  # no 2023 revenue
        ("X", 2024, "revenue_usd_m", 40.0),
        ("Y", 2023, "scope1_tco2e", 5.0),  # Y never has all three
    ])
    before = d.copy()
    b = sc.company_baseline(d)
    assert list(b.index) == ["X"]
    assert b.loc["X", "fiscal_year"] == 2022
    assert b.loc["X", ["scope1_tco2e", "scope2_market_tco2e", "revenue_usd_m"]].tolist() == [1.0, 2.0, 3.0]
    pd.testing.assert_frame_equal(d, before)


@pytest.mark.parametrize(("year_cap", "optional", "expected_year", "complete"), [
    (None, (), 2023, True),                                    # latest year with the required metric
    (None, ("water_withdrawal_stressed_pct",), 2021, True),    # prefers a year with the optional metric too
    (2020, ("water_withdrawal_stressed_pct",), 2020, False),   # capped: falls back, optional stays missing
])
def test_baseline_optional_preference(year_cap, optional, expected_year, complete):
    d = _disclosures([("M", 2020, "water_consumption_m3", 1.0), ("M", 2021, "water_consumption_m3", 2.0),
                      ("M", 2021, "water_withdrawal_stressed_pct", 22.0), ("M", 2023, "water_consumption_m3", 3.0)])
    b = sc.company_baseline(d, required=("water_consumption_m3",), optional=optional, year=year_cap)
    assert b.loc["M", "fiscal_year"] == expected_year
    assert bool(b.loc["M", "complete"]) is complete
    if optional and not complete:
        assert math.isnan(b.loc["M", "water_withdrawal_stressed_pct"])


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"required": ()}, "`required` must name at least one metric"),
    ({"required": ("scope9_tco2e",)}, r"`required` names metric\(s\) that are not canonical"),
    ({"optional": ("nonsense",)}, r"`optional` names metric\(s\)"),
])
def test_baseline_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        sc.company_baseline(_disclosures([("X", 2022, "scope1_tco2e", 1.0)]), **kwargs)


# ------------------------------------------------------------------------------------------------ carbon price
@pytest.mark.parametrize(("scope2", "price", "cost_usd_m", "pct_revenue"), [
    ("market", 50.0, 0.05, 0.5),       # (100 + 900) t x 50 USD/t = 50,000 USD = 0.05 USD m; / 10 USD m = 0.5 %
    ("location", 50.0, 0.1, 1.0),      # (100 + 1,900) t x 50 = 100,000 USD
    ("market", 100.0, 0.1, 1.0),
    ("market", 0.0, 0.0, 0.0),
    ("location", 250.0, 0.5, 5.0),
])
def test_carbon_cost_hand_computed(carbon_base, scope2, price, cost_usd_m, pct_revenue):
    out = sc.carbon_price_shock(carbon_base, [price], scope2=scope2).set_index("ticker")
    assert out.loc["A", "cost_usd_m"] == pytest.approx(cost_usd_m)
    assert out.loc["A", "cost_pct_revenue"] == pytest.approx(pct_revenue)
    assert out.loc["A", "scope2_method"] == f"{scope2}-based"


def test_carbon_zero_revenue_and_operating_income_are_nan(carbon_base):
    out = sc.carbon_price_shock(carbon_base, {"test": 80.0}).set_index("ticker")
    assert out.loc["B", "cost_usd_m"] == pytest.approx(0.08)   # 1,000 t x 80 USD
    assert math.isnan(out.loc["B", "cost_pct_revenue"])         # revenue 0 -> not a number, not infinity
    assert out["cost_pct_operating_income"].isna().all()        # operating income is not in the data
    assert "operating income is not in the bundled data" in out.attrs["note"]


def test_carbon_uses_operating_income_when_given(carbon_base):
    base = carbon_base.assign(operating_income_usd_m=[2.0, np.nan])
    out = sc.carbon_price_shock(base, [50.0]).set_index("ticker")
    assert out.loc["A", "cost_pct_operating_income"] == pytest.approx(2.5)   # 0.05 / 2
    assert math.isnan(out.loc["B", "cost_pct_operating_income"])


@pytest.mark.parametrize(("eur_usd", "eur", "usd"), [(1.25, 80.0, 100.0), (1.08, 67.0, 72.36), (1.0, 85.0, 85.0)])
def test_carbon_prices_converts_eur_explicitly(eur_usd, eur, usd):
    macro = pd.DataFrame({"series": ["eu_ets_allowance_price_annual_average", "grid_co2_emission_factor"],
                          "region": ["European Union", "China"], "year": [2024, 2021], "value": [eur, 0.6],
                          "unit": ["EUR/tCO2", "kgCO2/kWh"], "source_title": ["s", "t"]})
    p = sc.carbon_prices(macro, eur_usd=eur_usd, extra_usd=[150])
    assert list(p["scenario"]) == (["EU ETS average 2024", "user USD 150"] if usd < 150
                                   else ["user USD 150", "EU ETS average 2024"])
    ets = p.set_index("scenario").loc["EU ETS average 2024"]
    assert ets["price_eur_per_t"] == eur
    assert ets["price_usd_per_t"] == pytest.approx(usd)
    assert p.attrs["eur_usd"] == eur_usd


@pytest.mark.parametrize(("call", "match"), [
    (lambda b: sc.carbon_price_shock(b, [50], scope2="residual"), "`scope2` must be 'market' or 'location'"),
    (lambda b: sc.carbon_price_shock(b, [-1]), r"`prices\[0\]` must be at least 0, got -1"),
    (lambda b: sc.carbon_price_shock(b, ["cheap"]), r"`prices\[0\]` must be a number, got 'cheap'"),
    (lambda b: sc.carbon_price_shock(b, [50], eur_usd=0), "`eur_usd` must be greater than 0, got 0"),
    (lambda b: sc.carbon_price_shock(b.drop(columns="revenue_usd_m"), [50]),
     r"`baseline` lacks column\(s\) \['revenue_usd_m'\]"),
    (lambda b: sc.carbon_price_shock(b, []), "`prices` must hold at least one price"),
    (lambda b: sc.carbon_prices(bundled.macro(), eur_usd=float("nan")), "`eur_usd` must be finite"),
    (lambda b: sc.carbon_prices(bundled.macro(), extra_usd=[10, -5]), r"`extra_usd\[1\]` must be at least 0, got -5"),
])
def test_carbon_errors(carbon_base, call, match):
    with pytest.raises(ConfigError, match=match):
        call(carbon_base)


@SETTINGS
@given(price=st.floats(0, 1_000), k=st.floats(0, 20), s1=st.floats(0, 1e8), s2=st.floats(0, 1e8),
       rev=st.floats(1e-3, 1e6))
def test_carbon_cost_is_linear_in_price(price, k, s1, s2, rev):
    base = pd.DataFrame({"scope1_tco2e": [s1], "scope2_market_tco2e": [s2], "revenue_usd_m": [rev]},
                        index=pd.Index(["Z"], name="ticker"))
    out = sc.carbon_price_shock(base, {"p": price, "kp": k * price, "p+k": price + k, "k": k})
    cost = out.set_index("scenario")["cost_usd_m"]
    c1, ck, cplus, c_k = cost["p"], cost["kp"], cost["p+k"], cost["k"]
    assert ck == pytest.approx(k * c1, rel=1e-9, abs=1e-12)                      # homogeneous
    assert cplus == pytest.approx(c1 + c_k, rel=1e-9, abs=1e-12)                  # additive
    assert out.set_index("scenario").loc["p", "cost_pct_revenue"] == pytest.approx(100 * c1 / rev, rel=1e-9, abs=1e-12)


# ------------------------------------------------------------------------------------------------ portfolio
@pytest.mark.parametrize(("weights", "mean", "coverage", "n_covered"), [
    ({"A": 0.5, "B": 0.3, "C": 0.2}, (0.5 * 1 + 0.3 * 2) / 0.8, 0.8, 2),   # C has no value -> renormalised
    ({"A": 5, "B": 3, "C": 2}, (0.5 * 1 + 0.3 * 2) / 0.8, 0.8, 2),         # any scale
    ({"a": 1}, 1.0, 1.0, 1),                                               # tickers are case-insensitive
    ({"C": 1, "D": 1}, np.nan, 0.0, 0),                                    # nothing covered
])
def test_portfolio_weighted(weights, mean, coverage, n_covered):
    result = pd.DataFrame({"ticker": ["A", "B", "C"], "scenario": "s", "cost_pct_revenue": [1.0, 2.0, np.nan]})
    out = sc.portfolio_weighted(result, weights).loc["s"]
    if np.isnan(mean):
        assert np.isnan(out["weighted_mean"])
    else:
        assert out["weighted_mean"] == pytest.approx(mean)
    assert out["coverage"] == pytest.approx(coverage)
    assert out["n_covered"] == n_covered


def test_portfolio_weighted_accepts_holdings_frame():
    result = pd.DataFrame({"ticker": ["A", "B"], "scenario": "s", "v": [1.0, 3.0]})
    holdings = pd.DataFrame({"ticker": ["A", "B", "A"], "weight": [0.25, 0.5, 0.25]})
    assert sc.portfolio_weighted(result, holdings, value="v").loc["s", "weighted_mean"] == pytest.approx(2.0)


@pytest.mark.parametrize(("weights", "match"), [
    ({"A": -1}, "`weights` must be finite and >= 0, got -1"),
    ({"A": 0}, "`weights` must not all be zero"),
    (pd.DataFrame({"ticker": ["A"]}), r"`weights` lacks column\(s\) \['weight'\]"),
])
def test_portfolio_weighted_errors(weights, match):
    result = pd.DataFrame({"ticker": ["A"], "scenario": "s", "cost_pct_revenue": [1.0]})
    with pytest.raises(ConfigError, match=match):
        sc.portfolio_weighted(result, weights)


@SETTINGS
@given(vals=st.lists(st.floats(0, 100), min_size=1, max_size=6), data=st.data())
def test_portfolio_mean_lies_between_covered_values(vals, data):
    tickers = [f"T{i}" for i in range(len(vals))]
    w = data.draw(st.lists(st.floats(0.01, 10), min_size=len(vals), max_size=len(vals)))
    result = pd.DataFrame({"ticker": tickers, "scenario": "s", "cost_pct_revenue": vals})
    out = sc.portfolio_weighted(result, dict(zip(tickers, w, strict=True))).loc["s"]
    assert min(vals) - 1e-9 <= out["weighted_mean"] <= max(vals) + 1e-9
    assert out["coverage"] == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------------ growth
def test_demand_growth_default_is_iea_945_over_415():
    g = sc.demand_growth(bundled.macro())
    assert g["start_mwh"] == 415e6 and g["end_mwh"] == 945e6
    assert g["ratio"] == pytest.approx(945 / 415)
    assert g["cagr"] == pytest.approx((945 / 415) ** (1 / 6) - 1)
    assert 0.14 < g["cagr"] < 0.15   # the IEA's "about 15 percent per year"


@pytest.mark.parametrize(("kwargs", "year", "elec", "lb", "mb", "covered"), [
    # factor 400/1000 = 0.4 t/MWh; covered = 1 - 100/400 = 75 %
    ({"cagr": 0.1}, 2026, 1_210.0, 484.0, 121.0, 75.0),
    ({"cagr": 0.0}, 2027, 1_000.0, 400.0, 100.0, 75.0),
    # ramp to 100 % by 2028 (baseline target_year): 2 of 4 years -> 87.5 % covered
    ({"cagr": 0.1, "market_share": "ramp"}, 2026, 1_210.0, 484.0, 484.0 * 0.125, 87.5),
    ({"cagr": 0.1, "market_share": "ramp"}, 2030, 1_000 * 1.1 ** 6, 400 * 1.1 ** 6, 0.0, 100.0),
    ({"cagr": 0.1, "market_share": "ramp", "target_year": 2026, "target_pct": 95}, 2025, 1_100.0, 440.0,
     440.0 * 0.15, 85.0),
    # grid factor falls 10 % a year: 0.4 x 0.9^2 = 0.324
    ({"cagr": 0.1, "grid_decline_pct": 10}, 2026, 1_210.0, 1_210 * 0.324, 1_210 * 0.324 * 0.25, 75.0),
])
def test_growth_hand_computed(growth_base, kwargs, year, elec, lb, mb, covered):
    before = growth_base.copy()
    out = sc.electricity_growth(growth_base, end_year=2030, **kwargs).set_index("year")
    assert out.index.min() == 2024 and out.index.max() == 2030
    row = out.loc[year]
    assert row["electricity_mwh"] == pytest.approx(elec)
    assert row["scope2_location_tco2e"] == pytest.approx(lb)
    assert row["scope2_market_tco2e"] == pytest.approx(mb, abs=1e-9)
    assert row["covered_share_pct"] == pytest.approx(covered)
    pd.testing.assert_frame_equal(growth_base, before)


def test_growth_ramp_never_ramps_down(growth_base):
    out = sc.electricity_growth(growth_base, cagr=0.0, market_share="ramp", target_pct=50)
    assert np.allclose(out["covered_share_pct"], 75.0)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"market_share": "linear"}, "`market_share` must be 'constant' or 'ramp', got 'linear'"),
    ({"cagr": -1}, "`cagr` must be greater than -1, got -1"),
    ({"target_pct": 120}, "`target_pct` must be at most 100, got 120"),
    ({"grid_decline_pct": -5}, "`grid_decline_pct` must be at least 0, got -5"),
    ({"end_year": 2020}, "`end_year` 2020 is before the base year 2024 of A"),
])
def test_growth_errors(growth_base, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        sc.electricity_growth(growth_base, **{"cagr": 0.1, **kwargs})


def test_demand_growth_errors():
    with pytest.raises(ConfigError, match="`end_year` must be after `start_year`"):
        sc.demand_growth(bundled.macro(), start_year=2030, end_year=2024)
    with pytest.raises(ConfigError, match="`macro` has no row datacentre_electricity_consumption / Mars / 2024"):
        sc.demand_growth(bundled.macro(), region="Mars")


@SETTINGS
@given(elec=st.floats(1, 1e8), lb=st.floats(1, 1e7), share=st.floats(0, 1), years=st.integers(0, 10))
def test_zero_growth_leaves_emissions_unchanged(elec, lb, share, years):
    base = pd.DataFrame({"fiscal_year": [2024], "electricity_total_mwh": [elec], "scope2_location_tco2e": [lb],
                         "scope2_market_tco2e": [lb * share]}, index=pd.Index(["Z"], name="ticker"))
    out = sc.electricity_growth(base, cagr=0.0, end_year=2024 + years)
    assert np.allclose(out["scope2_location_tco2e"], lb, rtol=1e-12)
    assert np.allclose(out["scope2_market_tco2e"], lb * share, rtol=1e-9, atol=1e-6)
    assert np.allclose(out["electricity_mwh"], elec, rtol=1e-12)


@SETTINGS
@given(g=st.floats(0, 0.5), share=st.floats(0, 1))
def test_growth_scales_both_methods_alike_with_constant_share(g, share):
    base = pd.DataFrame({"fiscal_year": [2024], "electricity_total_mwh": [1000.0], "scope2_location_tco2e": [300.0],
                         "scope2_market_tco2e": [300.0 * share]}, index=pd.Index(["Z"], name="ticker"))
    out = sc.electricity_growth(base, cagr=g, end_year=2030)
    factor = (1 + g) ** (out["year"] - 2024)
    assert np.allclose(out["scope2_location_tco2e"], 300.0 * factor)
    assert np.allclose(out["scope2_market_tco2e"], 300.0 * share * factor, atol=1e-9)
    assert (out["scope2_market_tco2e"] <= out["scope2_location_tco2e"] + 1e-9).all()


# ------------------------------------------------------------------------------------------------ water
@pytest.fixture
def water_base() -> pd.DataFrame:
    return pd.DataFrame({"company": ["Alpha", "Beta"], "fiscal_year": [2023, 2023],
                         "water_consumption_m3": [1_000.0, 500.0], "water_withdrawal_stressed_pct": [40.0, np.nan]},
                        index=pd.Index(["A", "B"], name="ticker"))


@pytest.mark.parametrize(("stress", "volume_mult", "exposure", "scenario_pct", "scenario_exposure"), [
    (1.0, 1.0, 400.0, 40.0, 400.0),
    (1.5, 1.0, 400.0, 60.0, 600.0),
    (3.0, 1.0, 400.0, 100.0, 1_000.0),     # the stressed share is capped at 100 %
    (1.5, 2.0, 400.0, 60.0, 1_200.0),
    (0.0, 1.0, 400.0, 0.0, 0.0),
])
def test_water_hand_computed(water_base, stress, volume_mult, exposure, scenario_pct, scenario_exposure):
    out = sc.water_stress(water_base, stress_multiplier=stress, volume_multiplier=volume_mult).set_index("ticker")
    assert out.loc["A", "exposure_m3"] == pytest.approx(exposure)
    assert out.loc["A", "scenario_stressed_pct"] == pytest.approx(scenario_pct)
    assert out.loc["A", "scenario_exposure_m3"] == pytest.approx(scenario_exposure)
    # missing stays missing: never zero, never invented
    assert out.loc["B", ["stressed_pct", "exposure_m3", "scenario_exposure_m3", "change_m3"]].isna().all()
    assert out.loc["B", "status"].startswith("stressed share not disclosed")


def test_water_several_multipliers_and_errors(water_base):
    out = sc.water_stress(water_base, stress_multiplier=[1, 2])
    assert len(out) == 4 and sorted(out["stress_multiplier"].unique()) == [1.0, 2.0]
    with pytest.raises(ConfigError, match="`volume` must be 'consumption' or 'withdrawal', got 'discharge'"):
        sc.water_stress(water_base, volume="discharge")
    with pytest.raises(ConfigError, match="`stress_multiplier` must be at least 0, got -1"):
        sc.water_stress(water_base, stress_multiplier=-1)
    with pytest.raises(ConfigError, match=r"`baseline` lacks column\(s\) \['water_withdrawal_m3'\]"):
        sc.water_stress(water_base, volume="withdrawal")


@SETTINGS
@given(vol=st.floats(0, 1e9), pct=st.one_of(st.none(), st.floats(0, 100)), m=st.floats(0, 5), vm=st.floats(0, 5))
def test_water_invariants(vol, pct, m, vm):
    base = pd.DataFrame({"water_consumption_m3": [vol],
                         "water_withdrawal_stressed_pct": [np.nan if pct is None else pct]},
                        index=pd.Index(["Z"], name="ticker"))
    row = sc.water_stress(base, stress_multiplier=m, volume_multiplier=vm).iloc[0]
    if pct is None:
        assert np.isnan(row["scenario_exposure_m3"]) and np.isnan(row["exposure_m3"])
    else:
        assert 0 <= row["scenario_exposure_m3"] <= vol * vm * (1 + 1e-12)
        assert 0 <= row["exposure_m3"] <= vol * (1 + 1e-12)


def test_no_function_modifies_its_inputs(carbon_base, growth_base, water_base):
    frames = {"carbon": carbon_base, "growth": growth_base, "water": water_base}
    before = {k: v.copy(deep=True) for k, v in frames.items()}
    prices = pd.DataFrame({"scenario": ["a"], "price_usd_per_t": [10.0]})
    prices_before = prices.copy()
    shock = sc.carbon_price_shock(carbon_base, prices)
    shock_before = shock.copy()
    sc.portfolio_weighted(shock, pd.Series({"A": 1.0}))
    sc.electricity_growth(growth_base, cagr=0.1, market_share="ramp")
    sc.water_stress(water_base, stress_multiplier=[1, 2])
    for k, v in frames.items():
        pd.testing.assert_frame_equal(v, before[k])
    pd.testing.assert_frame_equal(prices, prices_before)
    pd.testing.assert_frame_equal(shock, shock_before)


# ------------------------------------------------------------------------------------------------ real data
def test_bundled_carbon_shock_microsoft_2023():
    """Microsoft FY2023: 144,960 t Scope 1 + 393,134 t market-based Scope 2, revenue USD 211,915 m."""
    base = sc.company_baseline(bundled.disclosures())
    assert base.loc["MSFT", "fiscal_year"] == 2023
    out = sc.carbon_price_shock(base, {"EU ETS 2024 average at a test rate 1.08": 67 * 1.08})
    msft = out.set_index("ticker").loc["MSFT"]
    assert msft["emissions_tco2e"] == 538_094
    assert msft["cost_usd_m"] == pytest.approx(538_094 * 72.36 / 1e6)          # about USD 38.9 m
    assert msft["cost_pct_revenue"] == pytest.approx(100 * 38.9364818 / 211_915, rel=1e-6)
    # every default price comes from the eu_ets rows of data/macro.csv
    prices = sc.carbon_prices(bundled.macro())
    assert prices["series"].str.startswith("eu_ets_allowance_price").all()
    assert 67.0 in set(prices["price_eur_per_t"])


def test_bundled_growth_and_water_cover_only_disclosers():
    g = sc.electricity_growth(market_share="ramp", disclosures=bundled.disclosures(), macro=bundled.macro())
    d = bundled.disclosures()
    need = {"electricity_total_mwh", "scope2_location_tco2e", "scope2_market_tco2e"}
    per_year = d[d["metric"].isin(need)].groupby(["ticker", "fiscal_year"])["metric"].nunique()
    same_year = set(per_year[per_year == len(need)].index.get_level_values("ticker"))
    assert set(g["ticker"]) == same_year   # only same-year electricity + both Scope 2 figures
    assert {"AAPL", "GOOGL", "TSM"} <= same_year and len(same_year) < 10
    assert g["target_source"].notna().all()
    w = sc.water_stress(disclosures=bundled.disclosures()).set_index("ticker")
    assert w.loc["MSFT", "stressed_pct"] == 22.0 and w.loc["MSFT", "fiscal_year"] == 2021
    stressed = set(d.loc[d["metric"] == "water_withdrawal_stressed_pct", "ticker"])
    assert set(w.index[w["exposure_m3"].notna()]) <= stressed and "MSFT" in stressed
    assert w.drop(index=list(stressed & set(w.index)))["exposure_m3"].isna().all()  # no share, no exposure


@pytest.mark.parametrize(("call", "match"), [
    (lambda: sc.company_baseline(), "`disclosures` is required"),
    (lambda: sc.carbon_prices(), "`macro` is required"),
    (lambda: sc.demand_growth(), "`macro` is required"),
    (lambda: sc.water_stress(), "`disclosures` is required"),
])
def test_library_never_loads_the_bundled_data(call, match):
    """Scenario functions take frames; only esglib.bundled loads data/ (the app layer)."""
    with pytest.raises(ConfigError, match=match):
        call()


def test_carbon_shock_needs_prices(carbon_base):
    with pytest.raises(ConfigError, match="`prices` is required"):
        sc.carbon_price_shock(carbon_base)


def test_bundled_helpers_match_the_library_on_bundled_frames():
    pd.testing.assert_frame_equal(bundled.company_baseline(), sc.company_baseline(bundled.disclosures()))
    pd.testing.assert_series_equal(bundled.demand_growth(), sc.demand_growth(bundled.macro()))


def test_carbon_prices_take_the_eur_rate_from_the_fx_table_never_an_assumed_one():
    # SYNTHETIC macro rows and FX rates (not real exchange rates)
    macro = pd.DataFrame({"series": ["eu_ets_allowance_price_annual_average"] * 2, "year": [2023, 2024],
                          "value": [80.0, 60.0], "unit": ["EUR/tCO2"] * 2, "source_title": ["SYNTHETIC"] * 2})
    fx = pd.DataFrame({"currency": ["EUR"], "year": [2023], "usd_per_unit": [1.25]})
    p = sc.carbon_prices(macro, fx=fx).set_index("year")
    assert p.at[2023, "price_usd_per_t"] == 100.0 and p.at[2023, "eur_usd"] == 1.25
    assert np.isnan(p.at[2024, "price_usd_per_t"])  # no 2024 rate: no USD price
    assert np.isnan(sc.carbon_prices(macro)["price_usd_per_t"]).all()  # no table: nothing assumed
    shock = sc.carbon_price_shock(pd.DataFrame({"scope1_tco2e": [1.0], "scope2_market_tco2e": [1.0],
                                                "revenue_usd_m": [1.0]}, index=["A"]), sc.carbon_prices(macro, fx=fx))
    assert shock["price_usd_per_t"].tolist() == [100.0]
