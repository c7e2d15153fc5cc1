"""The scorecard reads and prints well (issue 14): formats, widths, wrapped headers, chart placement, print setup.

Every check reads the written workbook back with openpyxl, cell by cell.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from esglib.outputs.excel import write_scorecard
from esglib.outputs.excel._styling import _wrap_lines, auto_width, header_height
from esglib.scoring import PILLARS, score

openpyxl = pytest.importorskip("openpyxl")
from openpyxl.utils import column_index_from_string, get_column_letter  # noqa: E402

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "excel"
FOOTPRINT = ("energy", "water", "procurement", "circularity")


@pytest.fixture(scope="module")
def scores(disclosures, companies):
    return score(disclosures, companies=companies)


@pytest.fixture(scope="module")
def wb(tmp_path_factory, scores, disclosures, companies):
    path = tmp_path_factory.mktemp("layout") / "scorecard.xlsx"
    write_scorecard(path, scores=scores, disclosures=disclosures, companies=companies)
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def holdings_wb(tmp_path_factory):
    pytest.importorskip("esglib.portfolio")
    import warnings

    from esglib.inputs import load_companies, load_disclosures
    from esglib.portfolio import load_holdings

    comp = load_companies(FIX / "companies_hostile.csv")
    disc = load_disclosures(FIX / "disclosures_hostile.csv", comp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        holdings = load_holdings(FIX / "holdings_small.csv", comp)
    path = tmp_path_factory.mktemp("hold") / "holdings.xlsx"
    write_scorecard(path, scores=score(disc, companies=comp), disclosures=disc, companies=comp, holdings=holdings)
    return openpyxl.load_workbook(path)


def _header(ws) -> tuple[int, dict[str, str]]:
    row = next(r for r in range(1, 80) if ws.cell(r, 1).value == "rank")
    return row, {ws.cell(row, c).value: get_column_letter(c) for c in range(1, ws.max_column + 1)
                 if ws.cell(row, c).value}


def _width(ws, letter: str) -> float:
    return ws.column_dimensions[letter].width


# ------------------------------------------------------------------------------------------------ helpers
@pytest.mark.parametrize(("text", "width", "lines"), [
    ("", 10, 1), ("fiscal year", 20, 1), ("fiscal year", 8, 2), ("discloses energy (1/0)", 10, 3),
    ("x" * 30, 10, 3), ("a\nb", 10, 2),
])
def test_wrap_lines(text, width, lines):
    assert _wrap_lines(text, width) == lines


def test_auto_width_fits_values_and_the_longest_header_word():
    assert auto_width("discloses procurement (1/0)", [0, 1]) == len("procurement") + 2
    assert auto_width("t", [12345678.0], "#,##0") == len("12,345,678") + 2
    assert auto_width("t", ["x" * 100], hi=40) == 40
    assert header_height(["a b c d"], [3]) > header_height(["a b c d"], [30])


# ------------------------------------------------------------------------------------------------ Summary
def test_summary_header_wraps_and_is_tall_enough(wb):
    ws = wb["Summary"]
    row, cols = _header(ws)
    assert len({ws.cell(row, c).value for c in range(1, len(cols) + 1)}) == len(cols)  # no cut, no duplicates
    for name, letter in cols.items():
        cell = ws[f"{letter}{row}"]
        assert cell.alignment.wrap_text, name
        longest_word = max(len(w) for w in name.split())
        assert _width(ws, letter) >= longest_word + 1, name
    height = ws.row_dimensions[row].height
    lines = max(_wrap_lines(n, _width(ws, cols[n])) for n in cols)
    assert lines >= 2 and height >= 15 * lines  # "discloses energy (1/0)" is on three lines, all visible


def test_summary_number_formats_per_column(wb, scores):
    ws = wb["Summary"]
    row, cols = _header(ws)
    for r in range(row + 1, row + 1 + len(scores)):
        assert ws[f"{cols['fiscal year']}{r}"].number_format == "0"
        assert ws[f"{cols['figures on file']}{r}"].number_format == "0"
        for p in (*PILLARS, "composite"):
            assert ws[f"{cols[p]}{r}"].number_format == "0.00"
        assert ws[f"{cols['coverage']}{r}"].number_format == "0.0%"
        for p in FOOTPRINT:
            assert ws[f"{cols[f'share of {p} KPIs disclosed']}{r}"].number_format == "0.0%"
        assert ws[f"{cols['discloses enough of its KPIs (1/0)']}{r}"].number_format == "0"
        assert ws[f"{cols['flags']}{r}"].alignment.wrap_text


def test_summary_widths_fit_the_values(wb, scores):
    ws = wb["Summary"]
    _, cols = _header(ws)
    assert _width(ws, cols["company"]) >= min(scores["company"].str.len().max(), 30)
    assert _width(ws, cols["peer_group"]) >= scores["peer_group"].str.len().max()
    assert _width(ws, cols["fiscal year"]) >= 6


def test_summary_rows_with_long_flags_are_tall_enough(wb, scores):
    ws = wb["Summary"]
    row, cols = _header(ws)
    w = _width(ws, cols["flags"])
    for r in range(row + 1, row + 1 + len(scores)):
        text = ws[f"{cols['flags']}{r}"].value
        if text and _wrap_lines(text, w) > 1:
            assert ws.row_dimensions[r].height >= 15 * _wrap_lines(text, w), r


# ------------------------------------------------------------------------------------------------ company sheets
def _used(ws, rows: range, cols: range) -> list[str]:
    return [ws.cell(r, c).coordinate for r in rows for c in cols if ws.cell(r, c).value not in (None, "")]


def test_chart_beside_the_data_never_over_it(wb, scores):
    for t in scores.index[:12]:
        ws = wb[t]
        assert len(ws._charts) == 1
        anchor = ws._charts[0].anchor
        first_col, first_row = anchor._from.col + 1, anchor._from.row + 1  # 1-based
        last_col, last_row = anchor.to.col + 1, anchor.to.row + 1
        # right of the last column used in the rows the chart spans, and over empty cells only
        rows = range(first_row, last_row + 1)
        used_cols = [c for r in rows for c in range(1, ws.max_column + 1) if ws.cell(r, c).value not in (None, "")]
        assert first_col > max(used_cols), t
        assert _used(ws, rows, range(first_col, last_col + 1)) == [], t
        assert ws["F3"].value.startswith("=Summary!")  # the live coverage cell is not under the chart
        assert last_col - first_col >= 3 and last_row - first_row >= 10  # still a readable size


def _metric_header(ws) -> int:
    return next(r for r in range(1, 60) if ws.cell(r, 1).value == "pillar" and ws.cell(r, 2).value == "metric")


def test_company_metric_table_formats(wb, scores):
    ws = wb["MSFT"]
    h = _metric_header(ws)
    names = {ws.cell(h, c).value: c for c in range(1, 14)}
    want = {"value": "#,##0.00", "fiscal year": "0", "peer percentile": "0.00", "metric score": "0.00",
            "weight in pillar": "0.0%", "contribution": "0.00"}
    r = h + 1
    while ws.cell(r, 2).value:
        for name, fmt in want.items():
            assert ws.cell(r, names[name]).number_format == fmt, (r, name)
        assert ws.cell(r, names["formula"]).alignment.wrap_text
        r += 1
    assert ws.row_dimensions[h].height >= 30  # "peer percentile" wraps over two lines
    assert ws["B3"].number_format == "0.00" and ws["F3"].number_format == "0.0%"
    for i in range(5):
        assert ws.cell(6 + i, 2).number_format == "0.00" and ws.cell(6 + i, 4).number_format == "0.0%"


def test_engagement_questions_wrap_in_cells_that_fit(wb, scores):
    for t in ("MSFT", "GOOGL", scores.index[-1]):
        ws = wb[t]
        start = next(r for r in range(1, ws.max_row + 1)
                     if str(ws.cell(r, 1).value).startswith("Engagement questions"))
        merged = {str(m) for m in ws.merged_cells.ranges}
        r = start + 1
        assert ws.cell(r, 2).value
        while ws.cell(r, 2).value:
            q = ws.cell(r, 2).value
            assert f"B{r}:M{r}" in merged, (t, r)
            span = sum(_width(ws, get_column_letter(c)) for c in range(2, 14))
            assert ws.cell(r, 2).alignment.wrap_text
            assert ws.row_dimensions[r].height >= 15 * _wrap_lines(q, span), (t, r)
            r += 1


# ------------------------------------------------------------------------------------------------ print setup
def test_print_setup_on_every_sheet(wb):
    for ws in wb.worksheets:
        ps = ws.page_setup
        assert ps.orientation == "landscape", ws.title
        assert (int(ps.fitToWidth), int(ps.fitToHeight)) == (1, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_title_rows, ws.title


def test_print_areas_on_summary_and_company_sheets(wb, scores):
    ws = wb["Summary"]
    row, cols = _header(ws)
    last_col = max(column_index_from_string(c) for c in cols.values())
    assert ws.print_title_rows.replace("$", "") == f"{row}:{row}"
    assert ws.print_area == f"'Summary'!$A$1:${get_column_letter(last_col)}${row + len(scores)}"
    for t in scores.index:
        cs = wb[t]
        h = _metric_header(cs)
        assert cs.print_title_rows.replace("$", "") == f"{h}:{h}"
        area = cs.print_area.split("!")[1].replace("$", "")
        assert area.startswith("A1:M"), t
        assert int(area[4:]) >= cs.max_row - 1, t  # everything written is inside


# ------------------------------------------------------------------------------------------------ portfolio sheet
def test_portfolio_sheet_formats_and_headers(holdings_wb):
    ws = holdings_wb["Portfolio"]
    seen = 0
    for row in ws.iter_rows():
        for cell in row:
            if cell.fill.fgColor.rgb in ("001F3864", "FF1F3864") and isinstance(cell.value, str):
                # a header: wraps, its column shows its longest word, its row shows every line
                name = cell.value.replace(" ", "_")
                w = _width(ws, cell.column_letter)
                assert cell.alignment.wrap_text and w >= max(len(x) for x in cell.value.split()) + 1, name
                assert ws.row_dimensions[cell.row].height >= 15 * _wrap_lines(cell.value, w) - 1e-9, name
                below = ws.cell(cell.row + 1, cell.column)
                if isinstance(below.value, float):
                    seen += 1
                    if "year" in name or name.endswith("_fy"):
                        assert below.number_format == "0", name
                    elif "coverage" in name or name == "weight":
                        assert below.number_format == "0.0%", name
                    elif "tco2e" in name or "emissions" in name:
                        assert below.number_format == "#,##0", name
                    elif name in PILLARS or name == "composite" or name.startswith("contrib_"):
                        assert below.number_format == "0.00", name
                    text = f"{below.value:,.2f}"
                    assert w >= min(len(text), 24), name  # no ### for wide numbers
    assert seen >= 5


def test_no_fiscal_year_shown_with_decimals(holdings_wb):
    for ws in holdings_wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, float) and 1990 <= cell.value <= 2100 and cell.value == int(cell.value):
                    assert cell.number_format in ("0", "General"), (ws.title, cell.coordinate)


def test_headline_labels_are_not_cut(holdings_wb):
    ws = holdings_wb["Summary"]
    labels = [c for row in ws.iter_rows(max_row=12) for c in row
              if c.alignment.wrap_text and isinstance(c.value, str) and c.font.b and c.fill.fgColor.rgb
              in ("001F3864", "FF1F3864")]
    assert labels
    for c in labels:
        w = _width(ws, c.column_letter)
        assert ws.row_dimensions[c.row].height >= 15 * _wrap_lines(c.value, w) - 1e-9, c.value
        assert math.ceil(w) >= max(len(x) for x in c.value.split()) + 1 or w >= 24, c.value


def test_layout_keeps_inputs_and_values(wb, scores):
    """Formats change what is shown, not the values stored."""
    ws = wb["Summary"]
    row, cols = _header(ws)
    r = row + 1
    t = ws[f"{cols['ticker']}{r}"].value
    for p in PILLARS:
        got = ws[f"{cols[p]}{r}"].value
        assert got == pytest.approx(scores.loc[t, p]) or (got is None and pd.isna(scores.loc[t, p]))
