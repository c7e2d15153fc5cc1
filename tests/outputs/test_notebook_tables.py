"""Notebook presentation helpers (issue 14): styled tables, warnings as sentences, workbook previews with values."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from esglib.app.notebook import notes, number_format, style_table, workbook_preview
from esglib.errors import ConfigError


@pytest.fixture()
def table():
    return pd.DataFrame({"fiscal_year": [2025.0, 2024.0, np.nan], "weight": [0.194892, 0.5, 0.305108],
                         "emissions_tco2e": [9.141463e6, 12952.0, np.nan], "composite": [33.945809, 47.5, 9.0],
                         "n_months": [47.0, 12.0, 3.0], "company": ["NVIDIA", "Microsoft", "Apple"]},
                        index=pd.Index(["NVDA", "MSFT", "AAPL"], name="ticker"))


@pytest.mark.parametrize(("column", "unit", "fmt"), [
    ("fiscal_year", None, "{:.0f}"), ("weight", None, "{:.1%}"), ("emissions_tco2e", None, "{:,.0f}"),
    ("composite", None, "{:,.2f}"), ("n_months", None, "{:,.0f}"), ("company", None, None),
    ("composite", "share", "{:.1%}"), ("fiscal_year", "year", "{:.0f}"),
])
def test_number_format_per_column(table, column, unit, fmt):
    assert number_format(column, table[column], unit) == fmt


def test_style_table_rounds_and_puts_units_in_headers(table):
    before = table.copy()
    styler = style_table(table, units={"emissions_tco2e": "tCO2e", "composite": "0-100", "weight": "share"},
                         caption="Holdings")
    html = styler.to_html()
    assert "emissions tco2e (tCO2e)" in html and "composite (0-100)" in html and "weight (%)" in html
    assert "9,141,463" in html and "9.141463e+06" not in html
    assert "2025" in html and "2025.0" not in html
    assert "19.5%" in html and "0.194892" not in html
    assert "33.95" in html and "33.945809" not in html
    assert ">47<" in html and "47.000000" not in html
    assert "–" in html  # missing values
    assert "Holdings" in html
    pd.testing.assert_frame_equal(table, before)  # input not modified


def test_style_table_refuses_unknown_unit_columns(table):
    with pytest.raises(ConfigError, match="`units` names column"):
        style_table(table, units={"nope": "t"})


def test_style_table_accepts_a_series():
    html = style_table(pd.Series([1.23456, 2.5], name="score")).to_html()
    assert "1.23" in html and "1.23456" not in html


def test_notes_print_warnings_as_sentences(capsys):
    with notes() as shown:
        warnings.warn("/very/long/path/to/holdings.csv: 1 holding(s) not covered by the esglib universe (kept, "
                      "unscored): OKLO (1.2%)", UserWarning, stacklevel=1)
        warnings.warn("/very/long/path/to/holdings.csv: 1 holding(s) not covered by the esglib universe (kept, "
                      "unscored): OKLO (1.2%)", UserWarning, stacklevel=1)  # said once
    out = capsys.readouterr().out
    assert out.strip() == "Note: holdings.csv: 1 holding(s) not covered by the esglib universe (kept, unscored): " \
                          "OKLO (1.2%)."
    assert shown == [out.strip()[len("Note: "):]]
    assert "UserWarning" not in out and "/very/long" not in out
    with notes() as shown:
        warnings.warn("weights sum to 80%", UserWarning, stacklevel=1)
    assert shown == ["Weights sum to 80%."]


@pytest.fixture(scope="module")
def card(tmp_path_factory, disclosures, companies):
    from esglib.outputs.excel import write_scorecard
    from esglib.scoring import ScoreConfig, score

    # (rated companies, for the preview)
    scores = score(disclosures, ScoreConfig(min_coverage=0.3, min_kpi_share=0.3), companies=companies)
    path = write_scorecard(tmp_path_factory.mktemp("nb") / "card.xlsx", scores=scores, disclosures=disclosures,
                           companies=companies)
    return path, scores


def test_workbook_preview_shows_values_not_nan_grids(card):
    path, scores = card
    prev = workbook_preview(path, "Summary", scores=scores, max_rows=8)
    assert len(prev) == 8
    assert list(prev.columns[:3]) == ["rank", "ticker", "company"]
    assert not prev.isna().all(axis=0).any()  # no empty columns
    for _, r in prev.iterrows():
        assert r["composite"] == pytest.approx(scores.at[r["ticker"], "composite"], nan_ok=True)
        assert r["rating"] == scores.at[r["ticker"], "rating"]
    assert prev["energy"].dtype.kind == "f"
    plain = workbook_preview(path, "Summary", max_rows=3)
    assert (plain["composite"] == "(live formula)").all()


def test_workbook_preview_of_a_company_sheet(card):
    path, _ = card
    prev = workbook_preview(path, "MSFT", max_rows=20)
    assert list(prev.columns[:3]) == ["pillar", "metric", "value"]
    assert prev["metric"].notna().all() and len(prev) > 5


def test_workbook_preview_without_header_is_a_clear_error(card):
    path, _ = card
    with pytest.raises(ConfigError, match="no header row"):
        workbook_preview(path, "Weights")
