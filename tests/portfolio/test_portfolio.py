"""esglib.portfolio: holdings loading (broker spellings, cash, duplicates, errors), the portfolio summary against a
hand-computed SYNTHETIC fixture (tests/fixtures/portfolio/README.md), and the screens (exclusion, best in class,
tilt) with property tests for scale and order invariance."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from esglib.errors import ConfigError, DataValidationError
from esglib.portfolio import (
    CASH,
    apply_screens,
    best_in_class,
    company_footprint,
    engagement_questions,
    exclusion_screen,
    holdings_weights,
    load_holdings,
    portfolio_summary,
    score_tilt,
)

PF = Path(__file__).resolve().parents[1] / "fixtures" / "portfolio"


@pytest.fixture(scope="module")
def pf_companies():
    from esglib.inputs import load_companies

    return load_companies(PF / "companies.csv")


@pytest.fixture(scope="module")
def pf_disclosures(pf_companies):
    from esglib.inputs import load_disclosures

    return load_disclosures(PF / "disclosures.csv", pf_companies)


@pytest.fixture(scope="module")
def pf_scores():
    s = pd.read_csv(PF / "scores.csv", index_col="ticker", keep_default_na=True)
    s["flags"] = s["flags"].fillna("")
    s["rank"] = s["rank"].astype("Int64")
    s["fiscal_year"] = s["fiscal_year"].astype("Int64")
    return s


WEIGHTS = pd.Series({"AAA": 0.4, "BBB": 0.3, "CCC": 0.2, CASH: 0.1})


def load_quiet(path, companies, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_holdings(path, companies, **kw)


# ------------------------------------------------------------------------------------------------ loading
class TestLoadHoldings:
    def test_sample_portfolio(self, companies):
        from esglib.inputs import DATA_DIR

        with pytest.warns(UserWarning, match=r"OKLO \(1\.2%\)"):
            h = load_holdings(DATA_DIR / "sample_portfolio.csv", companies)
        assert len(h) == 17
        assert h["weight"].sum() == pytest.approx(1.0)
        assert h.at[CASH, "is_cash"] and not h.at[CASH, "covered"]
        assert not h.at["OKLO", "covered"] and not h.at["OKLO", "is_cash"]
        assert h.loc[~h.index.isin([CASH, "OKLO"]), "covered"].all()
        assert h.attrs["basis"] == "market_value"
        assert h.attrs["not_covered"] == {"OKLO": pytest.approx(h.at["OKLO", "weight"])}
        assert h.at["NVDA", "source_row"] == 2
        assert list(h.columns) == ["company", "peer_group", "weight", "market_value", "shares", "price", "covered",
                                   "is_cash", "source_row", "source_rows"]

    def test_schwab_spellings_dollars_thousands_and_total_line(self, pf_companies):
        with pytest.warns(UserWarning, match=r"Schwab export: .*skipped 1 total line \(line 6\)"):
            h = load_holdings(PF / "holdings_schwab.csv", pf_companies)
        assert h["weight"].to_dict() == pytest.approx({"AAA": 0.4, "BBB": 0.3, "CCC": 0.2, CASH: 0.1})
        assert h.at["AAA", "market_value"] == 4000.0
        assert h.at["AAA", "shares"] == 100.0
        assert h.attrs["total_value"] == pytest.approx(10_000.0)

    def test_fidelity_cash_lines_duplicates_and_unknown_ticker(self, pf_companies):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            h = load_holdings(PF / "holdings_fidelity.csv", pf_companies)
        messages = " | ".join(str(w.message) for w in caught)
        assert "duplicate holdings merged: BBB (rows 5, 8)" in messages
        assert "ZZZZ (5.3%)" in messages and "not covered" in messages
        assert h.at[CASH, "market_value"] == 1000.0  # SPAXX**, FDRXX money market, blank symbol
        assert h.at[CASH, "source_rows"] == "2, 6, 7"
        assert h.at["BBB", "market_value"] == 4000.0
        assert h.at["BBB", "source_rows"] == "5, 8"
        assert not h.at["ZZZZ", "covered"]
        assert h["weight"].sum() == pytest.approx(1.0)

    def test_percentage_weights_are_normalised(self, pf_companies):
        h = load_holdings(PF / "holdings_weights.csv", pf_companies)
        assert h["weight"].to_dict() == pytest.approx(WEIGHTS.to_dict())
        assert h["market_value"].isna().all()
        assert h.attrs["basis"] == "weight"

    def test_shares_times_given_prices(self, pf_companies):
        h = load_holdings(PF / "holdings_shares.csv", pf_companies, prices={"AAA": 40, "BBB": 50, "CCC": 50})
        assert h["market_value"].to_dict() == {"AAA": 4000.0, "BBB": 3000.0, "CCC": 2000.0}
        assert h["weight"].to_dict() == pytest.approx({"AAA": 4 / 9, "BBB": 3 / 9, "CCC": 2 / 9})

    def test_shares_priced_from_the_snapshot(self, tmp_path, companies):
        from esglib import bundled, market

        f = tmp_path / "h.csv"
        f.write_text("Ticker,Shares\nNVDA,10\nMSFT,2\n", encoding="utf-8")
        with pytest.raises(ConfigError, match="shares column needs `prices`"):
            load_holdings(f, companies)  # the library never fetches prices by itself
        with pytest.warns(UserWarning, match=r"shares valued at the latest close as of \d{4}-\d\d-\d\d"):
            h = load_holdings(f, companies, prices=bundled.latest_prices)
        px = market.prices(["NVDA", "MSFT"], source="snapshot", adjust="split").iloc[-1]
        assert h.at["NVDA", "market_value"] == pytest.approx(10 * px["NVDA"])
        assert h.at["MSFT", "price"] == pytest.approx(px["MSFT"])

    @pytest.mark.parametrize("header,rows", [
        ("Symbol,Quantity", ["AAA,1", "BBB,1"]),
        ("TICKER,Amount", ["AAA,5", "BBB,5"]),
        ("symbol,% of portfolio", ["AAA,50%", "BBB,50 %"]),
        ("Ticker,Value", ["aaa,1,000", "bbb,1,000"]),
    ])
    def test_header_spellings_case_insensitive(self, tmp_path, pf_companies, header, rows):
        f = tmp_path / "h.csv"
        body = "\n".join(r if "1,000" not in r else r.replace("1,000", '"1,000"') for r in rows)
        f.write_text(header + "\n" + body + "\n", encoding="utf-8")
        h = load_holdings(f, pf_companies, prices={"AAA": 1.0, "BBB": 1.0})
        assert h["weight"].to_dict() == pytest.approx({"AAA": 0.5, "BBB": 0.5})

    def test_xlsx_holdings_sheet(self, tmp_path, pf_companies):
        f = tmp_path / "h.xlsx"
        with pd.ExcelWriter(f, engine="openpyxl") as xw:
            pd.DataFrame({"Notes": ["ignore me"]}).to_excel(xw, sheet_name="Cover", index=False)
            pd.DataFrame({"Symbol": ["AAA", "CCC"], "Market Value": [300, 100]}).to_excel(
                xw, sheet_name="Holdings", index=False)
        h = load_holdings(f, pf_companies)
        assert h["weight"].to_dict() == pytest.approx({"AAA": 0.75, "CCC": 0.25})

    def test_xlsx_errors_name_the_cell(self, tmp_path, pf_companies):
        f = tmp_path / "h.xlsx"
        pd.DataFrame({"Ticker": ["AAA", "BBB"], "Market Value": ["12", "n/a"]}).to_excel(f, sheet_name="Holdings",
                                                                                         index=False)
        with pytest.raises(DataValidationError, match=r"row 3, column Holdings!B3"):
            load_holdings(f, pf_companies)

    @pytest.mark.parametrize("name,pattern", [
        ("bad_na_value.csv", r"bad_na_value\.csv, row 3, column Market Value: market value is not an amount.*'n/a'"),
        ("bad_percent_shares.csv", r"row 3, column Shares: shares is not a plain number.*'12%'"),
        ("bad_negative_total.csv", r"column Market Value: holdings total must be positive.*-500"),
        ("bad_no_amount.csv", r"row 1: missing an amount column"),
        ("bad_european_number.csv", r"row 2, column Market Value: .*'1\.234,50'"),
        ("bad_short.csv", r"row 3, column Weight: negative holding \(short positions are not supported"),
    ])
    def test_malformed_files(self, pf_companies, name, pattern):
        with pytest.raises(DataValidationError, match=pattern):
            load_quiet(PF / name, pf_companies, prices={"AAA": 1.0, "BBB": 1.0})

    def test_missing_ticker_column(self, tmp_path, pf_companies):
        f = tmp_path / "h.csv"
        f.write_text("Name,Weight\nAAA,1\n", encoding="utf-8")
        with pytest.raises(DataValidationError, match="missing a ticker column"):
            load_holdings(f, pf_companies)

    def test_every_problem_reported_at_once(self, tmp_path, pf_companies):
        f = tmp_path / "h.csv"
        f.write_text("Ticker,Market Value\nAAA,x\nBBB,y\nCCC,3\n", encoding="utf-8")
        with pytest.raises(DataValidationError) as err:
            load_holdings(f, pf_companies)
        assert [p.row for p in err.value.problems] == [2, 3]

    def test_shares_without_price(self, pf_companies):
        with pytest.raises(DataValidationError, match=r"row 3, column quantity: no price for BBB"):
            load_holdings(PF / "holdings_shares.csv", pf_companies, prices={"AAA": 40.0, "CCC": 1.0})

    def test_blank_ticker_without_amount(self, tmp_path, pf_companies):
        f = tmp_path / "h.csv"
        f.write_text("Ticker,Description,Market Value\nAAA,x,10\n,stray note,\n", encoding="utf-8")
        with pytest.raises(DataValidationError, match=r"row 3, column Ticker: ticker is blank and the row has no "):
            load_holdings(f, pf_companies)

    def test_missing_file(self, pf_companies):
        with pytest.raises(DataValidationError, match="file not found"):
            load_holdings(PF / "nope.csv", pf_companies)


# ------------------------------------------------------------------------------------------------ summary
@pytest.fixture(scope="module")
def summary(pf_companies, pf_disclosures, pf_scores):
    """The hand-computed case of tests/fixtures/portfolio/README.md."""
    return portfolio_summary(WEIGHTS, pf_scores, pf_disclosures, {"BBB": 5e8, "CCC": 1e8},
                             evic={"AAA": 2e9}, companies=pf_companies, portfolio_value=1_000_000)


class TestSummary:

    def test_hand_computed_headline(self, summary):
        s = summary
        assert s.composite == pytest.approx((0.4 * 60 + 0.3 * 40) / 0.7)
        assert s.score_coverage == pytest.approx(0.7)
        assert s.rating == "BBB"
        assert s.pillars["energy"] == pytest.approx((0.4 * 70 + 0.3 * 40) / 0.7)
        assert s.waci == pytest.approx(25.0)
        assert s.waci_coverage == pytest.approx(0.7)
        assert s.electricity_intensity == pytest.approx(100.0)
        assert s.electricity_coverage == pytest.approx(0.4)
        assert s.water_intensity == pytest.approx((0.4 * 5 + 0.3 * 10) / 0.7)
        assert s.financed_emissions == pytest.approx(0.14)
        assert s.carbon_footprint == pytest.approx(0.2)
        assert s.footprint_coverage == pytest.approx(0.7)
        assert "EVIC for 1" in s.footprint_basis and "market cap as a proxy for EVIC for 1" in s.footprint_basis
        assert s.flag_weights["certificate_reliance"] == pytest.approx(0.4)
        assert s.flag_weights["non_disclosure"] == pytest.approx(0.5)
        assert s.cash_weight == pytest.approx(0.1)
        assert s.not_covered == ()

    def test_contributions_add_up(self, summary):
        c = summary.contributions
        assert c["contrib_composite"].sum() == pytest.approx(summary.composite)
        assert c["contrib_waci"].sum() == pytest.approx(summary.waci)
        assert c["contrib_water_intensity"].sum() == pytest.approx(summary.water_intensity)
        assert c["financed_emissions"].sum() == pytest.approx(summary.financed_emissions)
        assert c.at["AAA", "footprint_basis"] == "EVIC" and c.at["BBB", "footprint_basis"] == "market cap"
        assert c.at["AAA", "carbon_fy"] == 2024  # the latest year with all three figures
        pg = summary.by_peer_group
        assert pg["weight"].sum() == pytest.approx(1.0)
        assert pg.at["hyperscaler_cloud", "contrib_waci"] == pytest.approx(25.0)
        assert pg.at["cash", "weight"] == pytest.approx(0.1)

    def test_engagement_questions(self, summary):
        q = summary.engagement
        assert "Disclose water consumption (m3) for FY2024" in set(q.loc[q["ticker"] == "BBB", "question"])
        assert not ((q["ticker"] == "AAA") & (q["metric"] == "water_consumption_m3")).any()
        assert q["ticker"].iloc[0] == "AAA"  # largest holding first

    def test_no_denominator_means_nan_and_says_so(self, pf_companies, pf_disclosures, pf_scores):
        s = portfolio_summary(WEIGHTS, pf_scores, pf_disclosures, companies=pf_companies)
        assert math.isnan(s.financed_emissions) and math.isnan(s.carbon_footprint)
        assert "never guessed" in s.footprint_basis

    def test_footprint_without_portfolio_value(self, pf_companies, pf_disclosures, pf_scores):
        s = portfolio_summary(WEIGHTS, pf_scores, pf_disclosures, {"AAA": 2e9, "BBB": 5e8}, companies=pf_companies)
        assert math.isnan(s.financed_emissions)
        assert s.carbon_footprint == pytest.approx(0.2)
        assert any("portfolio value" in n for n in s.notes)

    def test_json_and_frame(self, summary):
        import json

        d = summary.to_dict()
        text = json.dumps(d)
        assert "NaN" not in text
        assert d["composite"] == pytest.approx(summary.composite)
        assert len(d["contributions"]) == 4
        f = summary.to_frame()
        assert f.at["waci", "unit"] == "tCO2e/USD m revenue"
        assert f.at["composite", "coverage"] == pytest.approx(0.7)

    def test_loaded_holdings_give_value_and_not_covered(self, pf_companies, pf_disclosures, pf_scores):
        h = load_quiet(PF / "holdings_fidelity.csv", pf_companies)
        s = portfolio_summary(h, pf_scores, pf_disclosures, {"AAA": 2e9, "BBB": 5e8}, companies=pf_companies)
        assert s.portfolio_value == pytest.approx(9500.0)
        assert s.not_covered == ("ZZZZ",)
        assert s.flag_weights["not_covered"] == pytest.approx(500 / 9500)

    def test_inputs_not_modified(self, pf_companies, pf_disclosures, pf_scores):
        w, sc, d = WEIGHTS.copy(), pf_scores.copy(), pf_disclosures.copy()
        portfolio_summary(WEIGHTS, pf_scores, pf_disclosures, companies=pf_companies)
        pd.testing.assert_series_equal(w, WEIGHTS)
        pd.testing.assert_frame_equal(sc, pf_scores)
        pd.testing.assert_frame_equal(d, pf_disclosures)

    @given(k=st.floats(0.01, 1000), seed=st.integers(0, 10_000))
    def test_scale_and_order_invariance(self, pf_companies, pf_disclosures, pf_scores, k, seed):
        base = portfolio_summary(WEIGHTS, pf_scores, pf_disclosures, companies=pf_companies)
        perm = WEIGHTS.sample(frac=1.0, random_state=seed) * k
        other = portfolio_summary(perm, pf_scores, pf_disclosures, companies=pf_companies)
        assert other.composite == pytest.approx(base.composite)
        assert other.waci == pytest.approx(base.waci)
        assert other.water_intensity == pytest.approx(base.water_intensity)
        assert other.flag_weights == pytest.approx(base.flag_weights)

    def test_company_footprint_point_in_time(self, pf_companies, pf_disclosures):
        now = company_footprint(pf_disclosures)
        early = company_footprint(pf_disclosures, pf_companies, as_of="2025-03-01")  # FY2024 not public yet
        assert now.at["AAA", "carbon_fy"] == 2024
        assert early.at["AAA", "carbon_fy"] == 2023
        assert early.at["AAA", "carbon_intensity"] == pytest.approx(180 / 9)

    def test_engagement_for_silent_company(self, pf_companies, pf_disclosures, pf_scores):
        sc = pf_scores.copy()
        sc.loc["CCC", "fiscal_year"] = pd.NA
        q = engagement_questions(["CCC"], pf_disclosures, sc, pf_companies, as_of="2025-12-31")
        assert (q["fiscal_year"] == 2024).all()  # FY2024 public since 2025-07-02

    def test_real_sample_portfolio(self, companies, disclosures):
        from esglib.inputs import DATA_DIR
        from esglib.scoring import score

        h = load_quiet(DATA_DIR / "sample_portfolio.csv", companies)
        from esglib.scoring import ScoreConfig

        # (the v2 defaults rate none of the sparse bundled holdings: lower thresholds give the summary a composite)
        loose = ScoreConfig(min_coverage=0.3, min_kpi_share=0.3)
        s = portfolio_summary(h, score(disclosures, loose, companies=companies), disclosures, companies=companies,
                              config=loose)
        assert 0 < s.composite < 100
        assert 0 < s.score_coverage < 1
        assert s.waci > 0
        assert s.not_covered == ("OKLO",)


# ------------------------------------------------------------------------------------------------ screens
class TestScreens:
    def test_exclusion_by_rating(self, pf_scores):
        r = exclusion_screen(WEIGHTS, pf_scores, min_rating="A")
        assert set(r.weights.index) == {"AAA", "CCC", CASH}  # CCC unrated: kept by default
        assert r.weights.sum() == pytest.approx(1.0)
        assert r.weights["AAA"] == pytest.approx(0.4 / 0.7)
        assert r.excluded.set_index("ticker").at["BBB", "reason"] == "rating BB below A"

    def test_exclusion_unrated_exclude_and_flags(self, pf_scores):
        r = exclusion_screen(WEIGHTS, pf_scores, min_rating="BB", unrated="exclude")
        assert set(r.weights.index) == {"AAA", "BBB", CASH}
        r = exclusion_screen(WEIGHTS, pf_scores, exclude_flags=["certificate_reliance", "composite_withheld"])
        assert set(r.weights.index) == {"BBB", CASH}
        assert r.weights.to_dict() == pytest.approx({"BBB": 0.75, CASH: 0.25})

    def test_exclusion_everything_excluded(self, pf_scores):
        with pytest.raises(ConfigError, match="excludes every holding"):
            exclusion_screen({"BBB": 1.0}, pf_scores, min_rating="AAA")

    def test_bad_rating(self, pf_scores):
        with pytest.raises(ConfigError, match=r"`min_rating` must be one of .* got 'Z'"):
            exclusion_screen(WEIGHTS, pf_scores, min_rating="Z")

    def test_best_in_class(self, pf_scores):
        r = best_in_class(WEIGHTS, pf_scores, 0.5)
        assert set(r.weights.index) == {"AAA", CASH}  # BBB 2nd of 2 hyperscalers; CCC unrated
        assert "rank 2 of 2 rated in hyperscaler_cloud" in r.excluded.set_index("ticker").at["BBB", "reason"]
        r = best_in_class(WEIGHTS, pf_scores, 1.0, unrated="keep")
        assert set(r.weights.index) == set(WEIGHTS.index)
        with pytest.raises(ConfigError, match=r"`share` must be in \(0, 1\]"):
            best_in_class(WEIGHTS, pf_scores, 0)

    def test_tilt_exp_hand_computed(self, pf_scores):
        r = score_tilt({"AAA": 0.5, "BBB": 0.5}, pf_scores, 1.0)
        # rated composites 60, 40: mean 50, population std 10 -> z = +1, -1
        e = math.e
        assert r.weights["AAA"] == pytest.approx(e / (e + 1 / e))
        r = score_tilt({"AAA": 0.5, "BBB": 0.5}, pf_scores, 2.0, method="power")
        assert r.weights["AAA"] == pytest.approx(1.2**2 / (1.2**2 + 0.8**2))

    @pytest.mark.parametrize("unrated,expected_ccc", [("reduce", 0.2 * 0.5), ("neutral", 0.2), ("exclude", 0.0)])
    def test_tilt_unrated(self, pf_scores, unrated, expected_ccc):
        r = score_tilt(WEIGHTS, pf_scores, 0.0, unrated=unrated)
        total = 0.4 + 0.3 + 0.1 + expected_ccc
        assert r.weights.get("CCC", 0.0) == pytest.approx(expected_ccc / total)
        assert r.weights[CASH] == pytest.approx(0.1 / total)

    def test_tilt_zero_strength_is_identity(self, pf_scores):
        r = score_tilt(WEIGHTS, pf_scores, 0.0, unrated="neutral")
        pd.testing.assert_series_equal(r.weights.sort_index(), WEIGHTS.sort_index(), check_names=False)

    def test_apply_screens_in_order(self, pf_scores):
        r = apply_screens(WEIGHTS, pf_scores, min_rating="BB", tilt=1.0, unrated="exclude")
        assert set(r.weights.index) == {"AAA", "BBB", CASH}
        assert r.weights["AAA"] > r.weights["BBB"]
        assert "exclusion" in r.method and "tilt" in r.method
        assert r.excluded["ticker"].tolist() == ["CCC"]
        f = r.to_frame()
        assert f.at["CCC", "weight_after"] == 0.0 and f.at["CCC", "reason"]

    def test_screens_do_not_modify_inputs(self, pf_scores):
        w, s = WEIGHTS.copy(), pf_scores.copy()
        apply_screens(WEIGHTS, pf_scores, min_rating="BB", best_in_class_share=0.5, tilt=1.0)
        pd.testing.assert_series_equal(w, WEIGHTS)
        pd.testing.assert_frame_equal(s, pf_scores)

    @given(k=st.floats(1e-3, 1e3), seed=st.integers(0, 10_000), strength=st.floats(0, 3))
    def test_screens_scale_and_order_invariant(self, pf_scores, k, seed, strength):
        perm = WEIGHTS.sample(frac=1.0, random_state=seed) * k
        for fn in (lambda w: score_tilt(w, pf_scores, strength), lambda w: best_in_class(w, pf_scores, 0.5),
                   lambda w: exclusion_screen(w, pf_scores, min_rating="BB")):
            a = fn(WEIGHTS).weights
            b = fn(perm).weights
            pd.testing.assert_series_equal((a / a.sum()).sort_index(), (b / b.sum()).sort_index(), check_names=False,
                                           atol=1e-12, rtol=1e-9)

    @given(s1=st.floats(0, 3), s2=st.floats(0, 3))
    def test_stronger_tilt_never_lowers_the_composite(self, pf_companies, pf_disclosures, pf_scores, s1, s2):
        lo, hi = sorted((s1, s2))

        def comp(strength):
            w = score_tilt(WEIGHTS, pf_scores, strength).weights
            return portfolio_summary(w, pf_scores, pf_disclosures, companies=pf_companies).composite

        assert comp(hi) >= comp(lo) - 1e-9

    def test_holdings_weights_rejects_nan(self):
        with pytest.raises(ConfigError, match="must be finite"):
            holdings_weights(pd.Series({"AAA": np.nan}))


def test_summary_uses_the_callers_config_lag(pf_companies, pf_disclosures, pf_scores):
    """The user's ScoreConfig reaches the summary: its publication lag dates the figures for ``as_of``."""
    from esglib.scoring import ScoreConfig

    def coverage(lag: int) -> float:
        cfg = ScoreConfig(publication_lag_days=lag)
        s = portfolio_summary(WEIGHTS, pf_scores, pf_disclosures, companies=pf_companies, as_of="2030-01-01",
                              config=cfg)
        return s.waci_coverage

    assert coverage(0) > 0
    assert coverage(365 * 30) == 0  # with a 30-year lag nothing is public yet in 2030


def test_summary_needs_the_universe(pf_disclosures, pf_scores):
    with pytest.raises(ConfigError, match="`companies` is required"):
        portfolio_summary(WEIGHTS, pf_scores, pf_disclosures)
