"""esglib.inputs: loading, validation (one test per rule, asserting the Problem fields), figure selection and
point-in-time availability."""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from esglib.errors import ConfigError, DataValidationError, EsglibError, Problem
from esglib.inputs import (
    DATA_DIR,
    DEFAULT_PUBLICATION_LAG_DAYS,
    DISCLOSURE_COLUMNS,
    METRICS,
    PEER_GROUPS,
    Table,
    available_as_of,
    figure_publication,
    load_companies,
    load_disclosures,
    load_macro,
    publication_dates,
    select_figures,
    validate_disclosures,
)

COLUMNS = ["ticker", "fiscal_year", "metric", "value", "unit", "basis", "scope_note", "data_quality", "source_title",
           "source_url", "report_edition"]
NEXT_YEAR = dt.date.today().year + 1


def row(ticker="MSFT", fiscal_year="2024", metric="pue", value="1.2", unit="ratio", basis="", scope_note="",
        data_quality="1", source_title="SYNTHETIC test source", source_url="https://example.invalid/x",
        report_edition=""):
    return [ticker, str(fiscal_year), metric, str(value), unit, basis, scope_note, str(data_quality), source_title,
            source_url, str(report_edition)]


def write_csv(path, rows, columns=COLUMNS):
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return path


def load_rows(tmp_path, companies, *rows, name="d.csv"):
    return load_disclosures(write_csv(tmp_path / name, list(rows)), companies)


def problems_of(tmp_path, companies, *rows) -> tuple[str, list[Problem]]:
    path = write_csv(tmp_path / "bad.csv", list(rows))
    with pytest.raises(DataValidationError) as ei:
        load_disclosures(path, companies)
    return str(path), ei.value.problems


def single(tmp_path, companies, bad_row, match):
    """Load one good row then ``bad_row``; return the one Problem (which must sit on line 3)."""
    path = write_csv(tmp_path / "bad.csv", [row(fiscal_year="2022", value="1.25"), bad_row])
    with pytest.raises(DataValidationError, match=match) as ei:
        load_disclosures(path, companies)
    probs = ei.value.problems
    assert len(probs) == 1, probs
    p = probs[0]
    assert p.file == str(path)
    assert p.row == 3
    return p


# ------------------------------------------------------------------------------------------------ companies
def test_bundled_companies(companies):
    assert len(companies) == 47
    assert companies["ticker"].is_unique
    assert set(companies["peer_group"]) <= set(PEER_GROUPS)
    assert list(companies.columns) == ["ticker", "company", "peer_group", "country", "yahoo_ticker",
                                       "fiscal_year_end", "disclosure_search"]
    assert companies.set_index("ticker").at["NVDA", "fiscal_year_end"] == "01-31"


