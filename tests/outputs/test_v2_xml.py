"""Every string that reaches the workbook goes through the XML cleaner (issue 15, class 3).

Non-characters U+FFFE/U+FFFF in text, or a control character in a URL, used to crash the scorecard: hyperlinks
and chart titles skipped the cleaner. Cells, hyperlinks, chart titles, sheet names and defined names are now
cleaned by one function, :func:`esglib.safety.xml_text`.
"""

from __future__ import annotations

import contextlib
import io
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from esglib.safety import xml_text

REPO = Path(__file__).resolve().parents[2]
BAD = "\ufffe\uffff\x01\x0b\ud800"


def test_xml_text_drops_every_character_xml_cannot_hold():
    assert xml_text(f"a{BAD}b\tc\nd") == "ab\tc\nd"
    from xml.etree import ElementTree

    ElementTree.fromstring(f"<a>{xml_text('x' + BAD + 'y')}</a>".encode("utf-8", "surrogatepass"))


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("ESGLIB_OFFLINE", "1")
    monkeypatch.setenv("ESGLIB_CACHE_DIR", str(tmp_path / "cache"))


def test_scorecard_with_non_characters_and_controls_everywhere(tmp_path):
    import openpyxl

    from esglib.app.cli import main

    companies = pd.read_csv(REPO / "data" / "companies.csv", dtype=str, keep_default_na=False)
    companies.loc[companies["ticker"] == "MSFT", "company"] = "Micro\ufffesoft \uffff\x01Corp"
    companies.loc[companies["ticker"] == "MSFT", "peer_group"] = "hyperscaler_cloud"
    disclosures = pd.read_csv(REPO / "data" / "disclosures.csv", dtype=str, keep_default_na=False)
    rows = disclosures.index[disclosures["ticker"] == "MSFT"]
    disclosures.loc[rows[0], "source_title"] = "Title \ufffe with \uffff non-characters \x07"
    disclosures.loc[rows[0], "source_url"] = "https://example.com/a\x01b\ufffe"
    disclosures.loc[rows[1], "quote"] = "quote \x1b[2J \ufffe"
    c_path, d_path = tmp_path / "c.csv", tmp_path / "d.csv"
    companies.to_csv(c_path, index=False)
    disclosures.to_csv(d_path, index=False)
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "s.xlsx"
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = main(["scorecard", "--companies", str(c_path), "--disclosures", str(d_path), "--out", str(target),
                   "--company-sheets"])
    text = out.getvalue() + err.getvalue()
    assert "Traceback" not in text
    if rc == 2:  # refused as data: acceptable, as long as it is a clean message and nothing is written
        assert err.getvalue().startswith("esglib: error: ") and not target.exists()
        return
    assert rc == 0, text
    with zipfile.ZipFile(target) as z:
        for name in z.namelist():
            if name.endswith(".xml") or name.endswith(".rels"):
                data = z.read(name).decode("utf-8")
                assert "\ufffe" not in data and "\uffff" not in data and "\x01" not in data, name
    wb = openpyxl.load_workbook(target)  # a valid workbook: openpyxl (and Excel) read it without repair
    assert "MSFT" in wb.sheetnames
