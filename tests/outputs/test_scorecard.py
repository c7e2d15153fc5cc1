"""Tests of the Excel scorecard (esglib.outputs.excel.write_scorecard).

Workbooks are read back with openpyxl cell by cell, and the live formulas (coverage, composite, rank, rating)
are EVALUATED with the `formulas` package (an Excel formula engine) and compared with esglib's own numbers
to 1e-9, before and after editing the Weights sheet.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from esglib.atomicio import TMP_PREFIX
from esglib.errors import ConfigError
from esglib.inputs import data_as_of
from esglib.outputs.excel import PER_COMPANY_SHEETS_MAX, safe_text, sheet_title, write_scorecard
from esglib.scoring import PILLARS, ScoreConfig, explain, parse_weights, score, score_to_band

openpyxl = pytest.importorskip("openpyxl")
FIX = Path(__file__).resolve().parents[1] / "fixtures" / "excel"
HOSTILE_NAMES = {"META": '=HYPERLINK("http://evil.example","click me")', "AAPL": "@SUM(1)", "EVIL": "-2+3",
                 "PLUS": "+cmd|' /C calc'!A0"}
ALLOWED_FORMULA_STARTS = ("=IF(", "=SUM(", "=Summary!", "=Weights!")


# ------------------------------------------------------------------------------------------------ helpers
class Evaluator:
    """Evaluate the Summary and Weights sheets of a workbook with the `formulas` Excel engine."""

    def __init__(self, path: Path):
        formulas = pytest.importorskip("formulas")
        self.xl = formulas.ExcelModel()
        book, ctx = self.xl.add_book(str(path))
        self.xl.pushes(book["Summary"], book["Weights"], context=ctx)
        self.xl.finish()
        self._keys: dict[str, str] | None = None

    def calculate(self, **weights_cells: float) -> dict[str, object]:
        """Solve the model, optionally with new values for Weights cells (``B4=0.5``); {SHEET!A1: value}."""
        if self._keys is None:
            self._keys = self._index(self.xl.calculate())
        inputs = {self._keys[f"WEIGHTS!{cell}"]: value for cell, value in weights_cells.items()}
        sol = self.xl.calculate(inputs=inputs) if inputs else self.xl.calculate()
        out = {}
        for key, ranges in sol.items():
            name = key.rsplit("]", 1)[-1].replace("'", "")
            if ":" not in name and hasattr(ranges, "value"):
                v = np.asarray(ranges.value)
                out[name] = v.ravel()[0] if v.size else None
        return out

    @staticmethod
    def _index(sol) -> dict[str, str]:
        return {key.rsplit("]", 1)[-1].replace("'", ""): key for key in sol}


def _summary_rows(ws) -> tuple[int, dict[str, str], dict[str, int]]:
    """(header row, {column name: letter}, {ticker: row}) of a Summary sheet."""
    header = next(r for r in range(1, 80) if ws.cell(r, 1).value == "rank")
    cols = {ws.cell(header, c).value: openpyxl.utils.get_column_letter(c) for c in range(1, ws.max_column + 1)
            if ws.cell(header, c).value}
    tcol = openpyxl.utils.column_index_from_string(cols["ticker"])
    rows = {}
    r = header + 1
    while ws.cell(r, tcol).value is not None:
        rows[str(ws.cell(r, tcol).value)] = r
        r += 1
    return header, cols, rows


def _assert_matches(sol: dict, cols: dict, rows: dict, expected: pd.DataFrame) -> None:
    """Evaluated composite, rating, coverage and rank equal esglib's to 1e-9 for every ticker."""
    for t, r in rows.items():
        exp = expected.loc[t]
        comp = sol[f"SUMMARY!{cols['composite']}{r}"]
        if pd.isna(exp["composite"]):
            assert comp == "", (t, comp)
        else:
            assert comp == pytest.approx(exp["composite"], abs=1e-9, rel=0), t
        assert sol[f"SUMMARY!{cols['rating']}{r}"] == exp["rating"], t
        assert sol[f"SUMMARY!{cols['coverage']}{r}"] == pytest.approx(exp["coverage"], abs=1e-9, rel=0), t
        rank = sol[f"SUMMARY!{cols['rank']}{r}"]
        assert (rank == "") if pd.isna(exp["rank"]) else (rank == int(exp["rank"])), (t, rank)


