"""Builders of the robustness-v2 input files (issue 15), made at test time from the committed valid template.

Each returns bytes; nothing here is committed as a binary. Used by ``test_v2_*.py``.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "corpus" / "template" / "t00_valid.xlsx"
VALID_CSV = HERE / "corpus" / "disclosures" / "d00_valid.csv"
VALID_HOLDINGS = HERE / "corpus" / "holdings" / "h00_valid.csv"
SHEET = "xl/worksheets/sheet2.xml"  # Disclosures in t00_valid.xlsx


def _rezip(src: bytes, replace: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = replace.get(info.filename, zin.read(info.filename))
            zout.writestr(info.filename, data)
    return out.getvalue()


def _with_openpyxl(edit) -> bytes:
    import openpyxl

    wb = openpyxl.load_workbook(TEMPLATE)
    edit(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def percent_cell() -> bytes:
    """renewable_share_pct typed as ``64%`` (stored 0.64 with the 0% format)."""
    def edit(wb):
        c = wb["Disclosures"]["D4"]
        c.value, c.number_format = 0.64, "0%"
    return _with_openpyxl(edit)


def error_cell(code: str = "#DIV/0!") -> bytes:
    def edit(wb):
        c = wb["Disclosures"]["D2"]
        c.value, c.data_type = code, "e"
    return _with_openpyxl(edit)


def hidden_sheet_named_like_template() -> bytes:
    """The data on a visible sheet ``Data``; a hidden sheet ``Disclosures`` holding other rows."""
    def edit(wb):
        wb["Disclosures"].title = "Data"
        h = wb.create_sheet("Disclosures")
        h.append(["ticker", "fiscal_year", "metric", "value", "unit"])
        h.append(["MSFT", 2023, "pue", 9.99, "ratio"])
        h.sheet_state = "hidden"
    return _with_openpyxl(edit)


def strict_open_xml() -> bytes:
    """The template with Strict Open XML namespaces (what Excel writes for 'Strict Open XML Spreadsheet')."""
    src = TEMPLATE.read_bytes()
    with zipfile.ZipFile(io.BytesIO(src)) as z:
        parts = {n: z.read(n) for n in z.namelist() if n.endswith(".xml") or n.endswith(".rels")}
    swap = {b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
            b"http://schemas.openxmlformats.org/officeDocument/2006/relationships":
                b"http://purl.oclc.org/ooxml/officeDocument/relationships"}
    for name, data in parts.items():
        for a, b in swap.items():
            data = data.replace(a, b)
        parts[name] = data
    return _rezip(src, parts)


def million_styled_rows(n: int = 1_000_000) -> bytes:
    """The four figures followed by ``n`` formatted but empty rows (a sheet 'used' to row 1,000,000)."""
    src = TEMPLATE.read_bytes()
    with zipfile.ZipFile(io.BytesIO(src)) as z:
        xml = z.read(SHEET).decode()
    rows = "".join(f'<row r="{r}" ht="15" customHeight="1"/>' for r in range(6, n + 1))
    xml = xml.replace("</sheetData>", rows + "</sheetData>")
    xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:L{n}"/>', xml)
    return _rezip(src, {SHEET: xml.encode()})


def many_value_rows(n: int) -> bytes:
    """``n`` rows that each hold a value (more than the reader's row limit)."""
    src = TEMPLATE.read_bytes()
    with zipfile.ZipFile(io.BytesIO(src)) as z:
        xml = z.read(SHEET).decode()
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>MSFT</t></is></c></row>' for r in range(6, n + 6))
    xml = xml.replace("</sheetData>", rows + "</sheetData>")
    return _rezip(src, {SHEET: xml.encode()})


def csv_with(column: str, row: int, value: str, src: Path = VALID_CSV) -> bytes:
    """The valid disclosures CSV with one cell changed (``row`` is the file line, header = 1)."""
    import csv

    lines = list(csv.reader(io.StringIO(src.read_text(encoding="utf-8"))))
    j = [h.strip().lower() for h in lines[0]].index(column)
    lines[row - 1][j] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(lines)
    return buf.getvalue().encode("utf-8")
