"""Tests of the Excel input template (esglib.outputs.excel.write_template) and its read-back.

The template is filled programmatically with openpyxl, as an analyst would by typing or pasting, and read back
through esglib.inputs.load_disclosures: a valid fill gives the same disclosures as the equivalent CSV and scores;
a fill with mistakes names every problem by sheet and cell.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from esglib.atomicio import TMP_PREFIX
from esglib.errors import ConfigError, DataValidationError
from esglib.inputs import CANONICAL_UNIT, METRICS, UNIT_FAMILIES, load_companies, load_disclosures
from esglib.outputs.excel import TEMPLATE_COLUMNS, TEMPLATE_ROWS, write_template
from esglib.scoring import score

openpyxl = pytest.importorskip("openpyxl")
FIX = Path(__file__).resolve().parents[1] / "fixtures" / "excel"
NUMERIC = ("fiscal_year", "value", "data_quality", "report_edition")


def fill_template(template: Path, rows: pd.DataFrame, out: Path) -> Path:
    """Type ``rows`` (strings, as in a CSV) into the Disclosures sheet: numbers as numbers, the rest as text."""
    wb = openpyxl.load_workbook(template)
    ws = wb["Disclosures"]
    for i, rec in enumerate(rows.reindex(columns=list(TEMPLATE_COLUMNS), fill_value="").itertuples(index=False),
                             start=2):
        for j, (col, val) in enumerate(zip(TEMPLATE_COLUMNS, rec, strict=True), start=1):
            if val == "":
                continue
            if col in NUMERIC:
                try:
                    val = int(val)
                except ValueError:
                    try:
                        val = float(val)
                    except ValueError:
                        pass  # pasted text such as "1,234": Excel keeps it as text
            ws.cell(i, j, val)
    wb.save(out)
    return out


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return write_template(tmp_path_factory.mktemp("tpl") / "template.xlsx")


@pytest.fixture(scope="module")
def twb(template):
    return openpyxl.load_workbook(template)


def _rows(name: str) -> pd.DataFrame:
    return pd.read_csv(FIX / name, dtype=str, keep_default_na=False)


# ------------------------------------------------------------------------------------------------ structure
def test_sheets(twb):
    assert twb.sheetnames == ["Instructions", "Disclosures", "Lists"]
    assert [ws.sheet_state for ws in twb] == ["visible", "visible", "hidden"]
    assert twb.active.title == "Instructions"


def test_disclosures_header_and_no_data(twb):
    ws = twb["Disclosures"]
    assert [c.value for c in ws[1]] == list(TEMPLATE_COLUMNS)
    assert TEMPLATE_COLUMNS == ("ticker", "fiscal_year", "metric", "value", "unit", "basis", "scope_note",
                                "data_quality", "source_title", "source_url", "quote", "report_edition", "published_on",
                                "retrieved_from")
    assert ws.max_row == 1  # examples live on the Instructions sheet, never in Disclosures
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b
    assert ws.column_dimensions["A"].number_format == "@"  # tickers typed stay text


def _validations(ws) -> dict[str, object]:
    return {str(dv.sqref).split(":")[0][0]: dv for dv in ws.data_validations.dataValidation}


@pytest.mark.parametrize(("column", "kind", "formula1", "formula2"), [
    ("C", "list", f"Lists!$A$2:$A${len(METRICS) + 1}", None),    # metric
    ("D", "decimal", "-1E+300", "1E+300"),                         # value
    ("B", "whole", "1990", "2100"),                                # fiscal_year
    ("L", "whole", "1990", "2100"),                                # report_edition
    ("H", "list", '"1,2,3,4"', None),                              # data_quality
])
def test_data_validations(twb, column, kind, formula1, formula2):
    dv = _validations(twb["Disclosures"])[column]
    assert dv.type == kind
    assert dv.formula1 == formula1 and dv.formula2 == formula2
    assert str(dv.sqref) == f"{column}2:{column}{TEMPLATE_ROWS + 1}"
    assert dv.allow_blank and dv.showErrorMessage and dv.showInputMessage
    if kind in ("decimal", "whole"):
        assert dv.operator == "between"


def test_unit_list_covers_every_accepted_spelling(twb):
    dv = _validations(twb["Disclosures"])["E"]
    assert dv.type == "list"
    lists = twb["Lists"]
    n = int(dv.formula1.rsplit("$", 1)[1]) - 1
    units = [lists.cell(r, 2).value for r in range(2, n + 2)]
    lower = {u.lower() for u in units}
    assert len(lower) == len(units)  # no case-insensitive duplicates
    assert set(CANONICAL_UNIT.values()) <= set(units)
    assert {s for fam in UNIT_FAMILIES.values() for s in fam} <= lower
    assert units[: len(CANONICAL_UNIT)] == list(dict.fromkeys(CANONICAL_UNIT.values()))


def test_metric_list_is_the_catalogue(twb):
    lists = twb["Lists"]
    assert [lists.cell(r, 1).value for r in range(2, len(METRICS) + 2)] == sorted(METRICS)
    assert lists.cell(len(METRICS) + 2, 1).value is None
    assert [lists.cell(r, 3).value for r in range(2, 6)] == [1, 2, 3, 4]
    # metric accepts other:<name> after a warning, so the list is not a hard stop
    assert _validations(twb["Disclosures"])["C"].errorStyle == "warning"


def test_instructions_with_examples_and_catalogue(twb):
    ws = twb["Instructions"]
    text = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert any("esglib validate" in t for t in text)
    header = next(r for r in range(1, 40) if ws.cell(r, 1).value == "ticker")
    assert [ws.cell(header, c).value for c in range(1, len(TEMPLATE_COLUMNS) + 1)] == list(TEMPLATE_COLUMNS)
    assert ws.cell(header + 1, 3).value == "pue" and ws.cell(header + 1, 4).value == 1.1
    assert all(m in text for m in METRICS)


# ------------------------------------------------------------------------------------------------ round trip
@pytest.fixture(scope="module")
def valid_fill(template, tmp_path_factory):
    return fill_template(template, _rows("template_rows_valid.csv"), tmp_path_factory.mktemp("f") / "filled.xlsx")


def test_filled_template_reads_back_like_the_csv(valid_fill, companies):
    got = load_disclosures(valid_fill, companies)
    exp = load_disclosures(FIX / "template_rows_valid.csv", companies)
    assert len(got) == len(exp) == len(_rows("template_rows_valid.csv"))
    cols = [c for c in got.columns if c not in ("source_file", "reported_value")]
    pd.testing.assert_frame_equal(got[cols], exp[cols])
    # the figure as typed is kept; Excel stores 40.0 as 40, so compare numerically
    assert pd.to_numeric(got["reported_value"].replace("", None)).equals(
        pd.to_numeric(exp["reported_value"].replace("", None)))
    assert (got["source_file"] == str(valid_fill)).all()
    assert got["source_row"].tolist() == list(range(2, len(got) + 2))


def test_published_on_typed_as_an_excel_date_reads_back_as_that_day(template, tmp_path, companies):
    import datetime as dt

    wb = openpyxl.load_workbook(template)
    ws = wb["Disclosures"]
    row = _rows("template_rows_valid.csv").iloc[0]
    for j, col in enumerate(TEMPLATE_COLUMNS, start=1):
        val = row.get(col, "")
        if col == "published_on":
            ws.cell(2, j, dt.datetime(2024, 4, 18))  # what Excel stores when a user types 2024-04-18
        elif val != "":
            ws.cell(2, j, float(val) if col in NUMERIC else val)
    path = tmp_path / "dated.xlsx"
    wb.save(path)
    got = load_disclosures(path, companies)
    assert got.at[0, "published_on"] == pd.Timestamp("2024-04-18")
    ws.cell(2, TEMPLATE_COLUMNS.index("published_on") + 1, dt.datetime(2024, 4, 18, 13, 5))  # a time is not a day
    wb.save(path)
    with pytest.raises(DataValidationError, match="published_on must be an ISO date"):
        load_disclosures(path, companies)


def test_filled_template_converts_units(valid_fill, companies):
    d = load_disclosures(valid_fill, companies)
    msft = d[(d["ticker"] == "MSFT") & (d["metric"] == "electricity_total_mwh") & (d["fiscal_year"] == 2024)]
    assert msft["value"].iloc[0] == pytest.approx(29.83e6)
    assert msft["unit"].iloc[0] == "MWh" and msft["reported_unit"].iloc[0] == "million MWh"


def test_filled_template_scores(valid_fill, companies):
    s = score(load_disclosures(valid_fill, companies), companies=companies)
    filled = s.loc[["GOOGL", "MSFT", "NVDA"]]
    assert (filled["n_figures"] > 0).all()
    assert filled["composite_indicative"].notna().all()  # (rated or withheld by the v2 coverage rules)
    assert set(filled["rating"]) <= {"CCC", "B", "BB", "BBB", "A", "AA", "AAA", "NR"}


def test_errors_are_named_by_sheet_and_cell(template, tmp_path, companies):
    bad = fill_template(template, _rows("template_rows_invalid.csv"), tmp_path / "bad.xlsx")
    with pytest.raises(DataValidationError) as info:
        load_disclosures(bad, companies)
    found = {(p.row, p.column): p for p in info.value.problems}
    expected = {
        (5, "Disclosures!B5 (fiscal_year)"): "fiscal_year must be a whole year",
        (7, "Disclosures!C7 (metric)"): "unknown metric",
        (9, "Disclosures!E9 (unit)"): "unit does not fit metric electricity_total_mwh",
        (10, "Disclosures!A10 (ticker)"): "ticker is not in the companies table",
        (12, "Disclosures!D12 (value)"): "value is not a plain number",
        (14, "Disclosures!D14 (value)"): "PUE 0.8 is below 1",
        (16, "Disclosures!H16 (data_quality)"): "data_quality must be 1, 2, 3 or 4",
    }
    assert set(found) == set(expected)
    for key, rule in expected.items():
        assert found[key].rule.startswith(rule), found[key]
        assert found[key].file == str(bad)
    assert "Disclosures!D14 (value): PUE 0.8 is below 1" in str(info.value)


def test_blank_template_is_a_clear_error(template, companies):
    with pytest.raises(DataValidationError, match="no data rows"):
        load_disclosures(template, companies)


@given(st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False))
def test_values_round_trip_exactly(tmp_path_factory, value):
    base = tmp_path_factory.getbasetemp() / "hyp"
    base.mkdir(exist_ok=True)
    tpl = base / "t.xlsx"
    if not tpl.exists():
        write_template(tpl)
    rows = pd.DataFrame([{c: "" for c in TEMPLATE_COLUMNS} | {
        "ticker": "GOOGL", "fiscal_year": "2024", "metric": "renewable_share_pct", "value": repr(value), "unit": "%",
        "source_title": "test"}])
    out = fill_template(tpl, rows, base / "v.xlsx")
    stored = openpyxl.load_workbook(out)["Disclosures"]["D2"].value  # what the workbook holds
    d = load_disclosures(out, check_universe=False)
    assert d["value"].iloc[0] == stored  # read back exactly, whatever number the cell holds
    assert d["value"].iloc[0] == pytest.approx(value, rel=1e-15, abs=1e-300)


# ------------------------------------------------------------------------------------------------ writing
def test_bad_path(tmp_path):
    with pytest.raises(ConfigError, match="must end in .xlsx"):
        write_template(tmp_path / "t.xls")


@pytest.mark.parametrize("where", ["disclosures", "lists", "save"])
def test_failure_leaves_existing_file_untouched(tmp_path, where):
    target = write_template(tmp_path / "t.xlsx")
    before = target.read_bytes()

    def boom(stage, tmp):
        if stage == where:
            raise ZeroDivisionError("injected")

    with pytest.raises(ZeroDivisionError):
        write_template(target, on_step=boom)
    assert target.read_bytes() == before
    assert not list(tmp_path.glob(f"{TMP_PREFIX}*"))


def test_companies_fixture_is_valid():
    # the small hostile universe used by the export tests loads (its names are text, not formulas)
    c = load_companies(FIX / "companies_hostile.csv")
    assert c.loc[c["ticker"] == "AAPL", "company"].item() == "@SUM(1)"
