"""Notebooks for people (issue 14): static checks of the py:percent sources of 00, 01, 03, 05 and 06.

Execution is tested in tests/app/test_notebooks.py; these checks say what a reader sees: styled tables instead
of raw frames, warnings as sentences, the workbook previewed with values, notebook 03 pointing at broker exports.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
OURS = ("00", "01", "03", "05", "06")


def _source(prefix: str) -> str:
    return next(NOTEBOOKS.glob(f"{prefix}_*.py")).read_text(encoding="utf-8")


def _code_cells(text: str) -> list[str]:
    cells = re.split(r"^# %%.*$", text, flags=re.M)[1:]
    heads = re.findall(r"^# %%.*$", text, flags=re.M)
    return [c.strip() for h, c in zip(heads, cells, strict=True) if "[markdown]" not in h]


@pytest.mark.parametrize("prefix", OURS)
def test_tables_are_styled(prefix):
    """A cell that ends by showing a frame shows it through primer.style_table (rounded, units, integer years)."""
    raw = []
    for cell in _code_cells(_source(prefix)):
        last = cell.splitlines()[-1] if cell else ""
        if re.fullmatch(r"[A-Za-z_][\w.]*(\[.*\])?", last.strip()) and last.strip() not in ("ui", "view"):
            raw.append(last)
        if re.search(r"\.round\(\d\)\s*$", cell):
            raw.append(last)
    assert not raw, f"{prefix}: frames shown raw: {raw}"


@pytest.mark.parametrize("prefix", ("03", "05", "06"))
def test_loader_warnings_are_shown_as_sentences(prefix):
    text = _source(prefix)
    for m in re.finditer(r"^(\s*)holdings = esglib\.load_holdings\(", text, flags=re.M):
        before = text[: m.start()].rstrip().splitlines()[-1]
        assert before.startswith("with primer.notes()") and m.group(1), f"{prefix}: load_holdings outside notes()"


def test_workbook_preview_shows_values():
    text = _source("05")
    assert "workbook_preview(card, \"Summary\", scores=scores" in text
    assert not re.search(r"read_excel\([^)]*header=None\)\.head", text)  # no grids of NaN


def test_notebook_03_points_at_broker_exports():
    text = _source("03")
    for broker in ("Fidelity", "Schwab", "Vanguard", "Interactive Brokers"):
        assert broker in text
    assert "your own broker export" in text and "as\n# you downloaded it" in text


def test_table_of_contents_shows_whole_goals():
    assert "primer.style_table(primer.suite_overview()" in _source("00")
