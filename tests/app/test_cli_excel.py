"""Tests of the ``esglib scorecard`` and ``esglib template`` commands, and of a filled template via validate/score."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from esglib.app.cli import main
from esglib.outputs.excel import TEMPLATE_COLUMNS

openpyxl = pytest.importorskip("openpyxl")
ROOT = Path(__file__).resolve().parents[2]
FIX = Path(__file__).resolve().parents[1] / "fixtures" / "excel"


def _fill(template: Path, csv: Path, out: Path) -> Path:
    """Type the rows of ``csv`` into the template's Disclosures sheet (numbers as numbers)."""
    rows = pd.read_csv(csv, dtype=str, keep_default_na=False)
    wb = openpyxl.load_workbook(template)
    ws = wb["Disclosures"]
    for i, rec in enumerate(rows.reindex(columns=list(TEMPLATE_COLUMNS), fill_value="").itertuples(index=False),
                             start=2):
        for j, (col, val) in enumerate(zip(TEMPLATE_COLUMNS, rec, strict=True), start=1):
            if val == "":
                continue
            if col in ("fiscal_year", "value", "data_quality", "report_edition"):
                try:
                    val = float(val) if "." in val or "e" in val.lower() else int(val)
                except ValueError:
                    pass
            ws.cell(i, j, val)
    wb.save(out)
    return out


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "template.xlsx"
    assert main(["template", "--out", str(path)]) == 0
    return path


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "scorecard" in out and "template" in out
    with pytest.raises(SystemExit):
        main(["scorecard", "--help"])
    out = capsys.readouterr().out
    for opt in ("--holdings", "--disclosures", "--companies", "--year", "--weights", "--out", "--no-company-sheets"):
        assert opt in out


def test_template_command(template, capsys):
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == ["Instructions", "Disclosures", "Lists"]
    assert [c.value for c in wb["Disclosures"][1]] == list(TEMPLATE_COLUMNS)


def test_scorecard_command_with_weights(tmp_path, capsys, disclosures, companies):
    from esglib.scoring import parse_weights, score

    out = tmp_path / "card.xlsx"
    rc = main(["scorecard", "--weights", "energy=0.4,water=0.1", "--year", "2024", "--no-company-sheets",
               "--out", str(out)])
    assert rc == 0
    msg = capsys.readouterr().out
    assert f"wrote {out}: 47 companies" in msg
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", "Weights", "Methodology", "Sources"]
    assert [wb["Weights"].cell(4, c).value for c in range(2, 7)] == [0.4, 0.1, 0.2, 0.2, 0.2]
    from esglib.app import bundled

    expected = score(disclosures, parse_weights("energy=0.4,water=0.1"), 2024, companies=companies,
                     fx=bundled.fx_rates())
    first = 2024 - expected.attrs["config"].carry_forward_years
    ws = wb["Summary"]
    header = next(r for r in range(1, 30) if ws.cell(r, 1).value == "rank")
    assert [ws.cell(r, 2).value for r in range(header + 1, header + 48)] == list(expected.index)
    text = "\n".join(str(c.value) for row in wb["Methodology"].iter_rows() for c in row if c.value)
    assert f"fiscal years {first}..2024" in text and "energy 36%" in text


def test_scorecard_command_default_sheets(tmp_path, capsys):
    out = tmp_path / "card.xlsx"
    assert main(["scorecard", "--companies", str(FIX / "companies_hostile.csv"), "--disclosures",
                 str(FIX / "disclosures_hostile.csv"), "--out", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:2] == ["Summary", "Weights"] and "META" in wb.sheetnames and len(wb.sheetnames) == 12


def test_scorecard_command_with_holdings(tmp_path, capsys):
    pytest.importorskip("esglib.portfolio")
    out = tmp_path / "hold.xlsx"
    with pytest.warns(UserWarning, match="not covered"):
        rc = main(["scorecard", "--holdings", str(FIX / "holdings_small.csv"), "--companies",
                   str(FIX / "companies_hostile.csv"), "--disclosures", str(FIX / "disclosures_hostile.csv"),
                   "--out", str(out)])
    assert rc == 0
    assert "7 holdings" in capsys.readouterr().out
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:3] == ["Summary", "Portfolio", "Weights"]


def test_scorecard_with_missing_holdings_file_is_a_clear_error(tmp_path, capsys):
    rc = main(["scorecard", "--holdings", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "h.xlsx")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "nope.csv" in err and "Traceback" not in err
    assert not (tmp_path / "h.xlsx").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["scorecard", "--out", "card.csv"], "must end in .xlsx"),
    (["template", "--out", "t.txt"], "must end in .xlsx"),
    (["scorecard", "--weights", "energy=lots", "--out", "c.xlsx"], "must be a number"),
    (["scorecard", "--weights", "carbon=1", "--out", "c.xlsx"], "unknown pillar"),
    (["scorecard", "--disclosures", "missing.csv", "--out", "c.xlsx"], "file not found"),
])
def test_user_errors_exit_2(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_validate_a_filled_template_names_cells(template, tmp_path, capsys):
    bad = _fill(template, FIX / "template_rows_invalid.csv", tmp_path / "bad.xlsx")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "Disclosures!D14 (value): PUE 0.8 is below 1" in err
    for cell in ("Disclosures!B5 (fiscal_year)", "Disclosures!C7 (metric)", "Disclosures!E9 (unit)",
                 "Disclosures!A10 (ticker)", "Disclosures!D12 (value)", "Disclosures!H16 (data_quality)"):
        assert cell in err


def test_score_a_filled_template(template, tmp_path, capsys):
    good = _fill(template, FIX / "template_rows_valid.csv", tmp_path / "good.xlsx")
    assert main(["validate", str(good)]) == 0
    assert "valid" in capsys.readouterr().out
    out = tmp_path / "scores.csv"
    assert main(["score", "--disclosures", str(good), "--out", str(out)]) == 0
    s = pd.read_csv(out, index_col="ticker")
    assert s.loc[["GOOGL", "MSFT", "NVDA"], "composite_indicative"].notna().all()
    card = tmp_path / "card.xlsx"
    assert main(["scorecard", "--disclosures", str(good), "--no-company-sheets", "--out", str(card)]) == 0


def test_python_dash_m_offline(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for argv in (["template", "--out", str(tmp_path / "t.xlsx")],
                 ["scorecard", "--no-company-sheets", "--out", str(tmp_path / "s.xlsx")]):
        res = subprocess.run([sys.executable, "-m", "esglib", *argv], capture_output=True, text=True, env=env,
                             cwd=tmp_path, timeout=300)
        assert res.returncode == 0, res.stderr
        assert "wrote" in res.stdout
    assert (tmp_path / "t.xlsx").stat().st_size > 0 and (tmp_path / "s.xlsx").stat().st_size > 0
