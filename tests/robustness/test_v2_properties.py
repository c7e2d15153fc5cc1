"""Properties of esglib's outputs (issue 15): no formula-leading text in CSV/JSON, no raw ESC on the terminal.

A spreadsheet runs a cell that begins with ``= + - @``, a tab or a carriage return (OWASP, CSV injection).
Every *text* cell esglib writes to CSV or JSON is neutralised with a leading ``'``; numbers stay numbers (a
negative return is the number -0.01, which a spreadsheet reads as a number, not a formula). Everything printed
to a terminal shows control characters as escapes.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esglib.safety import (
    FORMULA_TRIGGERS,
    TerminalStream,
    dump_json,
    neutralise_frame,
    neutralise_json,
    terminal_text,
    write_csv,
)

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_runner import run_cli  # noqa: E402

ESC = "\x1b"
TRIGGERS = list(FORMULA_TRIGGERS)

#: Text that starts with a formula trigger, then anything (controls, quotes, newlines, separators).
hostile = st.builds(lambda a, b: a + b, st.sampled_from(TRIGGERS + ["", " ", "'", '"']),
                    st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
cell = st.one_of(hostile, st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6), st.none())


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def assert_csv_safe(text: str) -> None:
    """No CSV cell that is not a plain number starts with a formula trigger."""
    for row in csv.reader(io.StringIO(text, newline="")):
        for value in row:
            if value and not _is_number(value):
                assert not value.startswith(FORMULA_TRIGGERS), f"unsafe CSV cell {value!r}"


def assert_json_safe(obj) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            assert_json_safe(k)
            assert_json_safe(v)
    elif isinstance(obj, list):
        for v in obj:
            assert_json_safe(v)
    elif isinstance(obj, str):
        assert not obj.startswith(FORMULA_TRIGGERS), f"unsafe JSON string {obj!r}"


# ------------------------------------------------------------------------------------------------ the sanitiser
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(hostile, cell, cell), min_size=1, max_size=8), index_name=hostile)
def test_csv_never_has_a_formula_leading_text_cell(rows, index_name, tmp_path_factory):
    frame = pd.DataFrame(rows, columns=["name", "x", "y"]).set_index("name")
    frame.index.name = index_name
    frame["x"] = frame["x"].astype(object)
    before = frame.copy()
    path = tmp_path_factory.mktemp("csv") / "out.csv"
    write_csv(path, frame)
    assert_csv_safe(path.read_text(encoding="utf-8"))
    pd.testing.assert_frame_equal(frame, before)  # the input frame is not modified


@given(st.recursive(cell, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                  st.dictionaries(hostile, inner, max_size=4)), max_leaves=20))
def test_json_never_has_a_formula_leading_string(obj):
    buf = io.StringIO()
    dump_json(obj, buf)
    assert_json_safe(json.loads(buf.getvalue()))
    assert_json_safe(neutralise_json(obj))


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=50))
def test_neutralised_text_keeps_its_content(text):
    out = neutralise_frame(pd.DataFrame({"a": [text]}))["a"].iloc[0]
    assert out == text or (out == "'" + text and text.startswith(FORMULA_TRIGGERS))


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_terminal_text_never_holds_a_raw_escape(text):
    for newlines in (True, False):
        shown = terminal_text(text, newlines=newlines)
        assert ESC not in shown and "\x07" not in shown and "\x9b" not in shown and "\r" not in shown
        if not newlines:
            assert "\n" not in shown
    sink = io.StringIO()
    TerminalStream(sink).write(text)
    assert ESC not in sink.getvalue()


# ------------------------------------------------------------------------------------------------ through the CLI
@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("ESGLIB_OFFLINE", "1")
    monkeypatch.setenv("ESGLIB_CACHE_DIR", str(tmp_path / "cache"))


# no control characters a CSV field cannot carry through a round trip (NUL); everything else goes
cli_text = st.builds(lambda a, b: a + b, st.sampled_from(TRIGGERS + [ESC + "]0;", ESC + "[2J", "\x9b31m"]),
                     st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1,
                             max_size=20))


@settings(max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                  HealthCheck.too_slow])
@given(name=cli_text, title=cli_text)
def test_cli_outputs_and_terminal_are_safe(name, title, tmp_path):
    """Hostile company names and source titles: score/explain CSVs are safe, the terminal sees no raw ESC."""
    folder = tmp_path / "p"
    folder.mkdir(exist_ok=True)
    companies = pd.read_csv(REPO / "data" / "companies.csv", dtype=str, keep_default_na=False)
    companies.loc[companies["ticker"] == "MSFT", "company"] = name
    disclosures = pd.read_csv(REPO / "data" / "disclosures.csv", dtype=str, keep_default_na=False)
    msft = disclosures.index[disclosures["ticker"] == "MSFT"][0]
    disclosures.loc[msft, "source_title"] = title
    c_path, d_path = folder / "companies.csv", folder / "disclosures.csv"
    companies.to_csv(c_path, index=False)
    disclosures.to_csv(d_path, index=False)
    common = ["--companies", str(c_path), "--disclosures", str(d_path)]
    for argv in (["score", *common, "--out", str(folder / "scores.csv")],
                 ["explain", "MSFT", *common, "--out", str(folder / "explain.csv")],
                 ["explain", "MSFT", *common], ["score", *common]):
        rc, out, err = run_cli(argv)
        assert ESC not in out + err and "\x9b" not in out + err, argv
        if rc == 2:  # the hostile text was refused as data: a clean message, nothing written
            assert err.startswith("esglib: error: ") and "Traceback" not in err
            continue
        assert rc == 0, err
    for name_ in ("scores.csv", "explain.csv"):
        if (folder / name_).exists():
            assert_csv_safe((folder / name_).read_text(encoding="utf-8"))


def test_screen_csv_and_json_neutralise_holdings_text(tmp_path):
    """Tickers and descriptions from a holdings file never reach screen's CSV or JSON as formulas."""
    h = tmp_path / "h.csv"
    h.write_text('Symbol,Description,Weight\nMSFT,Microsoft,0.4\n"=HYPERLINK(""http://evil.example"")",x,0.2\n'
                 "@SUM(1+1),y,0.2\n+cmd|' /C calc'!A0,z,0.2\n", encoding="utf-8")
    rc, out, err = run_cli(["screen", "--holdings", str(h), "--out", str(tmp_path / "s.csv")])
    assert rc == 0, err
    text = (tmp_path / "s.csv").read_text(encoding="utf-8")
    assert_csv_safe(text)
    assert "'=HYPERLINK" in text and "'@SUM" in text and "'+CMD" in text.upper()
    rc, out, err = run_cli(["screen", "--holdings", str(h), "--json"])
    assert rc == 0, err
    assert_json_safe(json.loads(out))