def test_companies_defaults_and_upper_case(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("ticker,company,peer_group\nabc,Synthetic A,hardware\n", encoding="utf-8")
    c = load_companies(p)
    assert c.iloc[0].to_dict() == {"ticker": "ABC", "company": "Synthetic A", "peer_group": "hardware", "country": "",
                                   "yahoo_ticker": "ABC", "fiscal_year_end": "12-31", "disclosure_search": ""}


def test_companies_every_problem_at_once(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("ticker,company,peer_group,fiscal_year_end\n"
                 "AAA,A,hardware,12-31\n"
                 ",Blank,hardware,12-31\n"
                 "aaa,Dup,hardware,12-31\n"
                 "BBB,B,banks,12-31\n"
                 "CCC,C,hardware,13-45\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="4 problems in") as ei:
        load_companies(p)
    got = [(x.file, x.row, x.column, x.value) for x in ei.value.problems]
    assert got == [(str(p), 3, "ticker", None), (str(p), 4, "ticker", "AAA"), (str(p), 5, "peer_group", "banks"),
                   (str(p), 6, "fiscal_year_end", "13-45")]
    rules = [x.rule for x in ei.value.problems]
    assert rules[0] == "ticker is blank"
    assert rules[1] == "duplicate ticker"
    assert rules[2].startswith("unknown peer group (one of hyperscaler_cloud, ")
    assert rules[3] == "fiscal_year_end must be MM-DD"


def test_companies_missing_column(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("ticker,company,peergroup\nAAA,A,hardware\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"missing required column 'peer_group' \(did you mean "
                                                  r"'peergroup'\?\)"):
        load_companies(p)


# ------------------------------------------------------------------------------------------------ bundled data
def test_bundled_disclosures_shape_and_types(disclosures):
    assert list(disclosures.columns) == [*DISCLOSURE_COLUMNS, "source_file", "source_row"]
    with open(DATA_DIR / "disclosures.csv", newline="", encoding="utf-8") as fh:
        n_rows = sum(1 for _ in csv.reader(fh)) - 1
    assert len(disclosures) == n_rows > 900  # every data row of the bundled file is kept (data v2: ~1,000 figures)
    assert disclosures["fiscal_year"].dtype == np.int64
    assert disclosures["data_quality"].dtype == np.int64
    assert str(disclosures["report_edition"].dtype) == "Int64"
    assert disclosures["source_row"].min() == 2 and disclosures["source_row"].is_unique
    canonical = disclosures["metric"].isin(list(METRICS))
    # every canonical figure is cited and stored in its canonical unit
    assert ((disclosures.loc[canonical, "source_title"] != "") | (disclosures.loc[canonical, "source_url"] != "")).all()
    units = disclosures.loc[canonical, "metric"].map(lambda m: METRICS[m].unit)
    reported = units == "<ISO> millions"  # revenue in the reporting currency keeps its ISO code
    assert (disclosures.loc[canonical, "unit"][~reported] == units[~reported]).all()
    assert disclosures.loc[canonical, "unit"][reported].str.fullmatch(r"[A-Z]{3} millions").all() and reported.any()


def test_loading_does_not_modify_companies(companies):
    before = companies.copy(deep=True)
    load_disclosures(DATA_DIR / "disclosures.csv", companies)
    pd.testing.assert_frame_equal(companies, before)


# ------------------------------------------------------------------------------------------------ happy path
def test_loaded_frame_fills_company_converts_and_locates(tmp_path, companies):
    d = load_rows(tmp_path, companies, row(ticker="msft", metric="electricity_total_mwh", value="29.83",
                                           unit="TWh", data_quality="", report_edition="2025.0"),
                  row(metric="other:datacentre_count", value="300", unit="sites", source_title="", source_url=""))
    first = d.iloc[0]
    assert first["ticker"] == "MSFT" and first["company"] == "Microsoft"
    assert first["value"] == pytest.approx(29_830_000.0) and first["unit"] == "MWh"
    assert (first["reported_value"], first["reported_unit"]) == ("29.83", "TWh")
    assert first["data_quality"] == 4  # blank = tertiary (worst)
    assert first["report_edition"] == 2025
    assert first["source_row"] == 2 and first["source_file"].endswith("d.csv")
    # other: metrics keep their own unit and need no source
    assert d.iloc[1]["unit"] == "sites" and d.iloc[1]["source_row"] == 3


def test_check_universe_false_accepts_unknown_tickers(tmp_path, companies):
    path = write_csv(tmp_path / "d.csv", [row(ticker="ZZZZ")])
    assert load_disclosures(path, check_universe=False)["ticker"].tolist() == ["ZZZZ"]
    with pytest.raises(DataValidationError, match="ticker is not in the companies table"):
        load_disclosures(path, companies)


def test_identical_duplicates_are_not_conflicts(tmp_path, companies):
    d = load_rows(tmp_path, companies, row(), row())
    assert len(d) == 2


def test_validate_disclosures_on_a_table_does_not_modify_it(companies):
    df = pd.DataFrame([row(), row(fiscal_year="2023", value="1.3")], columns=COLUMNS)
    t = Table(df, "<frame>", None, 1, tuple(COLUMNS))
    before = df.copy(deep=True)
    out = validate_disclosures(t, companies)
    pd.testing.assert_frame_equal(df, before)
    assert out["value"].tolist() == [1.2, 1.3]
    assert out["source_file"].tolist() == ["<frame>"] * 2


# ------------------------------------------------------------------------------------------------ rules, one by one
def test_missing_columns_with_did_you_mean(tmp_path, companies):
    cols = ["ticker", "fiscal_year", "metric", "valeu", "units", "source_title"]
    path = write_csv(tmp_path / "m.csv", [["MSFT", "2024", "pue", "1.2", "ratio", "s"]], columns=cols)
    with pytest.raises(DataValidationError, match=r"missing required column 'value' \(did you mean 'valeu'\?\)") as ei:
        load_disclosures(path, companies)
    assert [(p.file, p.row, p.column) for p in ei.value.problems] == [(str(path), 1, "value"), (str(path), 1, "unit")]
    assert "did you mean 'units'?" in ei.value.problems[1].rule


def test_unknown_metric(tmp_path, companies):
    p = single(tmp_path, companies, row(metric="pue_fleet"), r"unknown metric \(use a canonical metric or 'other:")
    assert (p.column, p.value) == ("metric", "pue_fleet")


@pytest.mark.parametrize(("metric", "unit"), [("pue", "bananas"), ("water_consumption_m3", "GWh"),
                                              ("scope1_tco2e", "MWh"), ("renewable_share_pct", "ratio")])
def test_unknown_or_wrong_unit_for_the_metric(tmp_path, companies, metric, unit):
    p = single(tmp_path, companies, row(metric=metric, value="5", unit=unit),
               rf"unit does not fit metric {metric} \(expected {METRICS[metric].family} units such as")
    assert (p.column, p.value) == ("unit", unit)


@pytest.mark.parametrize("value", ["0.95", "0", "-1.2"])
def test_pue_below_one(tmp_path, companies, value):
    p = single(tmp_path, companies, row(value=value), r"PUE -?[0-9.]+ is below 1 \(PUE = facility energy / IT energy")
    assert (p.column, p.value) == ("value", value)


def test_pue_of_exactly_one_is_allowed(tmp_path, companies):
    assert load_rows(tmp_path, companies, row(value="1"))["value"].tolist() == [1.0]


@pytest.mark.parametrize(("metric", "value", "unit", "shown"), [
    ("renewable_share_pct", "100.5", "%", r"renewable_share_pct 100.5 % is outside 0..100 %"),
    ("cfe_hourly_pct", "-3", "%", r"cfe_hourly_pct -3 % is outside 0..100 %"),
    ("renewable_share_pct", "1.5", "fraction", r"renewable_share_pct 150 % is outside 0..100 %"),
    ("water_replenishment_pct", "1200", "%", r"water_replenishment_pct 1200 % is outside 0..1000 %"),
])
def test_percentages_outside_range(tmp_path, companies, metric, value, unit, shown):
    p = single(tmp_path, companies, row(metric=metric, value=value, unit=unit), shown)
    assert (p.column, p.value) == ("value", value)


def test_percentage_bounds_are_inclusive(tmp_path, companies):
    d = load_rows(tmp_path, companies, row(metric="renewable_share_pct", value="0", unit="%"),
                  row(metric="renewable_share_pct", fiscal_year="2023", value="100", unit="%"),
                  row(metric="water_replenishment_pct", value="150", unit="%"))
    assert d["value"].tolist() == [0.0, 100.0, 150.0]


@pytest.mark.parametrize(("metric", "value", "unit", "shown"), [
    ("electricity_total_mwh", "-5", "MWh", "electricity_total_mwh -5 must not be negative"),
    ("water_withdrawal_m3", "-1", "megalitres", "water_withdrawal_m3 -1000 must not be negative"),
    ("scope2_market_tco2e", "-0.5", "kt CO2e", "scope2_market_tco2e -500 must not be negative"),
    ("ewaste_tonnes", "-2", "t", "ewaste_tonnes -2 must not be negative"),
    ("revenue_usd_m", "0", "USD millions", "revenue_usd_m 0 must be positive"),
    ("server_useful_life_years", "0", "years", "server_useful_life_years 0 must be positive"),
    ("wue_l_per_kwh", "80", "L/kWh", "wue_l_per_kwh 80 is above the plausible maximum 50 L/kWh"),
    ("target_net_zero_year", "1999", "year", "target_net_zero_year 1999 is below 2000 year"),
])
def test_negative_volumes_and_other_bounds(tmp_path, companies, metric, value, unit, shown):
    p = single(tmp_path, companies, row(metric=metric, value=value, unit=unit), shown)
    assert (p.column, p.value) == ("value", value)


def test_zero_volume_is_allowed(tmp_path, companies):
    d = load_rows(tmp_path, companies, row(metric="scope2_market_tco2e", value="0", unit="tCO2e"))
    assert d["value"].tolist() == [0.0]


@pytest.mark.parametrize("value", ["1,234", "12%", "n/a", "NaN", "inf", "1.2.3", "~5", "1 234", "$5"])
def test_non_numeric_values(tmp_path, companies, value):
    p = single(tmp_path, companies, row(metric="electricity_total_mwh", value=value, unit="MWh"),
               r"value is not a plain number \(no thousands separators, % signs or text\)")
    assert (p.column, p.value) == ("value", value)


def test_blank_value(tmp_path, companies):
    p = single(tmp_path, companies, row(value=""), "value is blank")
    assert (p.column, p.value) == ("value", "")


def test_overflowing_value_is_not_accepted_as_infinity(tmp_path, companies):
    p = single(tmp_path, companies, row(metric="electricity_total_mwh", value="1e999", unit="MWh"),
               "value is not a finite number")
    assert (p.column, p.value) == ("value", "1e999")


@pytest.mark.parametrize("year", ["1989", "1900", str(NEXT_YEAR + 1), "2999"])
def test_years_out_of_range(tmp_path, companies, year):
    p = single(tmp_path, companies, row(fiscal_year=year), rf"fiscal_year outside 1990\.\.{NEXT_YEAR}")
    assert (p.column, p.value) == ("fiscal_year", year)


def test_year_range_edges_are_allowed(tmp_path, companies):
    d = load_rows(tmp_path, companies, row(fiscal_year="1990"), row(fiscal_year=str(NEXT_YEAR), value="1.3"))
    assert d["fiscal_year"].tolist() == [1990, NEXT_YEAR]


@pytest.mark.parametrize("year", ["FY2024", "2024.5", "", "twenty"])
def test_years_that_are_not_whole_years(tmp_path, companies, year):
    p = single(tmp_path, companies, row(fiscal_year=year), "fiscal_year must be a whole year such as 2024")
    assert (p.column, p.value) == ("fiscal_year", year)


def test_ticker_not_in_companies(tmp_path, companies):
    p = single(tmp_path, companies, row(ticker="ZZZZ"), "ticker is not in the companies table")
    assert (p.column, p.value) == ("ticker", "ZZZZ")


def test_blank_ticker(tmp_path, companies):
    path, probs = problems_of(tmp_path, companies, row(ticker=""))
    assert ("ticker", "ticker is blank") in [(p.column, p.rule) for p in probs]
    assert all(p.row == 2 and p.file == path for p in probs)


def test_conflicting_duplicates_name_the_first_row(tmp_path, companies):
    path, probs = problems_of(tmp_path, companies, row(fiscal_year="2023"), row(), row(value="1.3"))
    (p,) = probs
    assert (p.file, p.row, p.column, p.value) == (path, 4, "value", "1.3")
    assert p.rule == "conflicting duplicate: same ticker, year, metric, basis and source as row 3 but a different value"


def test_conflict_detected_after_unit_conversion(tmp_path, companies):
    path, probs = problems_of(tmp_path, companies,
                              row(metric="electricity_total_mwh", value="1000", unit="MWh"),
                              row(metric="electricity_total_mwh", value="1", unit="GWh"),  # same figure
                              row(metric="electricity_total_mwh", value="2", unit="GWh"))  # conflict
    assert [(p.row, p.column, p.value) for p in probs] == [(4, "value", "2")]


def test_duplicates_with_an_unparseable_year_do_not_crash(tmp_path, companies):
    path, probs = problems_of(tmp_path, companies, row(fiscal_year="20x4"), row(fiscal_year="20x4", value="1.3"))
    assert all(isinstance(p, Problem) for p in probs)
    assert [(p.row, p.column) for p in probs if "whole year" in p.rule] == [(2, "fiscal_year"), (3, "fiscal_year")]


def test_different_source_or_edition_is_not_a_conflict(tmp_path, companies):
    d = load_rows(tmp_path, companies, row(), row(value="1.3", source_url="https://example.invalid/other"),
                  row(value="1.25", report_edition="2025"))
    assert len(d) == 3


def test_figure_without_a_source(tmp_path, companies):
    p = single(tmp_path, companies, row(source_title="", source_url=""),
               r"every disclosed figure needs its source \(source_title or source_url\)")
    assert (p.column, p.value) == ("source_title", "")


def test_either_source_column_is_enough(tmp_path, companies):
    d = load_rows(tmp_path, companies, row(source_title=""), row(fiscal_year="2023", source_url=""))
    assert len(d) == 2


@pytest.mark.parametrize("dq", ["5", "0", "x", "1.5"])
def test_data_quality_scale(tmp_path, companies, dq):
    p = single(tmp_path, companies, row(data_quality=dq), "data_quality must be 1, 2, 3 or 4")
    assert (p.column, p.value) == ("data_quality", dq)


def test_report_edition_must_be_a_year(tmp_path, companies):
    p = single(tmp_path, companies, row(report_edition="latest"), "report_edition must be a year or blank")
    assert (p.column, p.value) == ("report_edition", "latest")


def test_every_problem_is_reported_at_once_sorted_by_row(tmp_path, companies):
    path, probs = problems_of(tmp_path, companies,
                              row(ticker="ZZZZ", value="0.9"),            # line 2: ticker + PUE
                              row(metric="renewable_share_pct", value="12%", unit="%"),  # line 3
                              row(fiscal_year="1980", source_title="", source_url=""))  # line 4: year + source
    got = sorted((p.row, p.column) for p in probs)
    assert got == [(2, "ticker"), (2, "value"), (3, "value"), (4, "fiscal_year"), (4, "source_title")]
    assert [p.row for p in probs] == sorted(p.row for p in probs)
    assert all(p.file == path for p in probs)


def test_error_message_lists_every_problem(tmp_path, companies):
    path = write_csv(tmp_path / "bad.csv", [row(value="0.5"), row(metric="nope")])
    with pytest.raises(EsglibError) as ei:
        load_disclosures(path, companies)
    msg = str(ei.value)
    assert msg.splitlines()[0] == f"2 problems in {path}"
    assert f"{path}, row 2, column value: PUE 0.5 is below 1" in msg
    assert f"{path}, row 3, column metric: unknown metric" in msg and "(got 'nope')" in msg


def test_xlsx_problems_name_the_cell(tmp_path, companies):
    path = tmp_path / "d.xlsx"
    pd.DataFrame([row(), row(value="0.9", fiscal_year="2023")], columns=COLUMNS).to_excel(
        path, sheet_name="Disclosures", index=False)
    with pytest.raises(DataValidationError) as ei:
        load_disclosures(path, companies)
    (p,) = ei.value.problems
    assert (p.file, p.row, p.column, p.value) == (str(path), 3, "Disclosures!D3 (value)", "0.9")


# ------------------------------------------------------------------------------------------------ select_figures
def _pick(sel, ticker, year, metric):
    r = sel[(sel["ticker"] == ticker) & (sel["fiscal_year"] == year) & (sel["metric"] == metric)]
    assert len(r) == 1
    return r.iloc[0]


def test_restatement_newest_edition_wins_msft_fy2020_scope2_market(disclosures):
    cands = disclosures[(disclosures["ticker"] == "MSFT") & (disclosures["fiscal_year"] == 2020)
                        & (disclosures["metric"] == "scope2_market_tco2e")]
    assert sorted(cands["value"]) == [228_194.0, 456_119.0]
    assert sorted(cands["data_quality"]) == [1, 2]
    chosen = _pick(select_figures(disclosures), "MSFT", 2020, "scope2_market_tco2e")
    assert chosen["value"] == 456_119.0  # recast in the 2024 report, although its data quality is worse
    assert chosen["report_edition"] == 2024
    assert chosen["n_candidates"] == 2
    assert chosen["choice"].startswith("preferred basis > latest edition")


def test_restatement_newest_edition_wins_nvda_fy2024_scope1(disclosures):
    chosen = _pick(select_figures(disclosures), "NVDA", 2024, "scope1_tco2e")
    assert chosen["value"] == 11_896.0 and chosen["report_edition"] == 2025 and chosen["n_candidates"] == 2


def test_select_one_row_per_key_canonical_only(disclosures):
    sel = select_figures(disclosures)
    assert not sel.duplicated(["ticker", "fiscal_year", "metric"]).any()
    assert sel["metric"].isin(list(METRICS)).all()
    n_keys = disclosures[disclosures["metric"].isin(list(METRICS))].drop_duplicates(
        ["ticker", "fiscal_year", "metric"]).shape[0]
    assert len(sel) == n_keys
    assert (sel.loc[sel["n_candidates"] == 1, "choice"] == "only figure").all()
    assert {"n_candidates", "choice", "source_row"} <= set(sel.columns)


def _frame(companies, *rows) -> pd.DataFrame:
    df = pd.DataFrame(list(rows), columns=COLUMNS)
    return validate_disclosures(Table(df, "<frame>", None, 1, tuple(COLUMNS)), companies)


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_operational_pue_beats_design_even_when_newer_and_better_quality(companies, order):
    rows = [row(value="1.1", basis="design", data_quality="1", report_edition="2025"),
            row(value="1.3", basis="", data_quality="3", report_edition="2024",
                source_url="https://example.invalid/op")]
    d = _frame(companies, *[rows[i] for i in order])
    assert _pick(select_figures(d), "MSFT", 2024, "pue")["value"] == 1.3


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_better_data_quality_breaks_a_tie_of_edition(companies, order):
    rows = [row(metric="scope1_tco2e", value="100", unit="tCO2e", data_quality="3"),
            row(metric="scope1_tco2e", value="110", unit="tCO2e", data_quality="1",
                source_url="https://example.invalid/b")]
    d = _frame(companies, *[rows[i] for i in order])
    assert _pick(select_figures(d), "MSFT", 2024, "scope1_tco2e")["value"] == 110


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_company_wide_boundary_beats_data_centre_only(companies, order):
    rows = [row(metric="water_consumption_m3", value="100", unit="m3", scope_note="data centres only"),
            row(metric="water_consumption_m3", value="500", unit="m3", source_url="https://example.invalid/b")]
    d = _frame(companies, *[rows[i] for i in order])
    assert _pick(select_figures(d), "MSFT", 2024, "water_consumption_m3")["value"] == 500


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_market_based_total_preferred(companies, order):
    rows = [row(metric="total_ghg_tco2e", value="900", unit="tCO2e", basis="location-based"),
            row(metric="total_ghg_tco2e", value="100", unit="tCO2e", basis="market-based",
                source_url="https://example.invalid/b")]
    d = _frame(companies, *[rows[i] for i in order])
    assert _pick(select_figures(d), "MSFT", 2024, "total_ghg_tco2e")["value"] == 100


def test_file_order_is_the_last_tie_break(companies):
    d = _frame(companies, row(value="1.2"), row(value="1.4", source_url="https://example.invalid/b"))
    assert _pick(select_figures(d), "MSFT", 2024, "pue")["value"] == 1.2


def test_select_figures_does_not_modify_its_input(disclosures):
    before = disclosures.copy(deep=True)
    select_figures(disclosures)
    pd.testing.assert_frame_equal(disclosures, before)


def test_select_figures_empty(disclosures):
    sel = select_figures(disclosures.iloc[:0])
    assert sel.empty and "choice" in sel.columns


# ------------------------------------------------------------------------------------------------ point in time
def test_publication_dates(companies):
    got = publication_dates(companies, [2025, 2024, 2024], ["NVDA", "MSFT", "UNKNOWN"])
    # v2: the default applies to undated figures only and is conservative: fiscal-year end + 365 days
    assert got.tolist() == [pd.Timestamp("2025-01-31") + pd.Timedelta(days=365),  # 2026-01-31
                            pd.Timestamp("2024-06-30") + pd.Timedelta(days=365),
                            pd.Timestamp("2024-12-31") + pd.Timedelta(days=365)]
    assert got.iloc[0] == pd.Timestamp("2026-01-31")
    assert DEFAULT_PUBLICATION_LAG_DAYS == 365
    assert publication_dates(companies, [2025], ["NVDA"], lag_days=0).iloc[0] == pd.Timestamp("2025-01-31")


def test_nvda_fy2025_is_not_usable_before_its_publication_date(disclosures, companies):
    nv = disclosures[disclosures["ticker"] == "NVDA"].assign(published_on=pd.NaT, report_edition=pd.NA)
    before = available_as_of(nv, companies, "2026-01-30")  # undated: fiscal-year end 2025-01-31 + 365 days
    after = available_as_of(nv, companies, "2026-01-31")
    assert 2025 not in set(before["fiscal_year"])
    assert 2025 in set(after["fiscal_year"])
    assert before["fiscal_year"].max() == 2024
    assert after["published_on_estimated"].all()


def test_published_on_sets_when_a_figure_is_known(disclosures, companies):
    nv = disclosures[(disclosures["ticker"] == "NVDA") & (disclosures["fiscal_year"] == 2025)]
    dated = nv.assign(published_on=pd.Timestamp("2025-06-10"))
    assert available_as_of(dated, companies, "2025-06-09").empty
    got = available_as_of(dated, companies, "2025-06-10")
    assert len(got) == len(nv) and not got["published_on_estimated"].any()


def test_no_look_ahead_anywhere(disclosures, companies):
    for as_of in ["2021-03-01", "2023-07-01", "2024-12-31", "2025-08-02"]:
        avail = available_as_of(disclosures, companies, as_of)
        assert not avail.empty
        dated = avail["published_on"].notna()
        assert (avail.loc[dated, "published_on"] <= pd.Timestamp(as_of)).all()
        undated = avail[~dated]
        pub = publication_dates(companies, undated["fiscal_year"].to_numpy(), undated["ticker"].to_numpy())
        assert (pub <= pd.Timestamp(as_of)).all()
        ed = undated["report_edition"].dropna()
        assert (pd.to_datetime(ed.astype(int).astype(str) + "-06-30") <= pd.Timestamp(as_of)).all()
        # and nothing public by then was dropped
        known = figure_publication(disclosures, companies)["known_from"]
        assert len(avail) == int((known <= pd.Timestamp(as_of)).sum())


def test_restatement_is_usable_only_from_its_publication(disclosures, companies):
    def msft_2020(as_of):
        sel = select_figures(available_as_of(disclosures, companies, as_of))
        return _pick(sel, "MSFT", 2020, "scope2_market_tco2e")["value"]

    assert msft_2020("2024-05-14") == 228_194.0  # only the original edition (published 2022-03-31) was public
    assert msft_2020("2024-05-15") == 456_119.0  # the recast in the 2024 report, published that day
    with pytest.raises(AssertionError):
        msft_2020("2022-03-30")  # the day before the first figure was published


def test_available_as_of_returns_a_copy(disclosures, companies):
    before = disclosures.copy(deep=True)
    out = available_as_of(disclosures, companies, "2024-01-01")
    out.loc[:, "value"] = -1.0
    pd.testing.assert_frame_equal(disclosures, before)


# ------------------------------------------------------------------------------------------------ macro
@pytest.mark.parametrize(("call", "match"), [
    (lambda c: load_companies(), r"`path` is required: give the companies file.*esglib\.bundled\.companies\(\)"),
    (lambda c: load_disclosures(companies=c), r"`path` is required: give the disclosures file"),
    (lambda c: load_disclosures(DATA_DIR / "disclosures.csv"), r"`companies` is required"),
    (lambda c: load_macro(), r"`path` is required: give the macro file.*esglib\.bundled\.macro\(\)"),
])
def test_loaders_never_fall_back_to_the_bundled_files(companies, call, match):
    with pytest.raises(ConfigError, match=match):
        call(companies)


def test_bundled_loaders_match_the_library_on_the_bundled_files(companies):
    from esglib import bundled

    pd.testing.assert_frame_equal(bundled.companies(), load_companies(DATA_DIR / "companies.csv"))
    pd.testing.assert_frame_equal(bundled.macro(), load_macro(DATA_DIR / "macro.csv"))
    assert len(bundled.disclosures()) == len(load_disclosures(DATA_DIR / "disclosures.csv", companies))


def test_load_macro_bundled():
    m = load_macro(DATA_DIR / "macro.csv")
    assert {"series", "region", "year", "value", "unit", "source_title", "source_url"} <= set(m.columns)
    assert m["value"].notna().all()
    if "note" in m.columns:
        assert not m["note"].str.contains("do not use", case=False).any()


def test_load_macro_bad_value(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("series,region,year,value,unit,source_title,source_url,note\n"
                 "dc_twh,World,2024,415,TWh,s,u,\n"
                 "dc_twh,World,2030,about 945,TWh,s,u,\n"
                 "dc_twh,US,2024,1,TWh,s,u,Do not use: superseded\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="value is not a number") as ei:
        load_macro(p)
    (prob,) = ei.value.problems
    assert (prob.row, prob.column, prob.value) == (3, "value", "about 945")
    p.write_text(p.read_text().replace("about 945", "945"), encoding="utf-8")
    assert load_macro(p)["region"].tolist() == ["World", "World"]


def test_canonical_metric_names_are_case_insensitive(tmp_path, companies):
    from esglib.inputs import load_disclosures

    f = tmp_path / "d.csv"
    f.write_text("ticker,fiscal_year,metric,value,unit,source_title\nGOOGL,2023,PUE,1.1,ratio,report\n"
                 "GOOGL,2023,Scope1_tCO2e,5,kt CO2e,report\n", encoding="utf-8")
    d = load_disclosures(f, companies)
    assert list(d["metric"]) == ["pue", "scope1_tco2e"]
    assert list(d["value"]) == [1.1, 5000.0]
