"""esglib.inputs: CSV/XLSX into located string tables; every user-caused failure is a DataValidationError."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest

from esglib.errors import DataValidationError, Problem
from esglib.inputs import MAX_FILE_BYTES, Table, column_letter, read_table, require_columns

HEADER = "ticker,fiscal_year,metric,value,unit,source_title\n"
ROW = "MSFT,2024,pue,1.12,ratio,SYNTHETIC\n"


def only_problem(excinfo) -> Problem:
    problems = excinfo.value.problems
    assert len(problems) == 1, problems
    return problems[0]


def xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as w:
        for name, df in sheets.items():
            df.to_excel(w, sheet_name=name, index=False)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------ happy paths
def test_csv_cells_are_stripped_strings_and_headers_lower_case(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text(" Ticker , Fiscal_Year ,Value\nmsft , 2024,  1.12 \nGOOGL,2023,\n", encoding="utf-8")
    t = read_table(p)
    assert isinstance(t, Table)
    assert list(t.frame.columns) == ["ticker", "fiscal_year", "value"]
    assert t.original_columns == ("Ticker ", "Fiscal_Year ", "Value")  # as written (leading blanks skipped)
    assert t.frame.to_dict("list") == {"ticker": ["msft", "GOOGL"], "fiscal_year": ["2024", "2023"],
                                       "value": ["1.12", ""]}
    assert t.file == str(p) and t.sheet is None and t.header_row == 1


def test_values_are_never_interpreted(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("a,b,c,d\nNA,n/a,0012,1e3\n", encoding="utf-8")
    assert read_table(p).frame.iloc[0].tolist() == ["NA", "n/a", "0012", "1e3"]


def test_bom_is_accepted(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes(b"\xef\xbb\xbf" + (HEADER + ROW).encode("utf-8"))
    t = read_table(p)
    assert t.frame.columns[0] == "ticker"
    assert t.frame.iloc[0, 0] == "MSFT"


def test_blank_rows_and_unnamed_empty_columns_are_dropped(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("a,b,\n1,2,\n,,\n3,4,\n", encoding="utf-8")
    t = read_table(p)
    assert list(t.frame.columns) == ["a", "b"]
    assert t.frame["a"].tolist() == ["1", "3"]
    # the kept row keeps its line number: data index 2 is line 4 of the file
    assert t.frame.index.tolist() == [0, 2]
    assert t.row_number(2) == 4


def test_row_numbers_and_problem_location_csv(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text(HEADER + ROW + ROW, encoding="utf-8")
    t = read_table(p)
    assert t.row_number(0) == 2
    assert t.where(1, "value") == (3, "value")
    prob = t.problem(1, "value", "some rule", "x")
    assert prob == Problem(str(p), 3, "value", "some rule", "x")
    assert str(prob) == f"{p}, row 3, column value: some rule (got 'x')"


@pytest.mark.parametrize(("idx", "letters"), [(0, "A"), (1, "B"), (25, "Z"), (26, "AA"), (27, "AB"), (51, "AZ"),
                                              (52, "BA"), (701, "ZZ"), (702, "AAA")])
def test_column_letter(idx, letters):
    assert column_letter(idx) == letters


def test_xlsx_default_sheet_and_cell_references(tmp_path):
    df = pd.DataFrame({"ticker": ["MSFT", "GOOGL"], "fiscal_year": [2024, 2023], "value": [1.12, None]})
    p = tmp_path / "d.xlsx"
    p.write_bytes(xlsx_bytes({"Notes": pd.DataFrame({"x": [1]}), "Disclosures": df}))
    t = read_table(p)
    assert t.sheet == "Disclosures"
    assert t.frame.to_dict("list") == {"ticker": ["MSFT", "GOOGL"], "fiscal_year": ["2024", "2023"],
                                       "value": ["1.12", ""]}
    assert t.where(1, "value") == (3, "Disclosures!C3 (value)")
    assert t.where(None, "fiscal_year") == (None, "Disclosures!B (fiscal_year)")
    assert t.problem(0, "ticker", "r").column == "Disclosures!A2 (ticker)"


def test_xlsx_named_sheet_and_missing_sheet(tmp_path):
    p = tmp_path / "d.xlsx"
    p.write_bytes(xlsx_bytes({"First": pd.DataFrame({"a": [1]}), "Second": pd.DataFrame({"b": [2]})}))
    assert read_table(p).sheet == "First"
    assert read_table(p, sheet="Second").frame.to_dict("list") == {"b": ["2"]}
    with pytest.raises(DataValidationError, match=r"workbook has no sheet named 'Third' \(sheets: First, Second\)"):
        read_table(p, sheet="Third")


# ------------------------------------------------------------------------------------------------ reader errors
def test_missing_file(tmp_path):
    p = tmp_path / "nope.csv"
    with pytest.raises(DataValidationError, match="file not found") as ei:
        read_table(p)
    assert only_problem(ei) == Problem(str(p), None, None, "file not found")


def test_folder_is_not_a_file(tmp_path):
    with pytest.raises(DataValidationError, match="is a folder, not a file"):
        read_table(tmp_path)


@pytest.mark.parametrize("content", [b"", b"   \n\n  ", "\ufeff".encode()])
def test_empty_file(tmp_path, content):
    p = tmp_path / "empty.csv"
    p.write_bytes(content)
    with pytest.raises(DataValidationError, match=r"file is empty \(expected a header row") as ei:
        read_table(p)
    prob = only_problem(ei)
    assert (prob.file, prob.row, prob.column) == (str(p), None, None)


def test_header_only(tmp_path):
    p = tmp_path / "header.csv"
    p.write_text(HEADER, encoding="utf-8")
    with pytest.raises(DataValidationError, match="file has a header but no data rows") as ei:
        read_table(p)
    assert only_problem(ei) == Problem(str(p), None, None, "file has a header but no data rows")


def test_header_and_blank_rows_only(tmp_path):
    p = tmp_path / "blank.csv"
    p.write_text(HEADER + ",,,,,\n,,,,,\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="no data rows"):
        read_table(p)


@pytest.mark.parametrize(("sep", "word"), [(";", "semicolon"), ("\t", "tab"), ("|", "pipe")])
def test_wrong_delimiter(tmp_path, sep, word):
    p = tmp_path / "semi.csv"
    p.write_text((HEADER + ROW).replace(",", sep), encoding="utf-8")
    with pytest.raises(DataValidationError, match=f"wrong delimiter: the header is {word}-separated") as ei:
        read_table(p)
    prob = only_problem(ei)
    assert (prob.file, prob.row, prob.column) == (str(p), 1, None)
    assert prob.value == HEADER.strip().replace(",", sep)


def test_not_utf8_names_the_line_and_byte(tmp_path):
    p = tmp_path / "latin1.csv"
    p.write_bytes((HEADER + ROW).encode() + "MSFT,2023,pue,1.2,ratio,Soci\u00e9t\u00e9\n".encode("latin-1"))
    with pytest.raises(DataValidationError, match=r"file is not UTF-8 text \(re-save it as CSV UTF-8\)") as ei:
        read_table(p)
    prob = only_problem(ei)
    assert (prob.file, prob.row, prob.column, prob.value) == (str(p), 3, None, b"\xe9")


def test_ragged_csv_is_a_validation_error(tmp_path):
    p = tmp_path / "ragged.csv"
    p.write_text("a,b\n1,2\n3,4,5,6\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="not a well-formed CSV file"):
        read_table(p)


def test_duplicate_column_names(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("ticker,Value,value \nMSFT,1,2\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="duplicate column names in the header") as ei:
        read_table(p)
    prob = only_problem(ei)
    assert (prob.row, prob.value) == (1, ["value"])


def test_xlsx_that_is_really_csv(tmp_path):
    p = tmp_path / "fake.xlsx"
    p.write_text(HEADER + ROW, encoding="utf-8")
    with pytest.raises(DataValidationError,
                       match=r"not a valid \.xlsx workbook: the file is not a zip archive \(it looks like CSV text: "
                             r"rename it to \.csv\)") as ei:
        read_table(p)
    prob = only_problem(ei)
    assert (prob.file, prob.row, prob.column) == (str(p), None, None)


def test_csv_that_is_really_xlsx(tmp_path):
    p = tmp_path / "fake.csv"
    p.write_bytes(xlsx_bytes({"Disclosures": pd.DataFrame({"a": [1]})}))
    with pytest.raises(DataValidationError, match=r"file is an Excel/zip workbook but its name ends in \.csv"):
        read_table(p)


def test_corrupt_zip(tmp_path):
    p = tmp_path / "corrupt.xlsx"
    p.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 50)
    with pytest.raises(DataValidationError, match=r"corrupt \.xlsx workbook: the zip archive cannot be read") as ei:
        read_table(p)
    assert only_problem(ei).file == str(p)


def test_zip_member_failing_its_checksum(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet>" + "x" * 200 + "</worksheet>")
    raw = bytearray(buf.getvalue())
    at = raw.index(b"xxxx")
    raw[at] = ord("y")  # flip one stored byte: the CRC no longer matches
    p = tmp_path / "crc.xlsx"
    p.write_bytes(bytes(raw))
    with pytest.raises(DataValidationError,
                       match=r"corrupt \.xlsx workbook: member 'xl/worksheets/sheet1.xml' fails its checksum"):
        read_table(p)


def test_zip_that_is_not_a_workbook(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    p = tmp_path / "notwb.xlsx"
    p.write_bytes(buf.getvalue())
    with pytest.raises(DataValidationError, match=r"not a readable \.xlsx workbook"):
        read_table(p)


def test_workbook_with_xml_entities_is_refused(tmp_path):
    good = xlsx_bytes({"Disclosures": pd.DataFrame({"a": [1]})})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "xl/worksheets/sheet1.xml":
                body = data.decode().split("?>", 1)[-1]
                data = ('<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                        + body).encode()
            zout.writestr(name, data)
    p = tmp_path / "entities.xlsx"
    p.write_bytes(out.getvalue())
    with pytest.raises(DataValidationError, match=r"refused: the workbook contains unsafe XML \(EntitiesForbidden"):
        read_table(p)


def test_legacy_xls_is_refused(tmp_path):
    p = tmp_path / "old.xls"
    p.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    with pytest.raises(DataValidationError, match=r"legacy \.xls workbooks are not supported"):
        read_table(p)


def test_oversized_file_is_refused_before_parsing(tmp_path):
    p = tmp_path / "big.csv"
    p.write_text(HEADER + ROW * 10, encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"file is too large to read safely"):
        read_table(p, max_bytes=100)
    assert MAX_FILE_BYTES == 512 * 2**20 and len(read_table(p).frame) == 10  # the default limit lets it through


# ------------------------------------------------------------------------------------------------ require_columns
def _table(columns: list[str]) -> Table:
    df = pd.DataFrame([["x"] * len(columns)], columns=columns)
    return Table(df, "t.csv", None, 1, tuple(columns))


def test_require_columns_returns_mapping_with_aliases():
    t = _table(["symbol", "fiscal_year"])
    assert require_columns(t, ("ticker", "fiscal_year"), {"ticker": ("symbol",)}) == {
        "ticker": "symbol", "fiscal_year": "fiscal_year"}


def test_missing_column_with_did_you_mean():
    t = _table(["ticker", "fiscal_yaer", "metric", "valeu", "unit"])
    with pytest.raises(DataValidationError, match=r"missing required column 'fiscal_year' \(did you mean "
                                                  r"'fiscal_yaer'\?\)") as ei:
        require_columns(t, ("ticker", "fiscal_year", "metric", "value", "unit"))
    probs = ei.value.problems
    assert [(p.file, p.row, p.column) for p in probs] == [("t.csv", 1, "fiscal_year"), ("t.csv", 1, "value")]
    assert "did you mean 'valeu'?" in probs[1].rule
    assert "header has ticker, fiscal_yaer, metric, valeu, unit" in probs[1].rule


def test_missing_column_without_close_match():
    t = _table(["ticker"])
    with pytest.raises(DataValidationError, match="missing required column 'unit'; header has ticker") as ei:
        require_columns(t, ("unit",))
    assert "did you mean" not in str(ei.value)


# ------------------------------------------------------------------------------------------------ no network
def test_network_is_blocked_in_tests():
    import socket

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(RuntimeError, match="network access is blocked in tests"):
            s.connect(("203.0.113.7", 80))  # TEST-NET-3: never routed, and never tried
        with pytest.raises(RuntimeError, match="network access is blocked in tests"):
            s.connect_ex(("198.51.100.7", 443))
    finally:
        s.close()


def test_xlsx_repeated_header_is_refused_not_renamed(tmp_path):
    import openpyxl

    from esglib.errors import DataValidationError
    from esglib.inputs import read_table

    path = tmp_path / "dup.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Disclosures"
    ws.append(["ticker", "fiscal_year", "metric", "value", "Value"])
    ws.append(["GOOGL", 2023, "pue", 1.1, 2])
    wb.save(path)
    with pytest.raises(DataValidationError, match="duplicate column names") as info:
        read_table(path)
    assert info.value.problems[0].row == 1
    assert info.value.problems[0].value == ["value"]
