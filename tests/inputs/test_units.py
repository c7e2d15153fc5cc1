"""esglib.inputs: one table, one mechanism; and loaded files in other units give identical canonical values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from esglib.inputs import (
    CANONICAL_UNIT,
    METRICS,
    UNIT_FAMILIES,
    convert,
    factor_to_canonical,
    family_of,
    load_disclosures,
    normalise_unit_name,
)
from esglib.inputs._units import US_GALLON_M3


@pytest.mark.parametrize(
    ("value", "unit", "family", "expected"),
    [
        (1.0, "GWh", "energy", 1_000.0),
        (2.5, "TWh", "energy", 2_500_000.0),
        (1_000.0, "kWh", "energy", 1.0),
        (3.6, "GJ", "energy", 1.0),
        (1.0, "TJ", "energy", 1_000 / 3.6),
        (29.83, "million MWh", "energy", 29_830_000.0),
        (1.0, "billion kWh", "energy", 1_000_000.0),
        (1.0, "Mt CO2e", "emissions", 1_000_000.0),
        (1.0, "MMTCO2e", "emissions", 1_000_000.0),
        (9.0, "kt CO2e", "emissions", 9_000.0),
        (1_000.0, "kg CO2e", "emissions", 1.0),
        (1.0, "metric tons CO2e", "emissions", 1.0),
        (1.0, "US gallons", "water", 0.003785411784),
        (1.0, "million US gallons", "water", 3_785.411784),
        (1.0, "billion gallons", "water", 3_785_411.784),
        (1.0, "megalitres", "water", 1_000.0),
        (1.0, "ML", "water", 1_000.0),
        (1_000.0, "litres", "water", 1.0),
        (1.0, "million m3", "water", 1_000_000.0),
        (1.0, "kt", "mass", 1_000.0),
        (1.0, "million lb", "mass", 453.59237),
        (0.42, "fraction", "percent", 42.0),
        (1.0, "GW", "power", 1_000.0),
        (1.0, "USD billions", "currency_usd", 1_000.0),
        (1_000_000.0, "USD", "currency_usd", 1.0),
        (60.0, "months", "years", 5.0),
        (1.8, "L/kWh", "water_per_energy", 1.8),
        (1.8, "m3/MWh", "water_per_energy", 1.8),
    ],
)
def test_convert_known_factors(value, unit, family, expected):
    assert convert(value, unit, family) == pytest.approx(expected, rel=1e-12)


def test_us_gallon_is_the_exact_definition():
    # 1 US gallon = 231 cubic inches = 3.785411784 litres exactly
    assert US_GALLON_M3 == pytest.approx(231 * 0.0254**3, rel=1e-15)


@pytest.mark.parametrize("spelling", ["m³", " M3 ", "Cubic  Metres", "CUBIC METERS"])
def test_unit_spellings_are_normalised(spelling):
    assert family_of(spelling) == "water"
    assert factor_to_canonical(spelling, "water") == 1.0


@pytest.mark.parametrize(("raw", "expected"), [("tCO₂e", "tco2e"), ("t CO2-e", "t co2e"), ("  kWh\t", "kwh"),
                                               ("million   US  gallons", "million us gallons")])
def test_normalise_unit_name(raw, expected):
    assert normalise_unit_name(raw) == expected


def test_every_family_has_its_canonical_unit_with_factor_one():
    assert set(CANONICAL_UNIT) == set(UNIT_FAMILIES)
    for fam, canonical in CANONICAL_UNIT.items():
        if fam == "currency_reported":  # "<ISO> millions": the unit as reported, any ISO code
            canonical = "CNY millions"
        assert factor_to_canonical(canonical, fam) == 1.0, fam
        assert next(iter(UNIT_FAMILIES[fam].values())) == 1.0, fam


def test_every_metric_uses_a_known_family_and_its_canonical_unit():
    for spec in METRICS.values():
        assert spec.family in UNIT_FAMILIES, spec.name
        assert spec.unit == CANONICAL_UNIT[spec.family], spec.name


def test_factors_are_positive_and_finite():
    for fam, table in UNIT_FAMILIES.items():
        for unit, f in table.items():
            assert math.isfinite(f) and f > 0, (fam, unit)
            assert unit == normalise_unit_name(unit), f"table key {unit!r} is not in normalised form"


def test_unit_of_another_family_is_refused_never_guessed():
    assert factor_to_canonical("GWh", "water") is None
    with pytest.raises(ValueError, match=r"unit 'GWh' is not a water unit \(accepted: m3, "):
        convert(1.0, "GWh", "water")
    with pytest.raises(ValueError, match="unit 'bananas' is not a energy unit"):
        convert(1.0, "bananas", "energy")


def test_family_of_unknown_unit_is_none():
    assert family_of("furlongs") is None
    assert family_of("gwh") == "energy"


def test_convert_round_trip_all_units():
    rng = np.random.default_rng(0)
    refused = []
    for fam, table in UNIT_FAMILIES.items():
        for unit, f in table.items():
            if factor_to_canonical(unit, fam) is None:
                refused.append(unit)
                continue
            x = float(rng.uniform(0.1, 1e6))
            assert convert(x / f, unit, fam) == pytest.approx(x, rel=1e-12), (fam, unit)
    assert refused == ["mt co2e"]  # only the ambiguous lower-case spelling (see below)


# ------------------------------------------------------------------------------------------------ loaded files
_CANONICAL_ROWS = [
    # ticker, metric, canonical value, [(other unit, value in that unit), ...]
    ("MSFT", "electricity_total_mwh", 29_830_000.0, [("GWh", "29830"), ("TWh", "29.83"), ("kWh", "29830000000"),
                                                      ("million MWh", "29.83")]),
    ("MSFT", "water_consumption_m3", 7_839_000.0, [("megalitres", "7839"), ("ML", "7839"),
                                                    ("litres", "7839000000")]),
    ("MSFT", "water_withdrawal_m3", 3_785_411.784, [("million US gallons", "1000"), ("US gallons", "1000000000")]),
    ("MSFT", "scope1_tco2e", 144_960.0, [("kt CO2e", "144.96"), ("kgCO2e", "144960000")]),
    ("MSFT", "scope3_tco2e", 15_000_000.0, [("Mt CO2e", "15"), ("million tCO2e", "15")]),
    ("MSFT", "ewaste_tonnes", 2_500.0, [("kt", "2.5"), ("kg", "2500000")]),
    ("MSFT", "renewable_share_pct", 42.0, [("fraction", "0.42"), ("percent", "42")]),
    ("MSFT", "revenue_usd_m", 245_122.0, [("USD billions", "245.122"), ("USD thousands", "245122000")]),
    ("MSFT", "server_useful_life_years", 6.0, [("months", "72")]),
    ("MSFT", "ppa_capacity_mw", 34_000.0, [("GW", "34")]),
]


def _write(path, rows):
    head = "ticker,fiscal_year,metric,value,unit,source_title,source_url\n"
    body = "".join(f"{t},{y},{m},{v},{u},SYNTHETIC unit test,https://example.invalid/{i}\n"
                   for i, (t, y, m, v, u) in enumerate(rows))
    path.write_text(head + body, encoding="utf-8")
    return path


@pytest.mark.parametrize("variant", [0, 1])
def test_loaded_file_in_other_units_gives_identical_canonical_values(tmp_path, companies, variant):
    canon = [(t, 2024, m, repr(v), METRICS[m].unit) for t, m, v, _ in _CANONICAL_ROWS]
    other = [(t, 2024, m, alts[variant % len(alts)][1], alts[variant % len(alts)][0])
             for t, m, _, alts in _CANONICAL_ROWS]
    a = load_disclosures(_write(tmp_path / "canonical.csv", canon), companies)
    b = load_disclosures(_write(tmp_path / "other.csv", other), companies)
    np.testing.assert_allclose(b["value"].to_numpy(), a["value"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(b["value"].to_numpy(), [v for *_, v, _ in _CANONICAL_ROWS], rtol=1e-12)
    assert b["unit"].tolist() == a["unit"].tolist() == [METRICS[m].unit for _, m, _, _ in _CANONICAL_ROWS]
    # the figure as written is kept beside the canonical one
    assert b["reported_unit"].tolist() == [r[4] for r in other]
    assert b["reported_value"].tolist() == [r[3] for r in other]
    assert (a["reported_unit"] == "").all()


def test_other_metrics_keep_their_unit(tmp_path, companies):
    d = load_disclosures(_write(tmp_path / "o.csv", [("MSFT", 2024, "other:datacentre_count", "300", "sites")]),
                         companies)
    assert d.loc[0, "unit"] == "sites"
    assert d.loc[0, "value"] == 300.0


def test_bundled_values_match_their_reported_units(disclosures):
    """Every bundled figure written in a non-canonical unit converts to the stored canonical value."""
    d = disclosures[disclosures["metric"].isin(list(METRICS)) & (disclosures["reported_unit"] != "")]
    d = d[d["reported_value"].str.fullmatch(r"[0-9.eE+-]+")]
    checked = 0
    for _, r in d.iterrows():
        fam = METRICS[r["metric"]].family
        if factor_to_canonical(r["reported_unit"], fam) is None:
            continue  # reported unit is a spelling for humans (e.g. 'mtCO2e' meaning metric tons)
        assert convert(float(r["reported_value"]), r["reported_unit"], fam) == pytest.approx(r["value"], rel=1e-6), (
            r["ticker"], r["metric"], r["source_row"])
        checked += 1
    assert checked > 20
    assert pd.api.types.is_float_dtype(disclosures["value"])


@pytest.mark.parametrize("unit", ["Mt CO2e", "MtCO2e", "Mt CO₂e", "Mt CO2-e"])
def test_si_megatonnes_are_accepted(unit):
    assert family_of(unit) == "emissions"
    assert convert(2.0, unit, "emissions") == 2_000_000.0


@pytest.mark.parametrize("unit", ["MT CO2e", "mt CO2e", "mtCO2e", "MTCO2E"])
def test_ambiguous_metric_tons_spelling_is_refused_not_multiplied_by_a_million(unit):
    # US reports write 'MT CO2e' / 'mtCO2e' for metric tons (the bundled NEE and MSFT sources do); SI 'Mt' is
    # megatonnes. Guessing either way can be wrong by 10^6, so the spelling is refused.
    assert family_of(unit) is None
    assert factor_to_canonical(unit, "emissions") is None
    with pytest.raises(ValueError, match="is ambiguous"):
        convert(1.0, unit, "emissions")


def test_ambiguous_unit_in_a_file_is_a_validation_error(tmp_path, companies):
    from esglib.errors import DataValidationError

    path = _write(tmp_path / "mt.csv", [("MSFT", 2024, "scope1_tco2e", "144960", "MT CO2e")])
    with pytest.raises(DataValidationError, match="unit does not fit metric scope1_tco2e") as ei:
        load_disclosures(path, companies)
    (p,) = ei.value.problems
    assert (p.file, p.row, p.column, p.value) == (str(path), 2, "unit", "MT CO2e")
