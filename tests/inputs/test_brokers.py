"""Tests for esglib.inputs.brokers: broker exports as downloaded (fixtures and hand answers in
tests/fixtures/brokers/README.md)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from esglib.errors import ConfigError, DataValidationError
from esglib.inputs.brokers import (
    HOLDINGS_COLUMNS,
    SKIP_KINDS,
    BrokerExport,
    detect_broker,
    parse_amount,
    parse_broker_export,
)

HERE = Path(__file__).resolve().parent
FIX = HERE.parent / "fixtures" / "brokers"
DATA = HERE.parent.parent / "data"

FIDELITY = "Portfolio_Positions_Jan-05-2026_SYNTHETIC.csv"
SCHWAB = "Individual-Positions-2026-01-05-160000_SYNTHETIC.csv"
VANGUARD = "OfxDownload_SYNTHETIC.csv"
IBKR = "ActivityStatement_202512_SYNTHETIC.csv"


def read(name: str) -> str:
    return (FIX / name).read_text(encoding="utf-8")


def parse(name: str) -> BrokerExport:
    return parse_broker_export(read(name), source=name)


NAN = math.nan
# (row, ticker, symbol, quantity, price, market value, weight, is_cash): from the fixture README
EXPECTED = {
    FIDELITY: ("fidelity", [
        (2, "CASH", "SPAXX**", NAN, NAN, 5000.0, 0.10, True),
        (3, "NVDA", "NVDA", 100.0, 180.0, 18000.0, 0.36, False),
        (4, "MSFT", "MSFT", 25.0, 400.0, 10000.0, 0.20, False),
        (5, "GOOGL", "GOOGL", 40.0, 250.0, 10000.0, 0.20, False),
        (6, "OKLO", "OKLO", 50.0, 70.0, 3500.0, 0.07, False),
        (7, "EQIX", "EQIX", 4.0, 875.0, 3500.0, 0.07, False),
    ]),
    SCHWAB: ("schwab", [
        (4, "AMZN", "AMZN", 50.0, 220.0, 11000.0, 0.44, False),
        (5, "TSM", "TSM", 40.0, 200.0, 8000.0, 0.32, False),
        (6, "OKLO", "OKLO", 1000.0, 2.0, 2000.0, 0.08, False),
        (7, "AVGO", "AVGO", 10.0, 300.0, 3000.0, 0.12, False),
        (8, "CASH", "Cash & Cash Investments", NAN, NAN, 1000.0, 0.04, True),
    ]),
    VANGUARD: ("vanguard", [
        (2, "CASH", "VMFXX", 2500.0, 1.0, 2500.0, NAN, True),
        (3, "NVDA", "NVDA", 20.0, 180.0, 3600.0, NAN, False),
        (4, "AAPL", "AAPL", 30.0, 260.0, 7800.0, NAN, False),
        (5, "OKLO", "OKLO", 10.0, 70.0, 700.0, NAN, False),
        (7, "MSFT", "MSFT", 5.0, 400.0, 2000.0, NAN, False),
    ]),
    IBKR: ("ibkr", [
        (15, "AMD", "AMD", 40.0, 200.0, 8000.0, NAN, False),
        (16, "ORCL", "ORCL", 30.0, 200.0, 6000.0, NAN, False),
        (17, "OKLO", "OKLO", 20.0, 70.0, 1400.0, NAN, False),
        (27, "CASH", "USD", NAN, NAN, 4600.0, NAN, True),
    ]),
}
# {line: kind} of every non-blank skipped line, from the fixture README
EXPECTED_SKIPS = {
    FIDELITY: {8: "pending", 10: "disclaimer", 11: "disclaimer", 13: "disclaimer", 14: "footer"},
    SCHWAB: {1: "title", 9: "total"},
    VANGUARD: {11: "section", 12: "section", 13: "section", 14: "section", 15: "section"},
    IBKR: {**{i: "title" for i in range(1, 10)}, **{i: "section" for i in (10, 11, 12, 13, 14)},
           18: "total", **{i: "section" for i in range(19, 26)}, 26: "total",
           **{i: "disclaimer" for i in range(28, 32)}},
}
TOTALS = {FIDELITY: 50000.0, SCHWAB: 25000.0, VANGUARD: 16600.0, IBKR: 20000.0}


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)


# ------------------------------------------------------------------------------------------------ fixtures
@pytest.mark.parametrize("name", list(EXPECTED))
def test_fixture_parses_to_the_hand_derived_positions(name):
    broker, rows = EXPECTED[name]
    out = parse(name)
    assert out.broker == broker
    h = out.holdings
    assert tuple(h.columns) == HOLDINGS_COLUMNS
    assert len(h) == len(rows)
    for (_, got), want in zip(h.iterrows(), rows, strict=True):
        row, ticker, symbol, qty, price, mv, weight, cash = want
        assert got["source_row"] == row
        assert got["ticker"] == ticker, row
        assert got["symbol"] == symbol, row
        assert _same(got["quantity"], qty), row
        assert _same(got["price"], price), row
        assert _same(got["market_value"], mv), row
        assert _same(got["weight"], weight), row
        assert bool(got["is_cash"]) is cash, row
    assert h["market_value"].sum() == pytest.approx(TOTALS[name])


@pytest.mark.parametrize("name", list(EXPECTED))
def test_fixture_skipped_lines_are_named(name):
    out = parse(name)
    got = {s.line: s.kind for s in out.skipped if s.kind != "blank"}
    assert got == EXPECTED_SKIPS[name]
    assert {s.kind for s in out.skipped} <= set(SKIP_KINDS)
    # every line of the file is the header, a position or a skipped line, exactly once
    n_lines = len(read(name).rstrip("\n").split("\n"))
    header = [] if out.header_row is None else [out.header_row]
    seen = sorted([s.line for s in out.skipped] + out.holdings["source_row"].tolist() + header)
    assert seen == list(range(1, n_lines + 1))
    # the skipped text is the line as written
    lines = read(name).split("\n")
    assert all(lines[s.line - 1].startswith(s.text) for s in out.skipped)


@pytest.mark.parametrize(("name", "label", "fragments"), [
    (FIDELITY, "Fidelity", ["1 pending-activity line (line 8)", "4 disclaimer/footer lines (lines 10-11, 13-14)"]),
    (SCHWAB, "Schwab", ["1 title line (line 1)", "1 total line (line 9)"]),
    (VANGUARD, "Vanguard", ["5 lines of other sections (lines 11-15)"]),
    (IBKR, "Interactive Brokers", ["2 total lines (lines 18, 26)", "9 title lines (lines 1-9)"]),
])
def test_summary_note_names_the_broker_and_every_skip(name, label, fragments):
    out = parse(name)
    first = out.notes[0]
    assert first.startswith(f"{label} export: read ")
    assert out.label == label
    for frag in fragments:
        assert frag in first
    assert first.count(".") >= 1 and "\n" not in first


@pytest.mark.parametrize(("name", "cash_rows"), [(FIDELITY, [2]), (SCHWAB, [8]), (VANGUARD, [2]), (IBKR, [27])])
def test_cash_and_money_market_lines_are_cash_never_stocks(name, cash_rows):
    h = parse(name).holdings
    assert h.loc[h["is_cash"], "source_row"].tolist() == cash_rows
    assert (h.loc[h["is_cash"], "ticker"] == "CASH").all()
    assert not h.loc[~h["is_cash"], "ticker"].isin(["CASH", "SPAXX", "VMFXX", "USD"]).any()
    assert any("read as cash" in n for n in parse(name).notes)


@pytest.mark.parametrize(("name", "broker"), [
    (FIDELITY, "fidelity"), (SCHWAB, "schwab"), (VANGUARD, "vanguard"), (IBKR, "ibkr"),
    ("mixed_weights_generic.csv", "generic"),
])
def test_detect_broker(name, broker):
    assert detect_broker(read(name)) == broker


def test_newer_fidelity_spelling_in_lower_case():
    text = (
        "Account number,Account name,Symbol,Description,Quantity,Last price,Last price change,Current value,"
        "Today's gain/loss dollar,Today's gain/loss percent,Total gain/loss dollar,Total gain/loss percent,"
        "Percent of account,Cost basis total,Average cost basis,Type\n"
        "Z00000001,Individual,FCASH**,HELD IN FCASH,,,,$100.00,,,,,10.00%,,,Cash,\n"
        'Z00000001,Individual,NVDA,NVIDIA CORPORATION COM,5,$180.00,+$1.20,$900.00,,,,,90.00%,,,Cash,\n'
        "\n"
        '"Date downloaded Jan-05-2026 4:00 p.m ET"\n'
    )
    out = parse_broker_export(text)
    assert out.broker == "fidelity"
    assert out.holdings["ticker"].tolist() == ["CASH", "NVDA"]
    assert out.holdings["weight"].tolist() == pytest.approx([0.1, 0.9])
    assert [(s.line, s.kind) for s in out.skipped] == [(4, "blank"), (5, "footer")]


def test_bundled_sample_portfolio_is_generic_and_unchanged():
    text = (DATA / "sample_portfolio.csv").read_text(encoding="utf-8")
    out = parse_broker_export(text, source="sample_portfolio.csv")
    assert out.broker == "generic"
    assert out.skipped == ()
    assert len(out.holdings) == 17
    assert out.holdings["is_cash"].sum() == 1
    assert out.holdings.iloc[-1]["market_value"] == 20000.0
    assert out.notes[0] == "Holdings export: read 16 positions and 1 cash line."


def test_bom_and_crlf_are_accepted():
    text = read(SCHWAB)
    out = parse_broker_export("\ufeff" + text.replace("\n", "\r\n"))
    pd.testing.assert_frame_equal(out.holdings, parse(SCHWAB).holdings)


def test_older_schwab_spelling_and_all_accounts_blocks():
    text = (
        '"Positions for All-Accounts as of 08:50 PM ET, 01/05/2026"\n'
        "\n"
        '"Individual ...123"\n'
        '"Symbol","Description","Quantity","Price","Market Value","% Of Account","Security Type",\n'
        '"NVDA","NVIDIA CORP","10","$180.00","$1,800.00","90%","Equity",\n'
        '"Cash & Cash Investments","--","--","--","$200.00","10%","Cash and Money Market",\n'
        '"Account Total","--","--","--","$2,000.00","--","--",\n'
        "\n"
        '"Roth IRA ...456"\n'
        '"Symbol","Description","Quantity","Price","Market Value","% Of Account","Security Type",\n'
        '"MSFT","MICROSOFT CORP","2","$400.00","$800.00","100%","Equity",\n'
        '"Account Total","--","--","--","$800.00","--","--",\n'
    )
    out = parse_broker_export(text)
    assert out.broker == "schwab"
    assert out.holdings["ticker"].tolist() == ["NVDA", "CASH", "MSFT"]
    kinds = {s.line: s.kind for s in out.skipped}
    assert kinds[1] == "title" and kinds[3] == "title" and kinds[9] == "title"
    assert kinds[10] == "section" and kinds[7] == "total" and kinds[12] == "total"


def test_ibkr_lot_lines_forex_and_percent_of_nav():
    text = (
        "Statement,Header,Field Name,Field Value\n"
        "Statement,Data,Title,Activity Statement\n"
        "Open Positions,Header,DataDiscriminator,Asset Category,Currency,Symbol,Open,Quantity,Mult,Cost Price,"
        "Cost Basis,Close Price,Value,Unrealized P/L,% of NAV,Code\n"
        "Open Positions,Data,Summary,Stocks,USD,NVDA,-,10,1,100,1000,180,1800,800,90,\n"
        'Open Positions,Data,Lot,Stocks,USD,NVDA,"2025-01-02, 10:00:00",10,,100,1000,180,1800,800,,LT\n'
        "Open Positions,Data,Summary,Forex,USD,EUR,-,,1,,,,200,,10,\n"
        "Open Positions,Total,,Stocks,USD,,,,,,1000,,1800,800,,\n"
    )
    out = parse_broker_export(text)
    h = out.holdings
    assert out.broker == "ibkr"
    assert h["ticker"].tolist() == ["NVDA", "CASH"]
    assert h["weight"].tolist() == pytest.approx([0.9, 0.1])
    assert h["is_cash"].tolist() == [False, True]
    assert {s.line: s.kind for s in out.skipped}[5] == "detail"
    assert {s.line: s.kind for s in out.skipped}[7] == "total"


def test_ibkr_non_usd_lines_are_noted_not_converted():
    text = (
        "Open Positions,Header,DataDiscriminator,Asset Category,Currency,Symbol,Quantity,Mult,Cost Price,"
        "Cost Basis,Close Price,Value,Unrealized P/L,Code\n"
        "Open Positions,Data,Summary,Stocks,USD,NVDA,10,1,100,1000,180,1800,800,\n"
        "Open Positions,Data,Summary,Stocks,EUR,ASML,1,1,600,600,700,700,100,\n"
    )
    out = parse_broker_export(text)
    assert out.holdings["currency"].tolist() == ["USD", "EUR"]
    assert any("1 line in EUR (lines 3)" in n and "not converted" in n for n in out.notes)


# ------------------------------------------------------------------------------------------------ amounts
@pytest.mark.parametrize(("text", "value"), [
    ("1234.5", 1234.5),
    ("$1,234.56", 1234.56),
    ('"$45,900.35"'.strip('"'), 45900.35),
    ("(1,234.50)", -1234.5),
    ("($1,234.50)", -1234.5),
    ("$(1,234.50)", -1234.5),
    ("(1,234)", -1234.0),
    ("$-12.00", -12.0),
    ("-$12.00", -12.0),
    ("+$0.31", 0.31),
    ("+0.67%", 0.0067),
    ("12.5%", 0.125),
    ("(9.09%)", -0.0909),
    ("1.2E3", 1200.0),
    ("1e-2", 0.01),
    ("  $ 1,000  ", 1000.0),
    ("1,000", 1000.0),
    ("0", 0.0),
    (".5", 0.5),
])
def test_parse_amount(text, value):
    assert parse_amount(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "--", "-", "n/a", "N/A", " NA ", "None"])
def test_parse_amount_placeholders_are_nan(text):
    assert math.isnan(parse_amount(text))


@pytest.mark.parametrize("text", ["1.234,5", "1,23", "12 shares", "abc", "inf", "$$1", "1,2345.00", "--5"])
def test_parse_amount_refuses_text(text):
    with pytest.raises(ConfigError, match="not a number as brokers write them"):
        parse_amount(text)


# ------------------------------------------------------------------------------------------------ refusals
def test_mixed_percent_and_fraction_weights_are_refused_with_a_located_message():
    with pytest.raises(DataValidationError) as exc:
        parse_broker_export(read("mixed_weights_generic.csv"), source="mixed_weights_generic.csv")
    (p,) = exc.value.problems
    assert (p.file, p.row, p.column, p.value) == ("mixed_weights_generic.csv", 3, "Weight", "0.25")
    assert "mix percent and fraction" in p.rule and "line 2" in p.rule and "'30%'" in p.rule
    assert "mixed_weights_generic.csv, row 3, column Weight" in str(exc.value)


def test_mixed_weights_in_a_broker_file_name_the_broker_column():
    text = read(SCHWAB).replace('"0%","Equity"\n', '"0.12","Equity"\n').replace('"12%","Equity"', '"0.12","Equity"')
    with pytest.raises(DataValidationError, match=r"row 7, column % of Acct \(% of Account\): weights mix"):
        parse_broker_export(text, source=SCHWAB)


def test_weights_over_100_percent_as_the_only_amount_are_refused_not_rescaled():
    text = "Ticker,Weight\nNVDA,90%\nMSFT,60%\n"
    with pytest.raises(DataValidationError) as exc:
        parse_broker_export(text, source="w.csv")
    (p,) = exc.value.problems
    assert p.column == "Weight" and "sum to 150.0%" in p.rule and "does not rescale" in p.rule


def test_weights_under_100_percent_get_a_note():
    out = parse_broker_export("Ticker,Weight\nNVDA,50\nMSFT,40\n", source="w.csv")
    assert out.holdings["weight"].tolist() == pytest.approx([0.5, 0.4])
    assert any("sum to 90.0%" in n and "scales the listed holdings" in n for n in out.notes)
    assert out.concerns == out.notes[1:]


def test_columns_are_named_as_the_file_writes_them():
    assert dict(parse(SCHWAB).columns) == {
        "ticker": "Symbol", "name": "Description", "quantity": "Qty (Quantity)", "price": "Price",
        "market_value": "Mkt Val (Market Value)", "weight": "% of Acct (% of Account)"}
    assert dict(parse(IBKR).columns)["market_value"] == "Value"
    assert parse(SCHWAB).concerns == ()


def test_weights_beside_market_values_that_do_not_sum_to_100_get_a_note():
    text = read(SCHWAB).replace('"44%"', '"94%"')
    out = parse_broker_export(text)
    assert any("sums to 150.0%" in n and "market value" in n for n in out.notes)


def test_fraction_weights_and_percent_points_without_sign():
    a = parse_broker_export("Ticker,Weight\nNVDA,0.6\nMSFT,0.4\n").holdings["weight"].tolist()
    b = parse_broker_export("Ticker,Weight\nNVDA,60\nMSFT,40\n").holdings["weight"].tolist()
    c = parse_broker_export("Ticker,% of portfolio\nNVDA,0.6\nMSFT,0.4\n").holdings["weight"].tolist()
    assert a == pytest.approx([0.6, 0.4]) and b == pytest.approx([0.6, 0.4])
    assert c == pytest.approx([0.006, 0.004])  # the column says percent: 0.6 means 0.6 %


def test_every_bad_cell_is_reported_at_once_with_its_location():
    text = read(FIDELITY).replace('"$18,000.00"', '"1.234,5"')
    text = text.replace(",25,$400.00,", ",25 shares,$400.00,")
    with pytest.raises(DataValidationError) as exc:
        parse_broker_export(text, source=FIDELITY)
    got = {(p.row, p.column, p.value) for p in exc.value.problems}
    assert got == {(3, "Current Value", "1.234,5"), (4, "Quantity", "25 shares")}


@pytest.mark.parametrize(("text", "rule"), [
    ("", "file is empty"),
    ("\n\n", "file is empty"),
    ("Name,Notes\nfoo,bar\n", "no header row found"),
    ("Statement,Header,Field Name,Field Value\nTrades,Header,DataDiscriminator,Symbol\n"
     "Trades,Data,Order,AMD\n", "no Open Positions section"),
    ("Symbol,Market Value\nAccount Total,100\n", "no positions found"),
    ("Symbol,Description,Market Value\n,SOME FUND,100\n", "ticker is blank"),
    ("Symbol,Market Value,Quantity\nNVDA,--,--\n", "no market value, weight or quantity"),
])
def test_unusable_files_are_refused(text, rule):
    with pytest.raises(DataValidationError, match=rule):
        parse_broker_export(text, source="f.csv")


def test_text_must_be_str():
    with pytest.raises(ConfigError, match="`text` must be the decoded file"):
        parse_broker_export(b"Symbol,Value\n")  # type: ignore[arg-type]


def test_a_percentage_is_refused_outside_the_weight_column():
    pattern = r"row 3, column Shares: a quantity cannot be a percentage \(got '12%'\)"
    with pytest.raises(DataValidationError, match=pattern):
        parse_broker_export("Ticker,Shares\nNVDA,10\nMSFT,12%\n")


def test_unquoted_disclaimer_with_commas_is_skipped_not_refused():
    text = read(FIDELITY) + "Brokerage services are provided by Example LLC (EX), 1 Main Street, Boston, MA 02110\n"
    out = parse_broker_export(text)
    pd.testing.assert_frame_equal(out.holdings, parse(FIDELITY).holdings)
    assert out.skipped[-1].kind == "disclaimer" and out.skipped[-1].line == 15


def test_a_stray_note_inside_the_table_is_refused_but_after_a_gap_is_a_disclaimer():
    with pytest.raises(DataValidationError, match=r"row 3, column Ticker: ticker is blank and the row has no amount"):
        parse_broker_export("Ticker,Description,Market Value\nNVDA,x,10\n,stray note,\nMSFT,y,5\n")
    out = parse_broker_export("Ticker,Description,Market Value\nNVDA,x,10\n\n,a note after the table,\n")
    assert [(s.line, s.kind) for s in out.skipped] == [(3, "blank"), (4, "disclaimer")]


def test_pending_activity_never_becomes_a_holding_even_when_negative():
    out = parse(FIDELITY)
    assert "PENDING ACTIVITY" not in out.holdings["ticker"].str.upper().tolist()
    assert (out.holdings["market_value"] >= 0).all()


# ------------------------------------------------------------------------------------------------ properties
_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ.", min_size=1, max_size=40)
_sentence = st.tuples(_words, _words).map(lambda t: f"{t[0].strip() or 'x'} {t[1].strip() or 'y'}")
_extra = st.lists(st.one_of(st.just(""), _sentence.map(lambda s: f'"{s}"'), _sentence), max_size=4)


def _without_rows(h: pd.DataFrame) -> pd.DataFrame:
    return h.drop(columns="source_row").reset_index(drop=True)


@pytest.mark.parametrize("name", list(EXPECTED) + ["sample"])
@given(before=_extra, after=_extra)
def test_blank_and_disclaimer_lines_around_the_table_never_change_the_holdings(name, before, after):
    text = (DATA / "sample_portfolio.csv").read_text(encoding="utf-8") if name == "sample" else read(name)
    base = parse_broker_export(text)
    padded = "".join(line + "\n" for line in before) + text.rstrip("\n") + "\n" + "".join(
        line + "\n" for line in after)
    out = parse_broker_export(padded)
    assert out.broker == base.broker
    pd.testing.assert_frame_equal(_without_rows(out.holdings), _without_rows(base.holdings))
    assert (out.holdings["source_row"] - base.holdings["source_row"] == len(before)).all()
    assert sum(s.kind in {"title", "blank", "disclaimer"} for s in out.skipped) >= len(before) + len(after)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_input_is_not_modified_and_results_are_independent(name):
    text = read(name)
    copy = str(text)
    first = parse_broker_export(text)
    first.holdings.loc[:, "market_value"] = np.nan  # a caller editing the result...
    second = parse_broker_export(text)
    assert text == copy
    assert second.holdings["market_value"].notna().all()  # ...does not change the next parse
    assert parse_broker_export(text).notes == second.notes
