"""The fast ingest path (pyarrow reader, vectorised checks) against the careful path it replaces.

The careful path is the reference: for any file, the fast reader either returns exactly the careful path's table
or declines (returns None) so the careful path runs and gives its located message.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from esglib.errors import DataValidationError
from esglib.inputs import DATA_DIR, load_companies, load_disclosures, read_table, select_figures
from esglib.inputs import _readers as readers

HEADER = "ticker,fiscal_year,metric,value,unit,source_title,source_url,report_edition,data_quality\n"


def _careful(path: Path, raw: bytes, max_rows: int = readers.MAX_ROWS):
    fast = readers._read_csv_fast
    try:
        readers._read_csv_fast = lambda *a, **k: None
        return readers._read_csv(path, raw, max_rows)
    finally:
        readers._read_csv_fast = fast


def _same_table(a: readers.Table, b: readers.Table) -> None:
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert (a.file, a.sheet, a.header_row, a.original_columns, a.lines) == (
        b.file, b.sheet, b.header_row, b.original_columns, b.lines)


PIECES = ["MSFT", "pue", "1.2", "", " ", '"a, b"', '"multi\nline"', '"q""uote"', "x", "\r\n", "\n", "\r", ",",
          ",,", '"', " \"s\"", "\t", "é", "\n\n", "2024", "1e999"]


@pytest.mark.parametrize("seed", range(300))
def test_fast_reader_equals_careful_reader_or_declines(tmp_path, seed):
    rng = random.Random(seed)
    lines = [HEADER]
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.6:
            lines.append(",".join(rng.choice(["MSFT", "GOOGL", '"A, B"', " x", ""]) for _ in range(9)) + "\n")
        else:
            lines.append("".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12))) + "\n")
    raw = "".join(lines).encode("utf-8")
    if rng.random() < 0.2:
        raw = b"\xef\xbb\xbf" + raw
    if rng.random() < 0.2:
        raw = raw.replace(b"\n", b"\r\n")
    path = tmp_path / "f.csv"
    try:
        expected = _careful(path, raw)
    except DataValidationError:
        assert readers._read_csv_fast(path, raw, readers.MAX_ROWS) is None
        return
    fast = readers._read_csv_fast(path, raw, readers.MAX_ROWS)
    if fast is not None:
        _same_table(fast, expected)


def test_fast_reader_takes_plain_files_and_keeps_quoted_newline_lines(tmp_path):
    raw = (HEADER + 'MSFT,2024,pue,1.2,ratio,"Report, p. 3",,,1\n'
           'MSFT,2023,pue,1.3,ratio,"Two\nlines",,,1\nMSFT,2022,pue,1.4,ratio,t,,,1\n').encode()
    fast = readers._read_csv_fast(tmp_path / "f.csv", raw, readers.MAX_ROWS)
    assert fast is not None
    assert fast.lines == (2, 3, 5)
    _same_table(fast, _careful(tmp_path / "f.csv", raw))


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_row_limit_counts_every_line_ending(tmp_path, ending):
    p = tmp_path / "d.csv"
    p.write_bytes((HEADER.rstrip("\n") + ending + ("MSFT,2024,pue,1.2,ratio,t,,,1" + ending) * 5).encode())
    with pytest.raises(DataValidationError, match=r"file has 6 lines, more than the 4 data rows esglib reads"):
        read_table(p, max_rows=4)
    assert len(read_table(p, max_rows=5).frame) == 5


def test_max_rows_raises_the_default_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_ROWS", 3)
    p = tmp_path / "d.csv"
    p.write_text(HEADER + "MSFT,2024,pue,1.2,ratio,t,,,1\n" * 4)
    with pytest.raises(DataValidationError, match=r"more than the 3 data rows .*--max-rows"):
        read_table(p)
    assert len(read_table(p, max_rows=4).frame) == 4
    with pytest.raises(ValueError, match="`max_rows` must be a positive integer"):
        read_table(p, max_rows=0)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataValidationError, match="is not a regular file"):
        read_table(fifo)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_device_is_refused():
    with pytest.raises(DataValidationError, match="is not a regular file"):
        read_table("/dev/zero")


def _one(tmp_path, **cells) -> list:
    row = {"ticker": "MSFT", "fiscal_year": "2024", "metric": "pue", "value": "1.2", "unit": "ratio",
           "source_title": "t", "source_url": "", "report_edition": "", "data_quality": "1"}
    row.update(cells)
    p = tmp_path / "d.csv"
    p.write_text(HEADER + ",".join(row[c] for c in HEADER.strip().split(",")) + "\n")
    with pytest.raises(DataValidationError) as err:
        load_disclosures(p, load_companies(DATA_DIR / "companies.csv"))
    return err.value.problems


@pytest.mark.parametrize("edition", ["2022.5", "99999", "1200", "2999"])
def test_report_edition_must_be_a_whole_year_in_range(tmp_path, edition):
    (problem,) = _one(tmp_path, report_edition=edition)
    assert problem.column == "report_edition"
    assert problem.rule.startswith("report_edition must be a whole year within 1990..")
    assert problem.value == edition


def test_value_infinite_after_unit_conversion_is_refused(tmp_path):
    (problem,) = _one(tmp_path, metric="electricity_total_mwh", value="1e306", unit="TWh")
    assert (problem.row, problem.column, problem.value) == (2, "value", "1e306")
    assert problem.rule == "value is not a finite number after conversion to MWh"


def test_problem_order_and_messages_are_unchanged(tmp_path):
    """One file breaking many rules at once: the messages and their order as the pandera-based validator gave."""
    p = tmp_path / "d.csv"
    p.write_text(
        "ticker,fiscal_year,metric,value,unit,source_title,report_edition,data_quality\n"
        ",2023,pue,0.5,ratio,,,9\nMSFT,2023,pue,1.2,ratio,src,,\nMSFT,2023,pue,1.3,ratio,src,,\n"
        "MSFT,2023,pue,0.9,ratio,src,,\nZZZ,1980,foo,1,ratio,,abc,\nMSFT,2023,scope1_tco2e,5,mtCO2e,src,,2\n"
        "MSFT,2023,renewable_share_pct,150,%,src,,2\nMSFT,2023,renewable_share_pct,1e999,%,src,,2\n"
        "MSFT,2023x,pue,n/a,ratio,src,,x\n")
    with pytest.raises(DataValidationError) as err:
        load_disclosures(p, load_companies(DATA_DIR / "companies.csv"))
    got = [(q.row, q.column, q.rule.split(" (")[0], q.value) for q in err.value.problems]
    assert got == [
        (2, "data_quality", "data_quality must be 1, 2, 3 or 4", "9"),
        (2, "source_title", "every disclosed figure needs its source", ""),
        (2, "ticker", "ticker is not in the companies table", ""),
        (2, "ticker", "ticker is blank", None),
        (2, "value", "PUE 0.5 is below 1", "0.5"),
        (4, "value", "conflicting duplicate: same ticker, year, metric, basis and source as row 3 but a different "
                     "value", "1.3"),
        (5, "value", "PUE 0.9 is below 1", "0.9"),
        (5, "value", "conflicting duplicate: same ticker, year, metric, basis and source as row 3 but a different "
                     "value", "0.9"),
        (6, "fiscal_year", got[8][2], "1980"),
        (6, "metric", "unknown metric", "foo"),
        (6, "report_edition", "report_edition must be a year or blank", "abc"),
        (6, "ticker", "ticker is not in the companies table", "ZZZ"),
        (7, "unit", "unit does not fit metric scope1_tco2e", "mtCO2e"),
        (8, "value", "renewable_share_pct 150 % is outside 0..100 %", "150"),
        (9, "value", "value is not a finite number", "1e999"),
        (10, "data_quality", "data_quality must be 1, 2, 3 or 4", "x"),
        (10, "fiscal_year", "fiscal_year must be a whole year such as 2024", "2023x"),
        (10, "value", "value is not a plain number", "n/a"),
    ]
    assert got[8][2].startswith("fiscal_year outside 1990..")


def test_vectorised_ingest_is_row_order_invariant(tmp_path):
    """Metamorphic: shuffled rows keep every figure and every (ticker, year, metric) choice set."""
    df = pd.read_csv(DATA_DIR / "disclosures.csv", dtype=str, keep_default_na=False)
    p = tmp_path / "d.csv"
    df.iloc[np.random.default_rng(0).permutation(len(df))].to_csv(p, index=False)
    companies = load_companies(DATA_DIR / "companies.csv")
    a, b = load_disclosures(DATA_DIR / "disclosures.csv", companies), load_disclosures(p, companies)
    cols = ["ticker", "fiscal_year", "metric", "value", "unit", "source_url"]
    pd.testing.assert_frame_equal(a[cols].sort_values(cols).reset_index(drop=True),
                                  b[cols].sort_values(cols).reset_index(drop=True))
    key = ["ticker", "fiscal_year", "metric", "n_candidates"]
    sa, sb = select_figures(a), select_figures(b)
    pd.testing.assert_frame_equal(sa[key].sort_values(key).reset_index(drop=True),
                                  sb[key].sort_values(key).reset_index(drop=True))
