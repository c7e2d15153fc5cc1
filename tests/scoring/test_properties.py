"""Property tests (hypothesis) over SYNTHETIC universes: every company, figure and source here is generated.

Each example builds a small companies frame and a long-format disclosures table (a few metrics, a few years,
some non-disclosers, some restatements) and runs it through the real validation
(:func:`esglib.inputs.validate_disclosures` on a :class:`esglib.inputs.Table`) and the real scoring pipeline.

Values are chosen so that re-expressing a figure in another unit can never reorder two companies: volumes are
whole multiples of 1000 canonical units (at most 1000 of them) and each company's revenue is a distinct prime
above 2000, so no two intensities tie unless they are the same figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from esglib.inputs import Table, select_figures, validate_disclosures
from esglib.inputs._units import US_GALLON_M3
from esglib.scoring import PILLARS, ScoreConfig, compute_metrics, explain, score, sensitivity
from esglib.scoring._config import RATINGS

COLUMNS = ("ticker", "fiscal_year", "metric", "value", "unit", "source_title", "source_url", "data_quality",
           "report_edition")
PRIMES = [p for p in range(2003, 2400) if all(p % d for d in range(2, int(p ** 0.5) + 1))]
YEARS = (2021, 2022, 2023, 2024)

# metric -> (canonical unit, value strategy in canonical units)
_THOUSANDS = st.integers(1, 1000).map(lambda k: 1000 * k)
METRIC_VALUES = {
    "pue": ("ratio", st.integers(100, 250).map(lambda k: k / 100)),
    "electricity_total_mwh": ("MWh", _THOUSANDS),
    "scope1_tco2e": ("tCO2e", _THOUSANDS),
    "scope2_market_tco2e": ("tCO2e", st.integers(0, 1000).map(lambda k: 1000 * k)),
    "scope2_location_tco2e": ("tCO2e", _THOUSANDS),
    "water_consumption_m3": ("m3", _THOUSANDS),
    "water_replenishment_pct": ("%", st.integers(0, 300)),
    "renewable_share_pct": ("%", st.integers(0, 100)),
    "cfe_hourly_pct": ("%", st.integers(0, 100)),
    "renewable_ppa_share_pct": ("%", st.integers(0, 100)),
    "hardware_reuse_recycling_pct": ("%", st.integers(0, 100)),
    "server_useful_life_years": ("years", st.integers(3, 8)),
}
#: other spellings of a canonical figure: unit -> value in that unit, from the canonical value
OTHER_UNITS = {
    "MWh": [("GWh", lambda v: str(v // 1000)), ("kWh", lambda v: str(v * 1000))],
    "tCO2e": [("kt CO2e", lambda v: str(v // 1000)), ("tonnes CO2e", str)],
    "m3": [("ML", lambda v: str(v // 1000)), ("US gallons", lambda v: repr(v / US_GALLON_M3))],
    "%": [("percent", str), ("pct", str)],
    "ratio": [("ratio", str)],
    "years": [("months", lambda v: str(12 * v))],
}
PEERS = ("hyperscaler_cloud", "semiconductors")


def _fmt(v) -> str:
    return str(v) if isinstance(v, int) else repr(float(v))


@st.composite
def universes(draw, min_companies: int = 3, max_companies: int = 7):
    """(companies, rows): rows are dicts in canonical units. SYN0 always discloses PUE and hourly CFE."""
    n = draw(st.integers(min_companies, max_companies))
    tickers = [f"SYN{i}" for i in range(n)]
    groups = draw(st.lists(st.sampled_from(PEERS), min_size=n, max_size=n))
    revenue = draw(st.permutations(PRIMES))[:n]
    companies = pd.DataFrame({"ticker": tickers, "company": [f"Synthetic company {i}" for i in range(n)],
                              "peer_group": groups, "country": "", "yahoo_ticker": tickers,
                              "fiscal_year_end": "12-31", "disclosure_search": "synthetic"})
    rows = []
    for i, t in enumerate(tickers):
        years = sorted(draw(st.sets(st.sampled_from(YEARS), min_size=1 if i == 0 else 0, max_size=3)))
        for y in years:
            metrics = draw(st.sets(st.sampled_from(sorted(METRIC_VALUES)), min_size=1, max_size=8))
            if i == 0 and y == years[-1]:
                metrics |= {"pue", "cfe_hourly_pct"}
            if draw(st.booleans()):
                metrics.add("revenue_usd_m")
            for m in sorted(metrics):
                if m == "revenue_usd_m":
                    unit, value = "USD millions", revenue[i]
                else:
                    unit, strat = METRIC_VALUES[m]
                    value = draw(strat)
                edition = y + 1
                rows.append({"ticker": t, "fiscal_year": y, "metric": m, "value": value, "unit": unit,
                             "edition": edition})
                if m != "revenue_usd_m" and draw(st.integers(0, 9)) == 0:  # a restatement in a later edition
                    rows.append({"ticker": t, "fiscal_year": y, "metric": m, "value": draw(METRIC_VALUES[m][1]),
                                 "unit": unit, "edition": edition + 1})
    return companies, rows


def to_table(rows, units=None, order=None) -> Table:
    """SYNTHETIC disclosures table (strings, as read from a file); ``units[i]`` re-expresses row i."""
    out = []
    for i, r in enumerate(rows):
        unit, value = r["unit"], _fmt(r["value"])
        if units is not None and units[i] is not None:
            unit, conv = units[i]
            value = conv(r["value"])
        out.append([r["ticker"], str(r["fiscal_year"]), r["metric"], value, unit,
                    f"SYNTHETIC source {r['ticker']} {r['fiscal_year']}", f"https://example.invalid/{r['ticker']}",
                    "1", str(r["edition"])])
    df = pd.DataFrame(out, columns=list(COLUMNS), dtype=object).astype(str)
    if order is not None:
        df = df.iloc[order].reset_index(drop=True)
    return Table(df, "<synthetic>", None, 1, COLUMNS)


def load(rows, companies, **kw) -> pd.DataFrame:
    return validate_disclosures(to_table(rows, **kw), companies)


CONFIGS = st.sampled_from([
    ScoreConfig(),
    ScoreConfig(aggregation="geometric"),
    ScoreConfig(min_peer_size=2),
    ScoreConfig(peer_relative=False, missing_score=5.0),
    ScoreConfig(normalisation="minmax", aggregation="geometric", min_coverage=0.75),
    ScoreConfig(normalisation="zscore", carry_forward_years=0),
])


def assert_scores_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.sort_index(), b.sort_index(), check_exact=False, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------------------------ properties
@given(universes(), CONFIGS)
def test_scores_are_bounded_and_consistent(universe, cfg):
    companies, rows = universe
    d = load(rows, companies)
    s = score(d, cfg, companies=companies)
    assert len(s) == len(companies) and set(s.index) == set(companies["ticker"])
    vals = s[[*PILLARS, "composite_indicative"]].to_numpy(dtype=float)
    foot = s[["energy", "water", "procurement", "circularity"]]
    assert np.all((vals >= 0) & (vals <= 100) | np.isnan(vals))
    # a footprint pillar is NaN only for a peer group where none of its applicable KPIs is scorable (v2)
    assert not foot[["water", "procurement", "circularity"]].isna().any().any()
    assert s["coverage"].between(0, 1).all()
    withheld = s["flags"].str.contains("composite_withheld_coverage_below")
    assert (s.loc[s["coverage"] < cfg.min_coverage - 1e-12, "composite"].isna()).all()
    assert (s["composite"].isna() == withheld).all()
    assert (s.loc[withheld, "rating"] == "NR").all()
    assert s.loc[~withheld, "rating"].isin(RATINGS).all()
    # explain: contributions sum to the composite (before withholding)
    t = "SYN0"
    ex = explain(t, d, cfg, companies=companies)
    assert ex["contribution"].sum() == pytest.approx(s.at[t, "composite_indicative"], rel=1e-9, abs=1e-9)
    assert (ex.loc[ex["value"].notna() & (ex["pillar"] != "disclosure"), "source"]
            .str.startswith("SYNTHETIC source SYN0")).all()


@given(universes(), st.randoms(use_true_random=False), CONFIGS)
def test_invariant_to_row_order(universe, rnd, cfg):
    companies, rows = universe
    base = score(load(rows, companies), cfg, companies=companies)
    order = list(range(len(rows)))
    rnd.shuffle(order)
    corder = list(range(len(companies)))
    rnd.shuffle(corder)
    shuffled_companies = companies.iloc[corder].reset_index(drop=True)
    again = score(load(rows, shuffled_companies, order=order), cfg, companies=shuffled_companies)
    assert_scores_equal(base, again)


@given(universes(), st.data(), st.sampled_from(["arithmetic", "geometric"]))
def test_invariant_to_units(universe, data, agg):
    companies, rows = universe
    units = [data.draw(st.sampled_from(OTHER_UNITS[r["unit"]])) if r["unit"] in OTHER_UNITS else None for r in rows]
    a = load(rows, companies)
    b = load(rows, companies, units=units)
    np.testing.assert_allclose(b["value"].to_numpy(), a["value"].to_numpy(), rtol=1e-12)
    assert (a["unit"] == b["unit"]).all()
    cfg = ScoreConfig(aggregation=agg)
    assert_scores_equal(score(a, cfg, companies=companies), score(b, cfg, companies=companies))


def _change(d: pd.DataFrame, ticker: str, metric: str, fn) -> pd.DataFrame:
    """Change the chosen (newest-edition, latest-year) figure of ``ticker``/``metric``."""
    rows = d[(d["ticker"] == ticker) & (d["metric"] == metric)]
    latest = rows[rows["fiscal_year"] == rows["fiscal_year"].max()]
    out = d.copy()
    out.loc[latest.index, "value"] = latest["value"].map(fn)
    return out


@given(universes(), st.integers(1, 150), st.sampled_from(["arithmetic", "geometric"]))
def test_lower_pue_never_lowers_energy_or_composite(universe, cents, agg):
    companies, rows = universe
    cfg = ScoreConfig(aggregation=agg)
    d = load(rows, companies)
    better = _change(d, "SYN0", "pue", lambda v: max(1.0, v - cents / 100))
    a, b = score(d, cfg, companies=companies), score(better, cfg, companies=companies)
    # (PUE applies to data-centre operators only: for a chip maker the energy pillar does not move)
    assert np.nan_to_num(b.at["SYN0", "energy"]) >= np.nan_to_num(a.at["SYN0", "energy"]) - 1e-9
    assert b.at["SYN0", "composite_indicative"] >= a.at["SYN0", "composite_indicative"] - 1e-9
    # nothing else about SYN0 moves
    for col in ("water", "procurement", "circularity", "disclosure", "coverage"):
        assert b.at["SYN0", col] == pytest.approx(a.at["SYN0", col], nan_ok=True)


@given(universes(), st.integers(1, 100), st.sampled_from(["arithmetic", "geometric"]))
def test_higher_hourly_cfe_never_lowers_procurement_or_composite(universe, points, agg):
    companies, rows = universe
    cfg = ScoreConfig(aggregation=agg)
    d = load(rows, companies)
    better = _change(d, "SYN0", "cfe_hourly_pct", lambda v: min(100.0, v + points))
    a, b = score(d, cfg, companies=companies), score(better, cfg, companies=companies)
    assert b.at["SYN0", "procurement"] >= a.at["SYN0", "procurement"] - 1e-9
    assert b.at["SYN0", "composite_indicative"] >= a.at["SYN0", "composite_indicative"] - 1e-9
    for col in ("energy", "water", "circularity", "disclosure", "coverage"):
        assert b.at["SYN0", col] == pytest.approx(a.at["SYN0", col], nan_ok=True)


@given(universes(max_companies=5))
def test_inputs_are_never_mutated(universe):
    companies, rows = universe
    table = to_table(rows)
    frame0, companies0 = table.frame.copy(deep=True), companies.copy(deep=True)
    d = validate_disclosures(table, companies)
    pd.testing.assert_frame_equal(table.frame, frame0)
    pd.testing.assert_frame_equal(companies, companies0)
    d0 = d.copy(deep=True)
    sel = select_figures(d)
    pd.testing.assert_frame_equal(d, d0)
    sel0 = sel.copy(deep=True)
    k = compute_metrics(sel)
    pd.testing.assert_frame_equal(sel, sel0)
    k0 = k.copy(deep=True)
    s = score(d, companies=companies)
    score(kpis=k, companies=companies)
    pd.testing.assert_frame_equal(k, k0)
    explain("SYN0", d, companies=companies)
    s0 = s.copy(deep=True)
    sensitivity(s, n=20)
    pd.testing.assert_frame_equal(s, s0)
    pd.testing.assert_frame_equal(d, d0)
    pd.testing.assert_frame_equal(companies, companies0)


@given(universes(), st.integers(0, 2**32 - 1))
def test_sensitivity_ranks_bracket_the_base_rank_under_tight_draws(universe, seed):
    companies, rows = universe
    s = score(load(rows, companies), ScoreConfig(min_coverage=0.0), companies=companies)
    se = sensitivity(s, n=50, concentration=1e9, seed=seed)
    assert (se["rank_low"] == se["rank"]).all() and (se["rank_high"] == se["rank"]).all()
    wide = sensitivity(s, n=200, concentration=1.0, seed=seed)
    assert wide["rank_low"].between(1, len(wide)).all() and wide["rank_high"].between(1, len(wide)).all()
    assert (wide["rank_low"] <= wide["rank_median"]).all() and (wide["rank_median"] <= wide["rank_high"]).all()