# ------------------------------------------------------------------------------------------------ fixtures
#: The workbook mechanics need rated companies: on the sparse bundled data the v2 defaults (coverage 0.5 and half
#: the applicable KPIs) rate none, so these tests use lower thresholds (docs/methodology.md s.4; notebook 02).
LOOSE = ScoreConfig(min_coverage=0.3, min_kpi_share=0.3)


@pytest.fixture(scope="module")
def bundled_scores(disclosures, companies):
    return score(disclosures, LOOSE, companies=companies)


@pytest.fixture(scope="module")
def card(tmp_path_factory, bundled_scores, disclosures, companies):
    """The default scorecard of the bundled universe (47 companies: per-company sheets on)."""
    path = tmp_path_factory.mktemp("card") / "scorecard.xlsx"
    write_scorecard(path, scores=bundled_scores, disclosures=disclosures, companies=companies)
    return path


@pytest.fixture(scope="module")
def wb(card):
    return openpyxl.load_workbook(card)


@pytest.fixture(scope="module")
def evaluator(card):
    return Evaluator(card)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A scorecard of the small universe whose company names and one source try formula injection."""
    from esglib.inputs import load_companies, load_disclosures

    comp = load_companies(FIX / "companies_hostile.csv")
    disc = load_disclosures(FIX / "disclosures_hostile.csv", comp)
    path = tmp_path_factory.mktemp("hostile") / "hostile.xlsx"
    write_scorecard(path, score(disc, companies=comp), disc, comp)
    return path, comp, disc


# ------------------------------------------------------------------------------------------------ structure
def test_sheets_in_order(wb, bundled_scores):
    names = wb.sheetnames
    assert names[:2] == ["Summary", "Weights"]
    assert names[-2:] == ["Methodology", "Sources"]
    assert names[2:-2] == list(bundled_scores.index)  # one per company, in rank order
    assert wb.active.title == "Summary"


def test_summary_layout_and_formats(wb, bundled_scores):
    ws = wb["Summary"]
    header, cols, rows = _summary_rows(ws)
    first, last = header + 1, header + len(bundled_scores)
    assert ws.freeze_panes == f"C{first}"
    assert ws.auto_filter.ref == f"A{header}:{openpyxl.utils.get_column_letter(len(cols))}{last}"
    assert list(cols)[:5] == ["rank", "ticker", "company", "peer_group", "fiscal year"]
    assert {"energy", "water", "procurement", "circularity", "disclosure", "composite", "rating", "coverage",
            "flags"} <= set(cols)
    assert list(rows) == list(bundled_scores.index)
    r = rows["GOOGL"]
    for p in PILLARS:
        assert ws[f"{cols[p]}{r}"].number_format == "0.00"
    assert ws[f"{cols['composite']}{r}"].number_format == "0.00"
    assert ws[f"{cols['coverage']}{r}"].number_format == "0.0%"
    assert ws.column_dimensions[cols["company"]].width >= len("Alphabet (Google)")
    assert ws.column_dimensions[cols["flags"]].width == 60  # wraps
    assert ws.cell(header, 1).font.b
    assert "one sheet per company" in " ".join(str(ws.cell(i, 1).value) for i in range(1, header))


def test_summary_colour_scales(wb, bundled_scores):
    ws = wb["Summary"]
    header, cols, _ = _summary_rows(ws)
    last = header + len(bundled_scores)
    ranges = {str(cf.sqref): cf.rules for cf in ws.conditional_formatting}
    for c in (*PILLARS, "composite"):
        rules = ranges[f"{cols[c]}{header + 1}:{cols[c]}{last}"]
        assert rules[0].type == "colorScale"
        assert [float(v.val) for v in rules[0].colorScale.cfvo] == [0, 50, 100]


def test_summary_static_values_are_esglib_values(wb, bundled_scores):
    ws = wb["Summary"]
    _, cols, rows = _summary_rows(ws)
    for t, r in rows.items():
        exp = bundled_scores.loc[t]
        assert ws[f"{cols['company']}{r}"].value == exp["company"]
        assert ws[f"{cols['peer_group']}{r}"].value == exp["peer_group"]
        for p in PILLARS:
            got = ws[f"{cols[p]}{r}"].value  # stored exactly (no rounding); a pillar with nothing scorable is blank
            assert (got is None) if pd.isna(exp[p]) else got == exp[p]
        assert (ws[f"{cols['flags']}{r}"].value or "") == exp["flags"]
        cov = bundled_scores.attrs["pillar_coverage"][t]
        for i, p in enumerate(PILLARS[:4]):  # v2: the weighted share of the pillar's applicable KPIs disclosed
            assert ws[f"{cols['share of ' + p + ' KPIs disclosed']}{r}"].value == pytest.approx(cov[i])
        assert ws[f"{cols['discloses enough of its KPIs (1/0)']}{r}"].value == int(
            bundled_scores.attrs["meets_min_kpi_share"][t])


def test_weight_dependent_columns_are_formulas(wb):
    ws = wb["Summary"]
    _, cols, rows = _summary_rows(ws)
    r = rows["GOOGL"]
    comp = ws[f"{cols['composite']}{r}"]
    assert comp.data_type == "f"
    assert "SUMPRODUCT(" in comp.value and "Weights!$B$4:$F$4" in comp.value and "Weights!$B$9" in comp.value
    rating = ws[f"{cols['rating']}{r}"].value
    assert rating.startswith("=IF(ISNUMBER(") and "LOOKUP(" in rating and "Weights!$B$13:$H$13" in rating
    assert "SUMPRODUCT(" in ws[f"{cols['coverage']}{r}"].value
    assert "RANK(" in ws[f"{cols['rank']}{r}"].value


def test_weights_sheet_cells(wb):
    ws = wb["Weights"]
    cfg = LOOSE
    assert [ws.cell(3, c).value for c in range(2, 7)] == list(PILLARS)
    assert [ws.cell(4, c).value for c in range(2, 7)] == [cfg.pillar_weights[p] for p in PILLARS]
    assert ws["B4"].fill.fgColor.rgb.endswith("FFF2CC")  # editable cells are highlighted
    assert ws["G4"].value == "=SUM(B4:F4)"
    assert ws["B8"].value == cfg.geometric_floor and ws["B9"].value == cfg.min_coverage
    assert [ws.cell(12, c).value for c in range(2, 9)] == ["CCC", "B", "BB", "BBB", "A", "AA", "AAA"]
    assert [ws.cell(13, c).value for c in range(3, 9)] == list(cfg.band_edges)
    assert ws["B13"].value == 0


# ------------------------------------------------------------------------------------------------ formulas
def test_formulas_evaluate_to_esglib_scores(wb, evaluator, bundled_scores):
    _, cols, rows = _summary_rows(wb["Summary"])
    _assert_matches(evaluator.calculate(), cols, rows, bundled_scores)
    assert bundled_scores["composite"].isna().any()  # the withheld branch is exercised


@pytest.mark.parametrize("weights", [
    "energy=0.5",
    "energy=0.4,water=0.1,procurement=0.3,circularity=0.1,disclosure=0.1",
    "water=0,circularity=0",      # coverage changes: some withheld companies become rated
    "energy=0,procurement=0",     # and the other way round
])
def test_editing_weights_in_excel_matches_score(wb, evaluator, disclosures, companies, weights):
    cfg = parse_weights(weights, LOOSE)
    expected = score(disclosures, cfg, companies=companies)
    cells = {f"{'BCDEF'[i]}4": cfg.pillar_weights[p] for i, p in enumerate(PILLARS)}
    _, cols, rows = _summary_rows(wb["Summary"])
    _assert_matches(evaluator.calculate(**cells), cols, rows, expected)


def test_coverage_edit_changes_withholding(wb, evaluator, disclosures, companies):
    expected = score(disclosures, LOOSE.replace(min_coverage=0.75), companies=companies)
    _, cols, rows = _summary_rows(wb["Summary"])
    _assert_matches(evaluator.calculate(B9=0.75), cols, rows, expected)


def test_band_edge_edit_changes_ratings(wb, evaluator, bundled_scores):
    edges = (10.0, 20.0, 30.0, 34.0, 40.0, 45.0)
    sol = evaluator.calculate(**{f"{c}13": e for c, e in zip("CDEFGH", edges, strict=True)})
    _, cols, rows = _summary_rows(wb["Summary"])
    expected = score_to_band(bundled_scores["composite"], edges)
    for t, r in rows.items():
        assert sol[f"SUMMARY!{cols['rating']}{r}"] == expected[t]
    assert len(set(expected)) > 3


def test_geometric_aggregation_formulas(tmp_path, disclosures, companies):
    cfg = ScoreConfig(aggregation="geometric", geometric_floor=2.0)
    scores = score(disclosures, cfg, companies=companies)
    path = write_scorecard(tmp_path / "geo.xlsx", scores=scores, disclosures=disclosures, companies=companies,
                           per_company_sheets=False)
    ws = openpyxl.load_workbook(path)["Summary"]
    _, cols, rows = _summary_rows(ws)
    assert "EXP(" in ws[f"{cols['composite']}{rows['GOOGL']}"].value
    ev = Evaluator(path)
    _assert_matches(ev.calculate(), cols, rows, scores)
    changed = parse_weights("energy=0.6,disclosure=0.05", cfg)
    expected = score(disclosures, changed, companies=companies)
    _assert_matches(ev.calculate(B4=0.6, F4=0.05), cols, rows, expected)


# ------------------------------------------------------------------------------------------------ company sheets
def test_company_sheet(wb, bundled_scores, disclosures, companies):
    ws = wb["GOOGL"]
    _, cols, rows = _summary_rows(wb["Summary"])
    r = rows["GOOGL"]
    assert ws["A1"].value == "Alphabet (Google) (GOOGL)"
    assert ws["A2"].hyperlink.location == f"Summary!A{r}"
    assert ws["B3"].value == f"=Summary!{cols['composite']}{r}"
    assert ws["D3"].value == f"=Summary!{cols['rating']}{r}"
    exp = bundled_scores.loc["GOOGL"]
    medians = bundled_scores.groupby("peer_group")[list(PILLARS)].median().loc[exp["peer_group"]]
    assert [ws.cell(5, c).value for c in range(1, 4)] == ["pillar", "score", "peer-group median"]
    for i, p in enumerate(PILLARS):
        assert ws.cell(6 + i, 1).value == p
        assert ws.cell(6 + i, 2).value == exp[p]
        assert ws.cell(6 + i, 3).value == pytest.approx(medians[p])
        assert ws.cell(6 + i, 4).value == f"=Weights!${'BCDEF'[i]}$4/Weights!$G$4"
    # the metric table is esglib.explain, row by row
    ex = explain("GOOGL", disclosures, companies=companies)
    start = next(i for i in range(1, 60) if ws.cell(i, 1).value == "pillar" and ws.cell(i, 2).value == "metric")
    for k, e in enumerate(ex.itertuples(index=False)):
        row = start + 1 + k
        assert ws.cell(row, 2).value == e.metric
        got = ws.cell(row, 3).value
        assert (got is None) if pd.isna(e.value) else got == pytest.approx(e.value, rel=1e-15)
        assert ws.cell(row, 4).value == e.unit
        score7 = ws.cell(row, 7).value
        assert (score7 is None) if pd.isna(e.metric_score) else score7 == pytest.approx(e.metric_score)
        link = ws.cell(row, 12).hyperlink
        if pd.notna(e.value) and str(e.source_url).startswith("http"):
            assert link is not None and link.target == str(e.source_url).split(" | ")[0]
        elif pd.isna(e.value):
            assert link is None and ws.cell(row, 12).value in ("not disclosed", "not applicable")
    text = [str(c.value) for col in ws.iter_cols(1, 2) for c in col if c.value is not None]
    for flag in exp["flags"].split("; "):
        assert flag in text
    n_missing = int((ex["value"].isna() & (ex["pillar"] != "disclosure")).sum())
    questions = [t for t in text if "is not disclosed. Will you publish" in t]
    assert len(questions) == n_missing > 0


def test_company_chart(wb):
    ws = wb["MSFT"]
    assert len(ws._charts) == 1
    chart = ws._charts[0]
    assert chart.tagname == "barChart" and chart.type == "col"
    assert len(chart.series) == 2
    refs = [s.val.numRef.f for s in chart.series]
    assert refs == ["'MSFT'!$B$6:$B$10", "'MSFT'!$C$6:$C$10"]
    assert chart.series[0].cat.numRef.f == "'MSFT'!$A$6:$A$10" or chart.series[0].cat.strRef.f == "'MSFT'!$A$6:$A$10"
    assert chart.y_axis.scaling.max == 100


def test_summary_tickers_link_to_company_sheets(wb):
    ws = wb["Summary"]
    _, cols, rows = _summary_rows(ws)
    for t, r in rows.items():
        link = ws[f"{cols['ticker']}{r}"].hyperlink
        assert link.location == f"'{t}'!A1"


# ------------------------------------------------------------------------------------------------ other sheets
def test_methodology_sheet(wb):
    from esglib.scoring import KPI_SPECS

    text = "\n".join(str(c.value) for row in wb["Methodology"].iter_rows() for c in row if c.value is not None)
    for spec in KPI_SPECS.values():
        assert spec.formula in text
    assert "Below 30%, or with fewer than 30% of the applicable KPIs disclosed, the composite is withheld" in text
    assert "docs/methodology.md" in text and "not MSCI ESG Ratings" in text
    assert "nothing is imputed" not in text and "MSCI-style" not in text
    assert "energy 20%" in text and "weighted arithmetic mean" in text
    assert f"disclosures: bundled data curated as of {data_as_of()}" in text
    assert "prices: not used" in text


def test_sources_sheet_lists_cited_figures_with_links(wb, disclosures):
    ws = wb["Sources"]
    header = [c.value for c in ws[3]]
    assert header[:6] == ["ticker", "company", "fiscal_year", "metric", "value", "unit"]
    assert ws.freeze_panes == "B4"
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert len(rows) > 100
    url_col = header.index("source_url") + 1
    quote_col = header.index("quote")
    n_links = 0
    for i, rec in enumerate(rows, start=4):
        cell = ws.cell(i, url_col)
        if str(cell.value).startswith("http"):
            assert cell.hyperlink.target == cell.value
            n_links += 1
        assert rec[header.index("source_title")] or rec[header.index("source_url")]
    assert n_links > 100
    assert any(r[quote_col] for r in rows)
    cited = set(zip(disclosures["ticker"], disclosures["fiscal_year"], disclosures["metric"], strict=True))
    assert {(r[0], r[2], r[3]) for r in rows} <= cited


# ------------------------------------------------------------------------------------------------ safety
def test_formula_injection_is_written_as_text(hostile):
    path, comp, _ = hostile
    wb = openpyxl.load_workbook(path)
    ws = wb["Summary"]
    _, cols, rows = _summary_rows(ws)
    for ticker, name in HOSTILE_NAMES.items():
        cell = ws[f"{cols['company']}{rows[ticker]}"]
        assert cell.value == name
        assert cell.data_type == "s"
        assert cell.quotePrefix
    assert wb["META"]["A1"].value == HOSTILE_NAMES["META"] + " (META)"  # the company sheet title too
    assert wb["META"]["A1"].data_type == "s"


def test_only_esglib_formulas_in_the_workbook(hostile, card):
    for path in (hostile[0], card):
        wb = openpyxl.load_workbook(path)
        for ws in wb:
            for row in ws.iter_rows():
                for c in row:
                    if c.data_type == "f":
                        assert str(c.value).startswith(ALLOWED_FORMULA_STARTS), (ws.title, c.coordinate, c.value)
                        assert "HYPERLINK" not in str(c.value) and "evil" not in str(c.value)


def test_unsafe_links_are_not_hyperlinks(hostile):
    path, _, disc = hostile
    ws = openpyxl.load_workbook(path)["Sources"]
    header = [c.value for c in ws[3]]
    url_col = header.index("source_url") + 1
    title_col = header.index("source_title") + 1
    found = False
    for r in range(4, ws.max_row + 1):
        if ws.cell(r, url_col).value == "javascript:alert(1)":
            found = True
            assert ws.cell(r, url_col).hyperlink is None
            assert ws.cell(r, title_col).value == "=cmd|' /C calc'!A0"
            assert ws.cell(r, title_col).data_type == "s"
        elif ws.cell(r, url_col).hyperlink is not None:
            assert ws.cell(r, url_col).hyperlink.target.startswith(("http://", "https://"))
    assert found


def test_tab_and_carriage_return_prefixes_are_text(tmp_path, bundled_scores):
    scores = bundled_scores.copy()
    scores.loc["MSFT", "company"] = "\tTAB=1+1"
    scores.loc["GOOGL", "company"] = "\r=1+1"
    scores.loc["NVDA", "flags"] = "=1+1; \x01control char"
    path = write_scorecard(tmp_path / "t.xlsx", scores=scores, per_company_sheets=False)
    ws = openpyxl.load_workbook(path)["Summary"]
    _, cols, rows = _summary_rows(ws)
    assert ws[f"{cols['company']}{rows['MSFT']}"].value == "\tTAB=1+1"
    assert ws[f"{cols['company']}{rows['MSFT']}"].data_type == "s"
    assert ws[f"{cols['company']}{rows['GOOGL']}"].data_type == "s"
    assert ws[f"{cols['flags']}{rows['NVDA']}"].value == "=1+1; control char"  # illegal XML char dropped
    assert ws[f"{cols['flags']}{rows['NVDA']}"].data_type == "s"


@pytest.mark.parametrize(("name", "taken", "expected"), [
    ("GOOGL", (), "GOOGL"),
    ("a/b\\c[d]e:f*g?h", (), "a_b_c_d_e_f_g_h"),
    ("x" * 40, (), "x" * 31),
    ("'quoted'", (), "quoted"),
    ("History", (), "History_"),
    ("Summary", ("Summary",), "Summary~2"),
    ("summary", ("SUMMARY", "summary~2"), "summary~3"),
    ("y" * 31, ("y" * 31,), "y" * 29 + "~2"),
    ("", (), "Sheet"),
    ("[]", (), "__"),
])
def test_sheet_title(name, taken, expected):
    got = sheet_title(name, taken)
    assert got == expected
    assert len(got) <= 31 and not any(ch in got for ch in "[]:*?/\\")


def test_safe_text_caps_length_and_drops_control_characters():
    assert safe_text("a\x00b\x1fc\td") == "abc\td"
    assert len(safe_text("z" * 40_000)) == 32_767


# ------------------------------------------------------------------------------------------------ atomicity
@pytest.mark.parametrize("where", ["methodology", "save"])
def test_failure_mid_write_leaves_existing_workbook_untouched(tmp_path, bundled_scores, where):
    target = tmp_path / "card.xlsx"
    write_scorecard(target, scores=bundled_scores.head(3), per_company_sheets=False)
    before = target.read_bytes()

    def boom(stage, tmp):
        if stage != where:
            return
        if where == "save":  # write half a file first, as a crash during saving would
            Path(tmp).write_bytes(b"PK\x03\x04 partial")
        raise RuntimeError("disk full")

    from openpyxl.worksheet._writer import ALL_TEMP_FILES

    streamed = set(ALL_TEMP_FILES)
    with pytest.raises(RuntimeError, match="disk full"):
        write_scorecard(target, scores=bundled_scores, per_company_sheets=False, on_step=boom)
    assert target.read_bytes() == before
    assert set(ALL_TEMP_FILES) <= streamed  # openpyxl's per-sheet stream files were deleted too
    assert [p.name for p in tmp_path.iterdir()] == ["card.xlsx"]
    assert not list(tmp_path.glob(f"{TMP_PREFIX}*"))


def test_failure_on_a_new_target_leaves_nothing(tmp_path, bundled_scores):
    def boom(stage, tmp):
        if stage == "sources":
            raise ZeroDivisionError("injected")

    with pytest.raises(ZeroDivisionError):
        write_scorecard(tmp_path / "new.xlsx", scores=bundled_scores, per_company_sheets=False, on_step=boom)
    assert list(tmp_path.iterdir()) == []


def test_on_step_sees_every_stage_in_order(tmp_path, bundled_scores):
    seen = []
    write_scorecard(tmp_path / "card.xlsx", scores=bundled_scores.head(3), per_company_sheets=False,
                    on_step=lambda stage, tmp: seen.append((stage, tmp.parent == tmp_path and tmp.exists())))
    assert seen == [(s, True) for s in ("summary", "weights", "companies", "methodology", "sources", "save")]


# ------------------------------------------------------------------------------------------------ options, inputs
def _many(scores: pd.DataFrame, n: int) -> pd.DataFrame:
    reps = -(-n // len(scores))
    big = pd.concat([scores] * reps).iloc[:n].copy()
    big.index = pd.Index([f"T{i:04d}" for i in range(n)], name="ticker")
    big.attrs = dict(scores.attrs)
    return big


@pytest.mark.parametrize(("n", "option", "sheets"), [
    (PER_COMPANY_SHEETS_MAX, None, True),
    (PER_COMPANY_SHEETS_MAX + 1, None, False),
    (PER_COMPANY_SHEETS_MAX + 1, True, True),
    (5, False, False),
])
def test_per_company_sheets_option(tmp_path, bundled_scores, n, option, sheets):
    big = _many(bundled_scores, n)
    path = write_scorecard(tmp_path / "m.xlsx", scores=big, per_company_sheets=option)
    wb = openpyxl.load_workbook(path, read_only=True)
    assert (len(wb.sheetnames) == n + 4) is sheets
    notes = " ".join(str(r[0]) for r in wb["Summary"].iter_rows(max_row=5, values_only=True) if r)
    if option is None and not sheets:
        assert f"no per-company sheets: {n} rows is more than {PER_COMPANY_SHEETS_MAX}" in notes
    if sheets:  # without disclosures the metric table says what is missing
        assert "metric table needs the disclosures" in str(wb["T0000"]["A19"].value)


def test_inputs_are_not_modified(tmp_path, bundled_scores, disclosures, companies):
    s, d, c = bundled_scores.copy(), disclosures.copy(), companies.copy()
    s.attrs = dict(bundled_scores.attrs)
    write_scorecard(tmp_path / "x.xlsx", scores=s, disclosures=d, companies=c, per_company_sheets=False)
    pd.testing.assert_frame_equal(s, bundled_scores)
    pd.testing.assert_frame_equal(d, disclosures)
    pd.testing.assert_frame_equal(c, companies)
    assert s.attrs["config"] == bundled_scores.attrs["config"]


def test_defaults_score_the_bundled_data(tmp_path, bundled_scores):
    from esglib.app import bundled

    path = bundled.write_scorecard(tmp_path / "d.xlsx", per_company_sheets=False, year=None)
    ws = openpyxl.load_workbook(path)["Summary"]
    _, _, rows = _summary_rows(ws)
    assert list(rows) == list(bundled.score().index)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"path": "card.csv"}, "must end in .xlsx"),
    ({"scores": pd.DataFrame({"company": ["x"]})}, "lacks column"),
    ({"scores": "not a frame"}, "must be a DataFrame"),
])
def test_bad_arguments(tmp_path, kwargs, match):
    kwargs = {"path": tmp_path / "ok.xlsx", **kwargs}
    if not Path(kwargs["path"]).is_absolute():
        kwargs["path"] = tmp_path / kwargs["path"]
    with pytest.raises(ConfigError, match=match):
        write_scorecard(**kwargs)
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------------------------------------ holdings
@pytest.fixture(scope="module")
def holdings_card(tmp_path_factory, hostile):
    pytest.importorskip("esglib.portfolio")
    from esglib.portfolio import load_holdings, portfolio_summary

    _, comp, disc = hostile
    with pytest.warns(UserWarning, match="not covered"):
        holdings = load_holdings(FIX / "holdings_small.csv", comp)
    scores = score(disc, ScoreConfig(min_coverage=0.0, min_kpi_share=0.0), companies=comp)  # (rated, for the test)
    summary = portfolio_summary(holdings, scores, disc, companies=comp)
    path = tmp_path_factory.mktemp("hold") / "holdings.xlsx"
    write_scorecard(path, scores=scores, disclosures=disc, companies=comp, holdings=holdings,
                    prices_as_of="2026-05-29")
    return path, holdings, scores, summary


def test_holdings_summary_and_portfolio_sheet(holdings_card):
    path, holdings, scores, summary = holdings_card
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:3] == ["Summary", "Portfolio", "Weights"]
    covered = [t for t in holdings.index if t in scores.index]
    assert wb.sheetnames[3:-2] == [t for t in scores.index if t in covered] or \
        sorted(wb.sheetnames[3:-2]) == sorted(covered)
    ws = wb["Summary"]
    header, cols, rows = _summary_rows(ws)
    assert set(rows) == set(holdings.index)
    assert "weight" in cols
    for t, r in rows.items():
        assert ws[f"{cols['weight']}{r}"].value == pytest.approx(holdings.loc[t, "weight"])
    assert ws[f"{cols['flags']}{rows['OKLO']}"].value == "not_in_scored_universe"
    assert ws[f"{cols['flags']}{rows['CASH']}"].value == "cash"
    assert ws.freeze_panes == f"C{header + 1}"
    top = [c.value for row in ws.iter_rows(max_row=header - 1) for c in row if c.value is not None]
    assert "composite" in top and summary.composite in top and summary.rating in top
    assert any("prices: as of 2026-05-29" in str(v) for v in top)
    text = [c.value for row in wb["Portfolio"].iter_rows() for c in row if c.value is not None]
    assert "Headline figures" in text and "Contributions" in text and "waci" in text


def test_holdings_live_portfolio_composite(holdings_card):
    path, _, _, summary = holdings_card
    ws = openpyxl.load_workbook(path)["Summary"]
    cell = next(c for row in ws.iter_rows(max_row=12) for c in row
                if isinstance(c.value, str) and c.value.startswith("=IF(SUMPRODUCT("))
    sol = Evaluator(path).calculate()
    assert sol[f"SUMMARY!{cell.coordinate}"] == pytest.approx(summary.composite, abs=1e-9)


def test_holdings_without_disclosures_is_a_clear_error(tmp_path, bundled_scores):
    holdings = pd.DataFrame({"weight": [0.6, 0.4]}, index=pd.Index(["MSFT", "GOOGL"], name="ticker"))
    with pytest.raises(ConfigError, match="needs `disclosures`"):
        write_scorecard(tmp_path / "h.xlsx", scores=bundled_scores, holdings=holdings)
    # a missing weight is refused by the one weights normaliser, never read as 0
    gap = pd.DataFrame({"weight": [0.6, None]}, index=pd.Index(["MSFT", "GOOGL"], name="ticker"))
    with pytest.raises(ConfigError, match="must be finite"):
        write_scorecard(tmp_path / "h.xlsx", scores=bundled_scores, holdings=gap, summary={"composite": 40.0})
    # with a summary given, no disclosures are needed
    path = write_scorecard(tmp_path / "h.xlsx", scores=bundled_scores, holdings=holdings,
                           summary={"composite": 40.0, "rating": "BB"}, per_company_sheets=False)
    ws = openpyxl.load_workbook(path)["Summary"]
    _, cols, rows = _summary_rows(ws)
    assert set(rows) == {"GOOGL", "MSFT"} and ws[f"{cols['weight']}{rows['MSFT']}"].value == 0.6


def test_big_sources_sheet_writes_plain_urls(tmp_path, monkeypatch, bundled_scores, disclosures, companies):
    """Above SOURCE_LINK_ROWS figures the addresses are plain text (no hyperlink object per row), said on the sheet."""
    from esglib.outputs.excel import _docsheets

    monkeypatch.setattr(_docsheets, "SOURCE_LINK_ROWS", 10)
    path = tmp_path / "card.xlsx"
    write_scorecard(path, scores=bundled_scores, disclosures=disclosures, companies=companies)
    ws = openpyxl.load_workbook(path)["Sources"]
    header = [c.value for c in ws[3]]
    url_col = header.index("source_url") + 1
    urls = [ws.cell(r, url_col) for r in range(4, ws.max_row + 1)]
    assert len(urls) > 10 and any(str(c.value).startswith("http") for c in urls)
    assert all(c.hyperlink is None for c in urls)
    assert "source_url is plain text" in ws["A2"].value
