"""esglib.scoring: the frozen core fixture (hand-computed answer), configuration, ratings, flags, year and
point-in-time selection, explain and sensitivity. Frames built here are SYNTHETIC unless they come from the
bundled data fixtures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from esglib.errors import ConfigError
from esglib.inputs import data_as_of
from esglib.scoring import (
    CORE_DISCLOSURES,
    FOOTPRINT_PILLARS,
    KPI_SPECS,
    PILLARS,
    ScoreConfig,
    aggregate,
    explain,
    parse_weights,
    score,
    score_to_band,
    sensitivity,
)
from esglib.scoring._score import _coin_winsorise

SCORE_COLUMNS = ["rank", "company", "peer_group", "fiscal_year", *PILLARS, "composite", "rating", "coverage",
                 "composite_indicative", "flags", "n_figures"]
THIRD, TWO_THIRDS = 100 / 3, 200 / 3


def flags_of(scores, ticker) -> list[str]:
    f = scores.at[ticker, "flags"]
    return f.split("; ") if f else []


# ------------------------------------------------------------------------------------------------ core fixture
@pytest.fixture(scope="module")
def core_scores(core_disclosures, core_companies):
    return score(core_disclosures, companies=core_companies)


class TestCoreFixture:
    """tests/fixtures/core: the answer below is derived by hand in tests/fixtures/core/README.md (methodology v2).

    The three cloud companies form a peer group of 3 (< ``min_peer_size`` 5): every peer-ranked KPI is unscored
    for the group (shown, counted for coverage), so the pillars come from the reference-point KPIs.
    """

    @pytest.fixture
    def scores(self, core_scores):
        return core_scores

    PUE = {"AAA": 100 - 0.1 * 50 / 0.58, "BBB": 100 - 0.3 * 50 / 0.58, "CCC": 100 - 0.5 * 50 / 0.58}
    EXPECTED = {
        #        energy           water  procurement                         circularity  disclosure
        "AAA": (PUE["AAA"], 0.0, (100 + 0 + 0.5 * (1 + 0.99 * 60)) / 3, 0.0, 62.5),
        "BBB": (PUE["BBB"], 0.0, (50.5 + 50.5) / 3, 0.0, 50.0),
        "CCC": (PUE["CCC"], 0.0, 100 / 3, 0.0, 37.5),
        "NNN": (np.nan, 0.0, 0.0, 0.0, 0.0),  # a chip maker: PUE does not apply, the energy KPIs are unscored
    }
    COVERAGE = {"AAA": (3 / 3.5 + 1 / 5.5 + 1.5 / 3 + 1 / 3) / 4, "BBB": (2 / 3.5 + 1 / 5.5 + 2 / 3 + 1 / 3) / 4,
                "CCC": (2 / 3.5 + 0 + 1 / 3 + 1 / 3) / 4, "NNN": 0.0}
    LOOSE = ScoreConfig(min_coverage=0.0, min_kpi_share=0.0)

    def test_pillars(self, scores):
        for t, pillars in self.EXPECTED.items():
            np.testing.assert_allclose(scores.loc[t, list(PILLARS)].to_numpy(float), pillars, atol=1e-9, err_msg=t)
        # PUE against the reference points 1.0 -> 100 and 1.58 -> 50: 1.1 -> 91.379, 1.3 -> 74.138, 1.5 -> 56.897
        assert scores.at["AAA", "energy"] == pytest.approx(91.37931, abs=1e-5)
        assert scores.at["CCC", "energy"] == pytest.approx(56.89655, abs=1e-5)

    def test_composite_rating_coverage(self, scores):
        composite = {t: np.nanmean(p) for t, p in self.EXPECTED.items()}  # equal weights over present pillars
        for t in ["AAA", "BBB", "CCC", "NNN"]:
            assert scores.at[t, "composite_indicative"] == pytest.approx(composite[t], abs=1e-9), t
        assert scores["coverage"].to_dict() == pytest.approx(self.COVERAGE)
        # coverage below 0.5 and fewer than half the applicable KPIs disclosed: every composite is withheld
        assert scores["composite"].isna().all() and (scores["rating"] == "NR").all()
        loose = core_loose = score_fixture(self.LOOSE)
        assert core_loose["composite"].to_dict() == pytest.approx(
            {"AAA": composite["AAA"], "BBB": composite["BBB"], "CCC": composite["CCC"], "NNN": 0.0})
        assert loose["rating"].to_dict() == {"AAA": "BB", "BBB": "BB", "CCC": "B", "NNN": "CCC"}
        assert loose["rank"].tolist() == [1, 2, 3, 4]
        assert loose.index.tolist() == ["AAA", "BBB", "CCC", "NNN"]

    def test_non_discloser_stays_in_with_nr(self, scores):
        n = scores.loc["NNN"]
        assert pd.isna(n["composite"]) and n["rating"] == "NR" and n["composite_indicative"] == 0.0
        assert pd.isna(n["fiscal_year"]) and n["n_figures"] == 0 and n["peer_group"] == "semiconductors"
        assert flags_of(scores, "NNN") == ["no_energy_disclosure", "no_water_disclosure", "no_procurement_disclosure",
                                           "no_circularity_disclosure", "composite_withheld_coverage_below_0.5"]

    def test_flags(self, scores):
        # v2: a 100 % claim without an instrument split is flagged whatever the hourly CFE (AAA); the certificate
        # flag needs a disclosed certificate share (none here); undated figures carry published_on_estimated
        withheld = "composite_withheld_coverage_below_0.5"
        assert flags_of(scores, "AAA") == ["100pct_renewable_claim_without_instrument_detail", "published_on_estimated",
                                           "kpi_unscored_small_peer_set", withheld]
        assert flags_of(scores, "BBB") == ["published_on_estimated", "kpi_unscored_small_peer_set", withheld]
        assert flags_of(scores, "CCC") == ["100pct_renewable_claim_without_instrument_detail", "no_water_disclosure",
                                           "published_on_estimated", "figure_choice_among_editions",
                                           "kpi_unscored_small_peer_set", withheld]

    def test_other_columns(self, scores):
        assert list(scores.columns) == SCORE_COLUMNS
        assert scores["n_figures"].to_dict() == {"AAA": 10, "BBB": 9, "CCC": 7, "NNN": 0}
        assert scores["fiscal_year"].tolist()[:3] == [2024, 2024, 2024]
        assert scores.at["AAA", "company"] == "Synthetic Alpha Cloud"
        assert isinstance(scores.attrs["config"], ScoreConfig)
        assert scores.attrs["year"] is None and scores.attrs["as_of"] == data_as_of()  # the data's as-of date

    def test_geometric_aggregation(self, core_disclosures, core_companies, scores):
        cfg = self.LOOSE.replace(aggregation="geometric")
        geo = score(core_disclosures, cfg, companies=core_companies)
        for t in ["AAA", "BBB", "CCC"]:
            p = np.maximum(np.array(self.EXPECTED[t]), 1.0)  # floored at geometric_floor = 1 (water 0 -> 1)
            assert geo.at[t, "composite"] == pytest.approx(float(np.prod(p ** 0.2)), rel=1e-9), t
            assert geo.at[t, "composite"] <= scores.at[t, "composite_indicative"]  # AM-GM
        # a zero pillar drags the geometric composite far more than the arithmetic one
        assert geo.at["CCC", "composite"] / scores.at["CCC", "composite_indicative"] < 0.6
        assert geo.at["NNN", "composite_indicative"] == pytest.approx(1.0)  # all present pillars at the floor

    def test_missing_kpi_scores_exactly_missing_score(self, core_disclosures, core_companies):
        s = score(core_disclosures, ScoreConfig(missing_score=10.0), companies=core_companies)
        assert s.at["CCC", "water"] == 10.0  # no scorable water KPI disclosed: every one at missing_score
        assert s.at["BBB", "procurement"] == pytest.approx((50.5 + 50.5 + 0.5 * 10 + 0.5 * 10) / 3)
        assert s.at["NNN", "circularity"] == s.at["NNN", "water"] == 10.0
        ex = explain("CCC", core_disclosures, ScoreConfig(missing_score=10.0), companies=core_companies)
        missing = ex[ex["status"] == "missing"]
        assert (missing["source"] == "not disclosed").all()
        assert (missing.loc[missing["weight_in_pillar"] > 0, "metric_score"] == 10.0).all()
        assert len(missing[missing["weight_in_pillar"] > 0]) == 9  # 5 water, 3 procurement, 1 circularity
        assert missing["peer_percentile"].isna().all()

    def test_disclosed_values_score_strictly_above_missing(self, core_disclosures, core_companies):
        for norm in ("percentile", "minmax", "zscore"):
            ex = explain("CCC", core_disclosures, ScoreConfig(normalisation=norm), companies=core_companies)
            disclosed = ex[(ex["status"] == "scored") & (ex["pillar"] != "disclosure")]
            assert len(disclosed) and (disclosed["metric_score"] >= 1).all(), norm

    @pytest.mark.parametrize(("min_coverage", "withheld"), [(0.3, False), (0.309, False), (0.31, True), (1.0, True)])
    def test_composite_withheld_below_min_coverage(self, core_disclosures, core_companies, min_coverage, withheld):
        cfg = ScoreConfig(min_coverage=min_coverage, min_kpi_share=0.0)
        s = score(core_disclosures, cfg, companies=core_companies)
        assert s.at["CCC", "coverage"] == pytest.approx(0.3095238, abs=1e-7)
        assert s.at["CCC", "composite_indicative"] == pytest.approx(np.mean(self.EXPECTED["CCC"]))
        assert pd.isna(s.at["CCC", "composite"]) is withheld
        assert (s.at["CCC", "rating"] == "NR") is withheld
        flag = f"composite_withheld_coverage_below_{min_coverage:g}"
        assert (flag in flags_of(s, "CCC")) is withheld
        assert pd.isna(s.at["CCC", "rank"]) is withheld

    @pytest.mark.parametrize(("min_kpi_share", "withheld"), [(0.2, False), (4 / 19, False), (0.22, True)])
    def test_composite_withheld_below_min_kpi_share(self, core_disclosures, core_companies, min_kpi_share, withheld):
        # CCC discloses 4 of its 19 applicable scored KPIs (carbon, PUE, renewable share, server life)
        s = score(core_disclosures, ScoreConfig(min_coverage=0.0, min_kpi_share=min_kpi_share),
                  companies=core_companies)
        assert pd.isna(s.at["CCC", "composite"]) is withheld

    def test_year_selects_that_year_within_the_carry_forward_window(self, core_disclosures, core_companies):
        s = score(core_disclosures, year=2026, companies=core_companies)  # window 2024..2026: 2024 kept
        assert s["fiscal_year"].tolist()[:3] == [2024] * 3
        base = score(core_disclosures, companies=core_companies)
        pd.testing.assert_series_equal(s["composite_indicative"], base["composite_indicative"])
        assert s.attrs["year"] == 2026
        last = 2024 + ScoreConfig().carry_forward_years  # the last year whose window still holds 2024
        kept = score(core_disclosures, year=last, companies=core_companies)
        pd.testing.assert_series_equal(kept["composite_indicative"], base["composite_indicative"])
        gone = score(core_disclosures, year=last + 1, companies=core_companies)  # 2024 is out of the window
        assert gone["composite"].isna().all() and (gone["rating"] == "NR").all()
        assert (gone[list(PILLARS)].fillna(0) == 0).all().all()
        before = score(core_disclosures, year=2023, companies=core_companies)  # no look-ahead to 2024
        assert (before["coverage"] == 0).all()
        short = score(core_disclosures, ScoreConfig(carry_forward_years=1), year=2026, companies=core_companies)
        assert (short["coverage"] == 0).all()

    def test_as_of(self, core_disclosures, core_companies):
        # undated FY2024 figures (Dec year end) count from 2024-12-31 + 365 days = 2025-12-31
        assert (score(core_disclosures, companies=core_companies, as_of="2025-12-30")["coverage"] == 0).all()
        s = score(core_disclosures, companies=core_companies, as_of="2025-12-31")
        assert s.attrs["as_of"] == "2025-12-31"
        assert s["coverage"].to_dict() == pytest.approx(self.COVERAGE)
        # CCC's 2025-edition restatement is known by then too: scope 1 = 500
        ex = explain("CCC", core_disclosures, companies=core_companies, as_of="2025-12-31")
        assert ex.set_index("metric").at["carbon_intensity", "value"] == 30.0
        assert ex.set_index("metric").at["carbon_intensity", "published_on"] == "2025-12-31 (estimated)"

    def test_inputs_not_modified(self, core_disclosures, core_companies):
        d0, c0 = core_disclosures.copy(deep=True), core_companies.copy(deep=True)
        s = score(core_disclosures, self.LOOSE, companies=core_companies)
        explain("AAA", core_disclosures, companies=core_companies)
        s0 = s.copy(deep=True)
        sensitivity(s, n=50)
        pd.testing.assert_frame_equal(core_disclosures, d0)
        pd.testing.assert_frame_equal(core_companies, c0)
        pd.testing.assert_frame_equal(s, s0)


def score_fixture(cfg: ScoreConfig) -> pd.DataFrame:
    """Score the core fixture with ``cfg`` (loaded here so that module-scoped fixtures stay untouched)."""
    from pathlib import Path

    from esglib.inputs import load_companies, load_disclosures

    root = Path(__file__).resolve().parents[1] / "fixtures" / "core"
    c = load_companies(root / "companies.csv")
    return score(load_disclosures(root / "disclosures.csv", c), cfg, companies=c)


# ------------------------------------------------------------------------------------------------ peer groups
def kpi_frame(values: dict[str, float], year: int = 2024, kpi: str = "carbon_intensity") -> pd.DataFrame:
    """SYNTHETIC compute_metrics-shaped frame with one KPI disclosed (a peer-ranked one by default)."""
    k = pd.DataFrame({"ticker": list(values), "fiscal_year": year})
    for name in KPI_SPECS:
        k[name] = np.nan
    k[kpi] = list(values.values())
    return k


def synthetic_companies(groups: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"ticker": list(groups), "company": [f"Synthetic {t}" for t in groups],
                         "peer_group": list(groups.values())})


PEER_CARBON = {"A1": 1.1, "A2": 1.2, "A3": 1.3, "A4": 1.4, "A5": 1.5, "B1": 1.05, "B2": 1.6}
PEER_GROUPS = {t: ("hardware" if t.startswith("A") else "semiconductors") for t in PEER_CARBON}


def kpi_scores_of(cfg: ScoreConfig, values=None, groups=None, kpi: str = "carbon_intensity") -> pd.Series:
    from esglib.scoring._score import _detail

    values = PEER_CARBON if values is None else values
    groups = PEER_GROUPS if groups is None else groups
    det = _detail(None, synthetic_companies(groups), cfg, None, None, kpis=kpi_frame(values, kpi=kpi))
    return det.kpi_scores[kpi].reindex(list(values))


def test_peer_group_with_enough_disclosers_is_ranked_within_itself():
    got = kpi_scores_of(ScoreConfig(min_peer_size=5))
    # v2: 1 + 99 (rank - 1) / (n - 1): the best discloser scores 100, the worst 1
    np.testing.assert_allclose(got[["A1", "A2", "A3", "A4", "A5"]], [100, 75.25, 50.5, 25.75, 1])


def test_small_peer_group_is_unscored_not_ranked_against_the_universe():
    # v2 (docs/methodology.md s.3): no universe fallback; B has 2 disclosers < 5 -> unscored for the group
    got = kpi_scores_of(ScoreConfig(min_peer_size=5))
    assert got[["B1", "B2"]].isna().all()
    s = score(kpis=kpi_frame(PEER_CARBON), companies=synthetic_companies(PEER_GROUPS))
    assert "kpi_unscored_small_peer_set" in flags_of(s, "B1")
    assert "kpi_unscored_small_peer_set" not in flags_of(s, "A1")
    got = kpi_scores_of(ScoreConfig(min_peer_size=2))
    np.testing.assert_allclose(got[["B1", "B2"]], [100, 1])
    got = kpi_scores_of(ScoreConfig(min_peer_size=6))  # now A is unscored too
    assert got.isna().all()


def test_peer_relative_false_ranks_against_the_universe():
    got = kpi_scores_of(ScoreConfig(peer_relative=False))
    order = sorted(PEER_CARBON, key=PEER_CARBON.get, reverse=True)  # worst first
    np.testing.assert_allclose(got[order], [1 + 99 * i / 6 for i in range(7)])


def test_explain_names_the_comparison_group(disclosures, companies):
    ex = explain("INTC", disclosures, companies=companies).set_index("metric")
    kpis = ex[ex["pillar"] != "disclosure"]
    assert all(c == "semiconductors" or c.startswith(("reference points", "unscored", "not applicable"))
               for c in kpis["compared_with"])
    assert ex.at["pue", "compared_with"].startswith("not applicable")  # a chip maker runs no data-centre fleet
    assert ex.at["disclosure_completeness", "compared_with"] == "absolute"
    ex = explain("GOOGL", disclosures, companies=companies).set_index("metric")
    assert ex.at["renewable_share", "compared_with"] == "reference points 0->1, 100->100"


def test_ties_share_the_average_rank():
    got = kpi_scores_of(ScoreConfig(min_peer_size=2), {"A1": 1.2, "A2": 1.2, "A3": 1.4},
                        {"A1": "hardware", "A2": "hardware", "A3": "hardware"})
    assert got[["A1", "A2"]].tolist() == pytest.approx([1 + 99 * 1.5 / 2] * 2)
    assert got["A3"] == 1.0


def test_kpis_path_requires_every_kpi_column():
    k = kpi_frame({"A1": 1.2}).drop(columns=["wue"])
    with pytest.raises(ConfigError, match=r"`kpis` lacks column\(s\) \['wue'\]"):
        score(kpis=k, companies=synthetic_companies({"A1": "hardware"}))


def test_kpis_path_disclosure_pillar_is_share_of_kpis_present():
    s = score(kpis=kpi_frame({"A1": 1.2}), companies=synthetic_companies({"A1": "hardware"}))
    n_applicable = sum(spec.applies_to == "all" for spec in KPI_SPECS.values())  # hardware: no data-centre KPIs
    assert s.at["A1", "disclosure"] == pytest.approx(100 / n_applicable)
    assert s.at["A1", "n_figures"] == 1


# ------------------------------------------------------------------------------------------------ normalisation
@pytest.mark.parametrize("norm", ["percentile", "minmax", "zscore"])
@pytest.mark.parametrize("agg", ["arithmetic", "geometric"])
def test_bundled_scores_are_bounded(disclosures, companies, norm, agg):
    s = score(disclosures, ScoreConfig(normalisation=norm, aggregation=agg), companies=companies)
    vals = s[[*PILLARS, "composite_indicative"]].to_numpy(float)
    assert np.nanmin(vals) >= 0 and np.nanmax(vals) <= 100
    assert s["coverage"].between(0, 1).all()
    assert len(s) == len(companies) and set(s.index) == set(companies["ticker"])


def test_minmax_scale():
    got = kpi_scores_of(ScoreConfig(normalisation="minmax", min_peer_size=1, winsorise=False),
                        {"A1": 1.1, "A2": 1.3, "A3": 1.5}, {"A1": "hardware", "A2": "hardware", "A3": "hardware"})
    np.testing.assert_allclose(got, [100, 50.5, 1])


def test_coin_winsorisation_clips_the_outlier_only():
    v = pd.Series([1.0, 1.1, 0.9, 1.05, 0.95, 1.0, 1.02, 0.98, 1.01, 50.0])
    w = _coin_winsorise(v)
    assert w.iloc[-1] == 1.1  # clipped to the next most extreme point
    pd.testing.assert_series_equal(w.iloc[:-1], v.iloc[:-1])
    assert v.iloc[-1] == 50.0  # input untouched
    calm = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0])
    pd.testing.assert_series_equal(_coin_winsorise(calm), calm)


def test_aggregate_function():
    P = pd.DataFrame([[50.0, 50, 50, 50, 50], [100.0, 0, 100, 100, 100]], columns=list(PILLARS))
    np.testing.assert_allclose(aggregate(P, ScoreConfig()), [50, 80])
    geo = aggregate(P, ScoreConfig(aggregation="geometric"))
    np.testing.assert_allclose(geo, [50, math.exp(0.8 * math.log(100))])
    # a pillar without a scorable KPI (NaN) is left out and the other weights rescaled
    P.loc[1, "water"] = np.nan
    np.testing.assert_allclose(aggregate(P, ScoreConfig()), [50, 100])


# ------------------------------------------------------------------------------------------------ ratings
@pytest.mark.parametrize(("x", "band"), [
    (0.0, "CCC"), (100 / 7 - 1e-9, "CCC"), (100 / 7, "B"), (200 / 7 - 1e-9, "B"), (200 / 7, "BB"), (300 / 7, "BBB"),
    (400 / 7 - 1e-9, "BBB"), (400 / 7, "A"), (500 / 7, "AA"), (600 / 7 - 1e-9, "AA"), (600 / 7, "AAA"),
    (100.0, "AAA"), (-1.0, "CCC"), (150.0, "AAA"), (float("nan"), "NR"),
])
def test_score_to_band_edges(x, band):
    assert score_to_band(x) == band


def test_score_to_band_shapes_and_custom_edges():
    s = pd.Series([10.0, np.nan, 90.0], index=["a", "b", "c"], name="composite")
    out = score_to_band(s)
    assert out.tolist() == ["CCC", "NR", "AAA"] and out.index.tolist() == ["a", "b", "c"] and out.name == "composite"
    assert score_to_band(np.array([10.0, 50.0])).tolist() == ["CCC", "BBB"]
    assert score_to_band([50.0], edges=(10, 20, 30, 40, 50, 60)).tolist() == ["AA"]
    assert score_to_band(5.0, edges=(5,), labels=("low", "high"), missing="?") == "high"
    assert score_to_band(float("nan"), edges=(5,), labels=("low", "high"), missing="?") == "?"
    with pytest.raises(ConfigError, match=r"`edges` needs 6 cut-offs for 7 labels, got 2"):
        score_to_band(50.0, edges=(10, 20))


def test_default_band_edges_are_equal_width():
    assert ScoreConfig().band_edges == pytest.approx(tuple(100 * i / 7 for i in range(1, 7)))


# ------------------------------------------------------------------------------------------------ flags (synthetic)
def _rows(companies_, *rows):
    from esglib.inputs import Table, validate_disclosures

    cols = ["ticker", "fiscal_year", "metric", "value", "unit", "basis", "data_quality", "source_title"]
    df = pd.DataFrame([[str(x) for x in r] for r in rows], columns=cols)
    return validate_disclosures(Table(df, "<synthetic>", None, 1, tuple(cols)), companies_)


def test_design_pue_and_secondary_source_flags(core_companies):
    d = _rows(core_companies,
              ("AAA", 2024, "pue", 1.1, "ratio", "design", 3, "SYNTHETIC"),
              ("AAA", 2024, "renewable_share_pct", 50, "%", "", 3, "SYNTHETIC"),
              ("BBB", 2024, "pue", 1.3, "ratio", "", 1, "SYNTHETIC"),
              ("BBB", 2024, "renewable_share_pct", 100, "%", "", 1, "SYNTHETIC"),
              ("BBB", 2024, "renewable_ppa_share_pct", 100, "%", "", 1, "SYNTHETIC"))
    s = score(d, companies=core_companies)
    assert "pue_design_value_only" in flags_of(s, "AAA")
    assert "mostly_secondary_sources" in flags_of(s, "AAA")
    assert "pue_design_value_only" not in flags_of(s, "BBB")
    assert "mostly_secondary_sources" not in flags_of(s, "BBB")
    assert "100pct_renewable_claim_without_instrument_detail" not in flags_of(s, "BBB")  # PPA detail given


def test_hourly_cfe_is_not_instrument_detail(core_companies):
    # v2 (docs/methodology.md s.2): only an instrument split (PPA, tariff or certificate share or MWh) counts;
    # hourly CFE and onsite MWh alone do not
    d = _rows(core_companies,
              ("AAA", 2024, "renewable_share_pct", 100, "%", "", 1, "SYNTHETIC"),
              ("BBB", 2024, "renewable_share_pct", 100, "%", "", 1, "SYNTHETIC"),
              ("BBB", 2024, "cfe_hourly_pct", 64, "%", "", 1, "SYNTHETIC"),
              ("CCC", 2024, "renewable_share_pct", 100, "%", "", 1, "SYNTHETIC"),
              ("CCC", 2024, "renewable_unbundled_eac_share_pct", 70, "%", "", 1, "SYNTHETIC"))
    s = score(d, companies=core_companies)
    assert "100pct_renewable_claim_without_instrument_detail" in flags_of(s, "AAA")
    assert "100pct_renewable_claim_without_instrument_detail" in flags_of(s, "BBB")
    assert "100pct_renewable_claim_without_instrument_detail" not in flags_of(s, "CCC")
    assert "certificate_reliance" in flags_of(s, "CCC") and "certificate_reliance" not in flags_of(s, "AAA")


def test_flags_on_bundled_data(disclosures, companies):
    s = score(disclosures, companies=companies)
    no_water = s[s["flags"].str.contains("no_water_disclosure")]
    assert (no_water["water"].fillna(0) == 0).all()
    has_water = s[~s["flags"].str.contains("no_water_disclosure")]
    assert (has_water["water"].fillna(0) >= 0).all() and len(has_water)
    withheld = s["flags"].str.contains("composite_withheld_coverage_below_0.5")
    assert (withheld == s["composite"].isna()).all()


# ------------------------------------------------------------------------------------------------ bundled data
def test_bundled_universe_non_disclosers_stay_in(disclosures, companies):
    s = score(disclosures, companies=companies)
    assert len(s) == len(companies) == 47
    silent = s[s["coverage"] == 0]  # no footprint KPI disclosed (revenue or targets alone do not cover one)
    assert len(silent) >= 5
    assert (silent["rating"] == "NR").all() and silent["composite"].isna().all()
    assert (s.loc[s["n_figures"] == 0, "composite_indicative"] == 0).all()  # nothing on file scores nothing
    assert (silent["composite_indicative"] < s["composite_indicative"].max()).all()
    rated = s[s["composite"].notna()]
    assert rated["rank"].tolist() == list(range(1, len(rated) + 1))
    assert rated["composite"].is_monotonic_decreasing
    assert (rated["coverage"] >= 0.5).all()
    assert list(s.columns) == SCORE_COLUMNS


def test_year_on_bundled_data(disclosures, companies):
    s = score(disclosures, year=2023, companies=companies)
    cfg = s.attrs["config"]
    oldest = 2023 - cfg.carry_forward_years
    assert s["fiscal_year"].dropna().between(oldest, 2023).all()  # the newest year used, within the window
    assert (s["fiscal_year"] == 2023).any()
    ex = explain("GOOGL", disclosures, year=2023, companies=companies)
    years = ex.loc[ex["pillar"] != "disclosure", "fiscal_year"].dropna()
    assert len(years) and years.between(oldest, 2023).all()


def test_year_must_be_a_whole_year(disclosures, companies):
    with pytest.raises(ConfigError, match=r"`year` must be a whole year, got 'latest'"):
        score(disclosures, year="latest", companies=companies)


def test_as_of_no_look_ahead_bundled(disclosures, companies):
    from esglib.inputs import figure_publication

    # NVIDIA FY2025 ends 2025-01-31: its footprint figures count from their published_on (undated: 2026-01-31);
    # its FY2025 revenue (10-K) alone makes no KPI
    pub = figure_publication(disclosures, companies)
    nv = ((disclosures["ticker"] == "NVDA") & (disclosures["fiscal_year"] == 2025)
          & ~disclosures["metric"].str.startswith("revenue"))
    first = pub.loc[nv, "known_from"].min()
    before = score(disclosures, companies=companies, as_of=first - pd.Timedelta(days=1))
    after = score(disclosures, companies=companies, as_of=first)
    assert before.at["NVDA", "fiscal_year"] == 2024
    assert after.at["NVDA", "fiscal_year"] == 2025


def test_scores_are_deterministic(disclosures, companies):
    pd.testing.assert_frame_equal(score(disclosures, companies=companies), score(disclosures, companies=companies))


def test_default_disclosures_are_the_bundled_ones(disclosures, companies):
    from esglib.app import bundled

    pd.testing.assert_frame_equal(bundled.score(), score(disclosures, companies=companies, fx=bundled.fx_rates()))


def test_score_needs_the_frames(disclosures):
    with pytest.raises(ConfigError, match="`companies` is required"):
        score(disclosures)


# ------------------------------------------------------------------------------------------------ config
@pytest.mark.parametrize(("kwargs", "match"), [
    ({"pillar_weights": {"energy": 1, "carbon": 1}}, r"`pillar_weights` has unknown pillar\(s\) \['carbon'\]"),
    ({"pillar_weights": {"energy": -1}}, r"`pillar_weights` must be finite and >= 0"),
    ({"pillar_weights": {"energy": float("nan")}}, r"`pillar_weights` must be finite and >= 0"),
    ({"pillar_weights": {p: 0 for p in PILLARS}}, r"`pillar_weights` must not all be zero"),
    ({"metric_weights": {"energy": {"wue": 1.0}}},
     r"`metric_weights\['energy'\]` has 'wue', which is not a energy KPI"),
    ({"metric_weights": {"energy": {"pue": -1.0}}}, r"`metric_weights\['energy'\]\['pue'\]` must be >= 0"),
    ({"metric_weights": {"energy": {"pue": 0.0}}}, r"`metric_weights\['energy'\]` must have a positive weight"),
    ({"metric_weights": {"enrgy": {"pue": 1.0}, "energy": {"pue": 1.0}, "water": {"wue": 1.0},
                         "procurement": {"renewable_share": 1.0}, "circularity": {"server_life": 1.0}}},
     r"`metric_weights` has unknown pillar\(s\) \['enrgy'\]"),
    ({"normalisation": "rank"}, r"`normalisation` must be 'percentile', 'minmax' or 'zscore', got 'rank'"),
    ({"aggregation": "harmonic"}, r"`aggregation` must be 'arithmetic' or 'geometric', got 'harmonic'"),
    ({"min_coverage": 1.5}, r"`min_coverage` must be in 0..1, got 1.5"),
    ({"min_coverage": float("nan")}, r"`min_coverage` must be in 0..1"),
    ({"min_kpi_share": 1.5}, r"`min_kpi_share` must be in 0..1, got 1.5"),
    ({"reference_points": {"pue": ((1.0, 100.0),)}}, r"`reference_points\['pue'\]` needs at least two points"),
    ({"reference_points": {"pue": ((1.0, 100.0), (1.0, 50.0))}}, r"at least two points with different values"),
    ({"reference_points": {"pues": ((1.0, 100.0), (2.0, 50.0))}}, r"`reference_points` names 'pues'"),
    ({"missing_score": -1}, r"`missing_score` must be in 0..100, got -1"),
    ({"missing_score": 101}, r"`missing_score` must be in 0..100"),
    ({"geometric_floor": 0}, r"`geometric_floor` must be > 0, got 0"),
    ({"min_peer_size": 0}, r"`min_peer_size` must be >= 1, got 0"),
    ({"carry_forward_years": -1}, r"`carry_forward_years` must be >= 0, got -1"),
    ({"band_edges": (10, 20, 30)}, r"`band_edges` must be 6 increasing cut-offs"),
    ({"band_edges": (10, 20, 30, 30, 50, 60)}, r"`band_edges` must be 6 increasing cut-offs"),
])
def test_config_validation_names_the_argument(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        ScoreConfig(**kwargs)


def test_config_errors_are_value_errors():
    with pytest.raises(ValueError):
        ScoreConfig(aggregation="x")


def test_config_defaults_and_replace():
    cfg = ScoreConfig()
    assert cfg.weights.to_dict() == {p: pytest.approx(0.2) for p in PILLARS}
    assert (cfg.normalisation, cfg.aggregation, cfg.min_peer_size, cfg.missing_score, cfg.min_coverage,
            cfg.min_kpi_share, cfg.carry_forward_years, cfg.publication_lag_days) == (
        "percentile", "arithmetic", 5, 0.0, 0.5, 0.5, 3, 365)
    assert cfg.dc_operator_groups == ("hyperscaler_cloud", "ai_cloud_miners", "datacenter_reit")
    assert cfg.certificate_reliance_flag == 50.0
    partial = ScoreConfig(pillar_weights={"energy": 3, "water": 1})
    assert partial.weights.to_dict() == {"energy": 0.75, "water": 0.25, "procurement": 0.0, "circularity": 0.0,
                                         "disclosure": 0.0}
    geo = cfg.replace(aggregation="geometric")
    assert geo.aggregation == "geometric" and cfg.aggregation == "arithmetic"
    with pytest.raises(ConfigError):
        cfg.replace(min_coverage=2)
    with pytest.raises(AttributeError):
        cfg.aggregation = "geometric"  # frozen


def test_zero_weight_pillar_without_kpis_is_allowed(core_disclosures, core_companies):
    mw = {p: dict(w) for p, w in ScoreConfig().metric_weights.items()}
    mw["circularity"] = {}
    cfg = ScoreConfig(pillar_weights={"energy": 1, "water": 1, "procurement": 1, "circularity": 0, "disclosure": 1},
                      metric_weights=mw)
    s = score(core_disclosures, cfg.replace(min_coverage=0.0, min_kpi_share=0.0), companies=core_companies)
    assert s["circularity"].isna().all()
    assert s["composite"].notna().sum() == 4
    ex = explain("AAA", core_disclosures, cfg, companies=core_companies)
    assert ex["contribution"].sum() == pytest.approx(s.at["AAA", "composite_indicative"], abs=1e-9)


@pytest.mark.parametrize(("text", "expected"), [
    ("energy=0.4,water=0.1", {"energy": 0.4, "water": 0.1, "procurement": 0.2, "circularity": 0.2, "disclosure": 0.2}),
    (" energy = 1 , ", {"energy": 1.0, "water": 0.2, "procurement": 0.2, "circularity": 0.2, "disclosure": 0.2}),
    ("", {p: 0.2 for p in PILLARS}),
])
def test_parse_weights(text, expected):
    assert parse_weights(text).pillar_weights == pytest.approx(expected)


def test_parse_weights_keeps_the_base():
    base = ScoreConfig(aggregation="geometric", pillar_weights={"energy": 2, "water": 1})
    cfg = parse_weights("water=3", base)
    assert cfg.aggregation == "geometric"
    assert cfg.pillar_weights["energy"] == 2 and cfg.pillar_weights["water"] == 3


@pytest.mark.parametrize(("text", "match"), [
    ("carbon=0.3", r"`--weights` names unknown pillar 'carbon'; pillars are energy, water"),
    ("energy:0.3", r"`--weights` pieces must look like pillar=number, got 'energy:0.3'"),
    ("energy=abc", r"`--weights` value for 'energy' must be a number, got 'abc'"),
    ("energy=-1", r"`--weights` must be finite and >= 0: the weight of energy is -1"),
    ("Enrgy=0.3", r"`--weights` names unknown pillar 'Enrgy' \(did you mean 'energy'\?\)"),
    ("energy=1e308,water=1e308", r"`--weights` must add up to a finite number"),
    ("energy=inf", r"`--weights` must be finite and >= 0: the weight of energy is inf"),
])
def test_parse_weights_errors(text, match):
    with pytest.raises(ConfigError, match=match):
        parse_weights(text)


# ------------------------------------------------------------------------------------------------ explain
#: rated leaders, mid-table, withheld with some figures, withheld without any figure
EXPLAINED = ["GOOGL", "NVDA", "AMZN", "IBM", "AAPL", "BABA", "INTC", "TXN", "KLAC", "CRWV"]


@pytest.mark.parametrize("agg", ["arithmetic", "geometric"])
def test_explain_contributions_sum_to_the_composite_bundled(disclosures, companies, agg):
    cfg = ScoreConfig(aggregation=agg)
    s = score(disclosures, cfg, companies=companies)
    for t in EXPLAINED:
        ex = explain(t, disclosures, cfg, companies=companies)
        assert ex["contribution"].sum() == pytest.approx(s.at[t, "composite_indicative"], rel=1e-9, abs=1e-9), t
        assert ex.attrs["composite_indicative"] == pytest.approx(s.at[t, "composite_indicative"])
        # the pillar contributions rebuild the pillar scores
        by_pillar = ex.groupby("pillar")["contribution_to_pillar"].sum()
        for p in PILLARS:
            if pd.isna(s.at[t, p]):  # no scorable applicable KPI: nothing contributes
                assert by_pillar[p] == 0.0, (t, p)
            else:
                assert by_pillar[p] == pytest.approx(s.at[t, p], abs=1e-9), (t, p)


@pytest.mark.parametrize("geometric_floor", [0.5, 1.0, 5.0])
def test_explain_geometric_sum_with_other_floors(core_disclosures, core_companies, geometric_floor):
    cfg = ScoreConfig(aggregation="geometric", geometric_floor=geometric_floor)
    s = score(core_disclosures, cfg, companies=core_companies)
    for t in ["AAA", "BBB", "CCC", "NNN"]:
        ex = explain(t, core_disclosures, cfg, companies=core_companies)
        assert ex["contribution"].sum() == pytest.approx(s.at[t, "composite_indicative"], rel=1e-9), t


def test_explain_rows_have_sources(core_disclosures, core_companies):
    cfg = ScoreConfig(min_coverage=0.0, min_kpi_share=0.0)
    ex = explain("aaa", core_disclosures, cfg, companies=core_companies)  # ticker case-insensitive
    assert ex.attrs["ticker"] == "AAA" and ex.attrs["rating"] == "BB" and not ex.attrs["withheld"]
    assert len(ex) == len(KPI_SPECS) + 1  # shown-only KPIs included (weight 0)
    assert {"pillar", "metric", "value", "unit", "fiscal_year", "source", "source_url", "published_on",
            "retrieved_from", "data_quality", "compared_with", "peer_percentile", "metric_score", "weight_in_pillar",
            "pillar_weight", "contribution_to_pillar", "contribution", "formula"} <= set(ex.columns)
    disclosed = ex[ex["value"].notna() & (ex["pillar"] != "disclosure")]
    assert len(disclosed) == 8  # pue, carbon, electricity, water, renewable, CFE, instruments' effect, server life
    assert (disclosed["source"].str.startswith("SYNTHETIC test fixture AAA")).all()
    assert (disclosed["source_url"] == "https://example.invalid/aaa/2024").all()
    assert (disclosed["data_quality"] == 1).all()
    row = ex.set_index("metric").loc["pue"]
    assert (row["value"], row["metric_score"], row["fiscal_year"]) == (1.1, pytest.approx(100 - 5 / 0.58), 2024)
    assert pd.isna(row["peer_percentile"])  # scored against reference points, not peers
    assert ex.set_index("metric").at["disclosure_completeness", "source"] == "10 cited figures on file"
    # weights within each footprint pillar are normalised
    w = ex[ex["pillar"] != "disclosure"].groupby("pillar")["weight_in_pillar"].sum()
    assert w.to_dict() == {p: pytest.approx(1.0) for p in FOOTPRINT_PILLARS}
    assert (ex.set_index("metric").loc[["contractual_instruments_effect", "certificate_share", "green_bonds",
                                        "supplier_re_commitment"], "weight_in_pillar"] == 0).all()


def test_explain_restated_source(disclosures, companies):
    ex = explain("NVDA", disclosures, year=2024, companies=companies).set_index("metric")
    # FY2024 Scope 1 was restated in the FY2025 report (14,390 -> 11,896 t): the newer edition is the one scored
    assert "Fiscal Year 2025" in ex.at["carbon_intensity", "source"]
    assert ex.at["carbon_intensity", "value"] == pytest.approx((11_896 + 40_555) / 60_900)


def test_explain_withheld_company(core_disclosures, core_companies):
    ex = explain("NNN", core_disclosures, companies=core_companies)
    assert ex.attrs["withheld"] and ex.attrs["rating"] == "NR"
    assert ex["contribution"].sum() == 0.0
    kpis = ex[ex["pillar"] != "disclosure"]
    assert kpis["source"].isin(["not disclosed", "not applicable"]).all()
    assert set(kpis.loc[kpis["source"] == "not applicable", "metric"]) == {"pue", "wue", "cooling_liquid_closed_loop",
                                                                           "server_life"}


def test_explain_unknown_ticker(core_disclosures, core_companies):
    with pytest.raises(ConfigError, match=r"`ticker` 'ZZZ' is not in the universe \(4 companies\)"):
        explain("ZZZ", core_disclosures, companies=core_companies)


# ------------------------------------------------------------------------------------------------ sensitivity
#: Sensitivity tests exercise the weight draws, not the thresholds: looser thresholds rate more companies.
SENS_CFG = ScoreConfig(min_coverage=0.25, min_kpi_share=0.2)


@pytest.fixture(scope="module")
def bundled_scores(disclosures, companies):
    return score(disclosures, SENS_CFG, companies=companies)


def test_sensitivity_shape(bundled_scores):
    se = sensitivity(bundled_scores, n=500)
    rated = bundled_scores[bundled_scores["composite"].notna()]
    assert list(se.columns) == ["rank", "rank_low", "rank_median", "rank_high", "composite_low", "composite_high",
                                "rank_range"]
    assert set(se.index) == set(rated.index) and se["rank"].is_monotonic_increasing
    assert (se["rank"] == rated["rank"].reindex(se.index).astype(int)).all()
    assert (se["rank_low"] <= se["rank_median"]).all() and (se["rank_median"] <= se["rank_high"]).all()
    assert (se["rank_range"] == se["rank_high"] - se["rank_low"]).all()
    assert (se["composite_low"] <= se["composite_high"]).all()
    inside = (se["rank_low"] <= se["rank"]) & (se["rank"] <= se["rank_high"])
    assert inside.mean() >= 0.9
    assert ((se["composite_low"] <= rated["composite"]) & (rated["composite"] <= se["composite_high"])).mean() >= 0.9
    assert se.attrs["n"] == 500 and se.attrs["quantiles"] == (0.05, 0.95)


def test_sensitivity_is_deterministic_with_a_seed(bundled_scores):
    a = sensitivity(bundled_scores, n=300, seed=7)
    pd.testing.assert_frame_equal(a, sensitivity(bundled_scores, n=300, seed=7))
    b = sensitivity(bundled_scores, n=300, seed=8, concentration=2.0)
    c = sensitivity(bundled_scores, n=300, seed=9, concentration=2.0)
    assert not b[["composite_low", "composite_high"]].equals(c[["composite_low", "composite_high"]])


def test_sensitivity_single_draw(bundled_scores):
    se = sensitivity(bundled_scores, n=1)
    assert (se["rank_low"] == se["rank_median"]).all() and (se["rank_median"] == se["rank_high"]).all()
    assert (se["rank_range"] == 0).all() and (se["composite_low"] == se["composite_high"]).all()


@pytest.mark.parametrize("agg", ["arithmetic", "geometric"])
def test_sensitivity_huge_concentration_gives_the_base_ranks(disclosures, companies, agg):
    s = score(disclosures, SENS_CFG.replace(aggregation=agg), companies=companies)
    se = sensitivity(s, n=200, concentration=1e9)
    assert (se["rank_low"] == se["rank"]).all() and (se["rank_high"] == se["rank"]).all()
    rated = s["composite"].dropna()
    np.testing.assert_allclose(se["composite_low"], rated.reindex(se.index), rtol=1e-3)  # draws ~ w +- 1e-5


def test_sensitivity_ties_share_the_best_rank():
    # SYNTHETIC: two companies with identical pillars tie for first place in every draw
    scores = pd.DataFrame([[60.0] * 5, [60.0] * 5, [10.0] * 5], columns=list(PILLARS), index=["T1", "T2", "T3"])
    scores["composite"] = scores[list(PILLARS)].mean(axis=1)
    se = sensitivity(scores, n=100, concentration=1e9)
    assert se["rank"].to_dict() == {"T1": 1, "T2": 1, "T3": 3}
    assert se["rank_low"].to_dict() == se["rank_high"].to_dict() == {"T1": 1, "T2": 1, "T3": 3}


def test_sensitivity_centre_weights(bundled_scores):
    # all weight on energy: the draws (concentration huge) rank by the energy pillar
    cfg = ScoreConfig(pillar_weights={"energy": 1.0})
    se = sensitivity(bundled_scores, n=50, concentration=1e9, config=cfg)
    energy = bundled_scores.loc[se.index, "energy"].fillna(0.0)  # (no energy pillar: a draw gives it 0)
    expected = energy.rank(ascending=False, method="min").astype(int)
    assert (se["rank_median"] == expected).all()


def test_sensitivity_no_rated_companies(core_disclosures, core_companies):
    s = score(core_disclosures, ScoreConfig(min_coverage=1.0), companies=core_companies)
    s = s[s["composite"].isna()]
    se = sensitivity(s, n=10)
    assert se.empty and "rank_low" in se.columns


@pytest.mark.parametrize(("kwargs", "match"), [({"n": 0}, r"`n` must be >= 1, got 0"),
                                               ({"concentration": 0}, r"`concentration` must be > 0, got 0"),
                                               ({"concentration": -5.0}, r"`concentration` must be > 0")])
def test_sensitivity_argument_errors(bundled_scores, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        sensitivity(bundled_scores, **kwargs)


def test_core_disclosures_constant():
    assert len(CORE_DISCLOSURES) == 16 and len(set(CORE_DISCLOSURES)) == 16


def test_sensitivity_with_a_pillar_without_kpis(core_disclosures, core_companies):
    mw = {p: dict(w) for p, w in ScoreConfig().metric_weights.items()}
    mw["circularity"] = {}
    cfg = ScoreConfig(pillar_weights={"energy": 1, "water": 1, "procurement": 1, "circularity": 0, "disclosure": 1},
                      metric_weights=mw, min_coverage=0.0, min_kpi_share=0.0)
    for agg in ("arithmetic", "geometric"):
        s = score(core_disclosures, cfg.replace(aggregation=agg), companies=core_companies)
        se = sensitivity(s, n=50, concentration=1e9)
        assert (se["rank_low"] == se["rank"]).all() and (se["rank_high"] == se["rank"]).all()
        np.testing.assert_allclose(se["composite_low"], s["composite"].dropna().reindex(se.index), rtol=1e-3)


# ------------------------------------------------------------------------------------------------ fast kernels
def _reference_rank_quantiles(C, qs):
    from scipy.stats import rankdata

    R = np.vstack([rankdata(-row, method="min") for row in C]).astype(int)
    return np.quantile(R, list(qs), axis=0, method="lower")


@pytest.mark.parametrize(("n", "m"), [(1, 5), (2, 3), (7, 4), (300, 1), (1001, 60), (3000, 40)])
@pytest.mark.parametrize("packed", [True, False])
def test_rank_quantiles_match_numpy(n, m, packed):
    from esglib.scoring import _sensitivity as scoring

    limit = {} if packed else {"max_packed": 0}  # 0: the plain-argsort path for any size
    rng = np.random.default_rng(n * 100 + m)
    C = rng.uniform(0, 100, (n, m)).astype(np.float32)
    if m > 2:
        C[:, 1] = C[:, 0]  # ties share the best rank
        C[::2, 2] = 0.0
    qs = (0.05, 0.5, 0.95)
    for variant in (C, C - 50, -C):
        got = np.array(scoring._rank_quantiles(np.ascontiguousarray(variant, dtype=np.float32), qs, **limit))
        np.testing.assert_array_equal(got, _reference_rank_quantiles(variant, qs))


@pytest.mark.parametrize("n", [1, 2, 5, 100, 10_001])
@pytest.mark.parametrize("qs", [(0.05, 0.95), (0.0, 1.0), (0.5, 0.25), (0.1, 0.9)])
def test_column_quantiles_match_numpy(n, qs):
    from esglib.scoring import _sensitivity as scoring

    rng = np.random.default_rng(n)
    C = rng.uniform(0, 100, (n, 30)).astype(np.float32)
    got = scoring._column_quantiles(np.ascontiguousarray(C.T), qs)
    want = np.quantile(C, list(qs), axis=0)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
