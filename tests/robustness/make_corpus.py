"""Write the bad-input corpus of ``tests/robustness/`` reproducibly (byte for byte).

Usage::

    .venv/bin/python tests/robustness/make_corpus.py          # (re)write corpus/, cases.csv and README's case table
    .venv/bin/python tests/robustness/make_corpus.py --check  # exit 1 if any committed file differs

Every case is one :class:`Case` in :data:`CASES` (the single source of truth): the file's bytes, the input
kind, the commands it goes through, the exit status it must produce and a regular expression the error
message must match (it names the row/column or cell and the rule; the test adds the file name). Small files
are committed under ``corpus/{disclosures,holdings,template}/``. Large or hostile files (the 1,000,000-row
CSV, the XXE and billion-laughs workbooks, the zip bomb) are built at test time by :func:`build_generated`
so the repository stays small and holds no live payload.

All figures here are SYNTHETIC (source title ``SYNTHETIC robustness row``, URLs on example.com); tickers are
real only so that they are in the bundled universe.
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import io
import re
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
MANIFEST = HERE / "cases.csv"
README = HERE / "README.md"

#: Commands each input kind goes through by default (see ``test_corpus.COMMANDS`` for the argv of each).
DEFAULT_COMMANDS = {
    "disclosures": "validate score scorecard",
    "template": "validate score scorecard",
    "holdings": "screen scorecard-holdings",
}
MANIFEST_COLUMNS = ("id", "file", "kind", "commands", "exit", "message", "check", "what")


@dataclass(frozen=True)
class Case:
    """One corpus file and what esglib must do with it.

    ``file`` is relative to ``corpus/``; ``gen:<name>`` marks a file built at test time by
    :func:`build_generated`. ``exit`` 0 marks a control that must be *accepted*; ``message`` is then a regex
    for stdout. ``check`` names an extra assertion of the test (``formula_safe``: every text cell that starts
    with = + - @ is stored as a string in the written scorecard).
    """

    id: str
    file: str
    kind: str
    exit: int
    message: str
    what: str
    data: bytes | Callable[[], bytes] | None = None
    commands: str = ""
    check: str = ""

    def row(self) -> dict[str, str]:
        return {"id": self.id, "file": self.file, "kind": self.kind,
                "commands": self.commands or DEFAULT_COMMANDS[self.kind], "exit": str(self.exit),
                "message": self.message, "check": self.check, "what": self.what}


# ------------------------------------------------------------------------------------------------ disclosures
D_HEADER = ["ticker", "company", "fiscal_year", "metric", "value", "unit", "basis", "scope_note", "data_quality",
            "source_title", "source_url", "quote", "report_edition"]
SRC = "SYNTHETIC robustness row"


def _drow(ticker, company, year, metric, value, unit, *, basis="", scope="", dq="1", title=SRC,
          url=None, quote="synthetic test figure", edition="2024") -> list[str]:
    url = f"https://example.com/synthetic/{ticker.lower()}" if url is None else url
    return [ticker, company, str(year), metric, str(value), unit, basis, scope, dq, title, url, quote, edition]


D_BASE = [
    _drow("MSFT", "Microsoft", 2023, "pue", "1.18", "ratio", basis="operational", scope="fleet-wide"),
    _drow("MSFT", "Microsoft", 2023, "electricity_total_mwh", "24", "million MWh", scope="company-wide"),
    _drow("GOOGL", "Alphabet (Google)", 2023, "renewable_share_pct", "64", "%"),
    _drow("GOOGL", "Alphabet (Google)", 2023, "water_consumption_m3", "6.4", "million m3"),
    _drow("META", "Meta Platforms", 2023, "revenue_usd_m", "134902", "USD millions"),
]


def csv_bytes(rows: list[list[str]], header: list[str] | None = None, *, sep: str = ",",
              encoding: str = "utf-8", bom: bool = False) -> bytes:
    """Rows -> CSV bytes (``\\n`` line ends, minimal quoting), optionally with a BOM or another encoding."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\n")
    if header is not None:
        w.writerow(header)
    w.writerows(rows)
    data = buf.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def with_cell(rows: list[list[str]], i: int, column: str, value: str, header: list[str] = D_HEADER
              ) -> list[list[str]]:
    """A copy of ``rows`` with data row ``i`` (0-based) of ``column`` set to ``value``."""
    out = [list(r) for r in rows]
    out[i][header.index(column)] = value
    return out


def drop_column(rows: list[list[str]], header: list[str], column: str) -> tuple[list[str], list[list[str]]]:
    j = header.index(column)
    return [h for k, h in enumerate(header) if k != j], [[v for k, v in enumerate(r) if k != j] for r in rows]


def _d(rows: list[list[str]], **kw) -> bytes:
    return csv_bytes(rows, D_HEADER, **kw)


FORMULA_TEXT = {  # text cells that a spreadsheet would run as formulas if written naively
    "company": "=HYPERLINK(\"https://evil.example/\",\"click\")",
    "source_title": "+cmd|' /C calc'!A0",
    "scope_note": "-2+3+cmd|' /C calc'!A0",
    "quote": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def _formula_text_rows() -> list[list[str]]:
    rows = [list(r) for r in D_BASE]
    for col, text in FORMULA_TEXT.items():
        rows = with_cell(rows, 0, col, text)
    rows = with_cell(rows, 2, "basis", "=1+1")
    rows = with_cell(rows, 2, "source_title", "@evil")
    rows = with_cell(rows, 1, "source_url", "javascript:alert(1)")  # must never become a hyperlink
    return rows


def _disclosure_cases() -> list[Case]:
    b = D_BASE
    h_no_unit, r_no_unit = drop_column(b, D_HEADER, "unit")
    misspelt = ["fiscal_yaer" if c == "fiscal_year" else c for c in D_HEADER]
    latin = csv_bytes(b[:1], D_HEADER) + csv_bytes([_drow("NVDA", "NVIDIA Société", 2024, "pue", "1.3", "ratio")],
                                                   encoding="latin-1")
    dup = [b[0], b[1], with_cell(b, 1, "value", "25")[1]]
    dup_header = D_HEADER[:5] + ["Value"] + D_HEADER[6:]
    ragged = _d(b[:2]) + b"MSFT,Microsoft,2023,scope1_tco2e,1,tCO2e,,,1,SYNTHETIC,https://example.com,q,2024,EXTRA\n"
    unclosed = _d(b[:2]) + b'MSFT,Microsoft,2023,scope1_tco2e,1,tCO2e,,,1,"SYNTHETIC unclosed,https://example.com\n'
    many = [with_cell(b, 0, "value", "0.9")[0], with_cell(b, 1, "unit", "m3")[1],
            with_cell(b, 2, "fiscal_year", "1985")[2], with_cell(b, 3, "ticker", "ZZZZ")[3],
            with_cell(b, 4, "value", "n/a")[4]]
    html = (b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n<body><p>Your session has expired, "
            b"please sign in again</p></body></html>\n")
    loc = r"row {r}, column {c}: "
    D = "disclosures"
    return [
        Case("d00_valid", "disclosures/d00_valid.csv", D, 0, r"valid: 5 figures", "control: a valid file is accepted",
             _d(b)),
        Case("d01_empty", "disclosures/d01_empty.csv", D, 2, r"file is empty", "empty file (0 bytes)", b""),
        Case("d02_blank_lines", "disclosures/d02_blank_lines.csv", D, 2, r"file is empty",
             "file of blank lines and spaces only", b"\n  \n\n"),
        Case("d03_header_only", "disclosures/d03_header_only.csv", D, 2, r"file has a header but no data rows",
             "header row only", _d([])),
        Case("d04_missing_column", "disclosures/d04_missing_column.csv", D, 2,
             r"row 1, column unit: missing required column 'unit'", "required column `unit` missing",
             csv_bytes(r_no_unit, h_no_unit)),
        Case("d05_misspelt_column", "disclosures/d05_misspelt_column.csv", D, 2,
             r"row 1, column fiscal_year: missing required column 'fiscal_year' \(did you mean 'fiscal_yaer'\?\)",
             "misspelt column name gets a did-you-mean", csv_bytes(b, misspelt)),
        Case("d06_semicolon", "disclosures/d06_semicolon.csv", D, 2,
             r"row 1: wrong delimiter: the header is semicolon-separated", "semicolon-delimited (European Excel)",
             _d(b, sep=";")),
        Case("d07_tab", "disclosures/d07_tab.csv", D, 2, r"row 1: wrong delimiter: the header is tab-separated",
             "tab-delimited", _d(b, sep="\t")),
        Case("d08_bom_valid", "disclosures/d08_bom_valid.csv", D, 0, r"valid: 5 figures",
             "control: UTF-8 with BOM (Excel's 'CSV UTF-8') is accepted", _d(b, bom=True)),
        Case("d09_latin1", "disclosures/d09_latin1.csv", D, 2, r"row 3: file is not UTF-8 text",
             "Latin-1 text (é as byte 0xE9) on line 3", latin),
        Case("d10_thousands_separator", "disclosures/d10_thousands_separator.csv", D, 2,
             loc.format(r=3, c="value") + r"value is not a plain number.*'1,234'", "value `1,234`",
             _d(with_cell(b, 1, "value", "1,234"))),
        Case("d11_percent_sign", "disclosures/d11_percent_sign.csv", D, 2,
             loc.format(r=4, c="value") + r"value is not a plain number.*'12%'", "value `12%`",
             _d(with_cell(b, 2, "value", "12%"))),
        Case("d12_na_text", "disclosures/d12_na_text.csv", D, 2,
             loc.format(r=2, c="value") + r"value is not a plain number.*'n/a'", "value `n/a`",
             _d(with_cell(b, 0, "value", "n/a"))),
        Case("d13_blank_value", "disclosures/d13_blank_value.csv", D, 2, loc.format(r=5, c="value") + "value is blank",
             "blank value", _d(with_cell(b, 3, "value", ""))),
        Case("d14_negative_volume", "disclosures/d14_negative_volume.csv", D, 2,
             loc.format(r=3, c="value") + r"electricity_total_mwh -2\.4e\+07 must not be negative.*'-24'",
             "negative electricity", _d(with_cell(b, 1, "value", "-24"))),
        Case("d15_zero_revenue", "disclosures/d15_zero_revenue.csv", D, 2,
             loc.format(r=6, c="value") + r"revenue_usd_m 0 must be positive", "zero revenue (a denominator)",
             _d(with_cell(b, 4, "value", "0"))),
        Case("d16_pue_below_one", "disclosures/d16_pue_below_one.csv", D, 2,
             loc.format(r=2, c="value") + r"PUE 0\.95 is below 1", "PUE 0.95 < 1",
             _d(with_cell(b, 0, "value", "0.95"))),
        Case("d17_percent_over_100", "disclosures/d17_percent_over_100.csv", D, 2,
             loc.format(r=4, c="value") + r"renewable_share_pct 120 % is outside 0\.\.100 %", "renewable share 120 %",
             _d(with_cell(b, 2, "value", "120"))),
        Case("d18_negative_percent", "disclosures/d18_negative_percent.csv", D, 2,
             loc.format(r=4, c="value") + r"renewable_share_pct -5 % is outside 0\.\.100 %", "renewable share -5 %",
             _d(with_cell(b, 2, "value", "-5"))),
        Case("d19_unknown_metric", "disclosures/d19_unknown_metric.csv", D, 2,
             loc.format(r=3, c="metric") + r"unknown metric.*'electricity_totl_mwh'", "misspelt metric",
             _d(with_cell(b, 1, "metric", "electricity_totl_mwh"))),
        Case("d20_unit_mismatch", "disclosures/d20_unit_mismatch.csv", D, 2,
             loc.format(r=3, c="unit") + r"unit does not fit metric electricity_total_mwh.*'m3'",
             "electricity reported in m3", _d(with_cell(b, 1, "unit", "m3"))),
        Case("d21_year_future", "disclosures/d21_year_future.csv", D, 2,
             loc.format(r=2, c="fiscal_year") + r"fiscal_year outside 1990\.\.\d{4}.*'2099'", "fiscal year 2099",
             _d(with_cell(b, 0, "fiscal_year", "2099"))),
        Case("d22_year_before_1990", "disclosures/d22_year_before_1990.csv", D, 2,
             loc.format(r=2, c="fiscal_year") + r"fiscal_year outside 1990\.\.\d{4}.*'1985'", "fiscal year 1985",
             _d(with_cell(b, 0, "fiscal_year", "1985"))),
        Case("d23_year_not_whole", "disclosures/d23_year_not_whole.csv", D, 2,
             loc.format(r=2, c="fiscal_year") + r"fiscal_year must be a whole year.*'FY2023'", "fiscal year `FY2023`",
             _d(with_cell(b, 0, "fiscal_year", "FY2023"))),
        Case("d24_conflicting_duplicate", "disclosures/d24_conflicting_duplicate.csv", D, 2,
             loc.format(r=4, c="value") + r"conflicting duplicate: .* as row 3 but a different value",
             "same figure twice with different values", _d(dup)),
        Case("d25_ticker_not_in_universe", "disclosures/d25_ticker_not_in_universe.csv", D, 2,
             loc.format(r=5, c="ticker") + r"ticker is not in the companies table.*'ZZZZ'", "unknown ticker ZZZZ",
             _d(with_cell(b, 3, "ticker", "ZZZZ"))),
        Case("d26_blank_ticker", "disclosures/d26_blank_ticker.csv", D, 2,
             loc.format(r=5, c="ticker") + r"ticker is blank", "blank ticker", _d(with_cell(b, 3, "ticker", ""))),
        Case("d27_formula_in_value", "disclosures/d27_formula_in_value.csv", D, 2,
             loc.format(r=2, c="value") + r"value is not a plain number.*'=1\+1'",
             "value `=1+1` (formula-looking number)",
             _d(with_cell(b, 0, "value", "=1+1"))),
        Case("d28_formula_text_accepted", "disclosures/d28_formula_text_accepted.csv", D, 0, r"valid: 5 figures",
             "control: text cells starting with = + - @ are data, accepted, and written as strings (never formulas)",
             _d(_formula_text_rows()), check="formula_safe"),
        Case("d29_zip_named_csv", "disclosures/d29_zip_named_csv.csv", D, 2,
             r"file is an Excel/zip workbook but its name ends in \.csv", "an .xlsx workbook renamed .csv",
             lambda: xlsx_bytes(_template_rows(T_BASE))),
        Case("d30_data_quality_5", "disclosures/d30_data_quality_5.csv", D, 2,
             loc.format(r=3, c="data_quality") + r"data_quality must be 1, 2, 3 or 4", "data_quality 5",
             _d(with_cell(b, 1, "data_quality", "5"))),
        Case("d31_no_source", "disclosures/d31_no_source.csv", D, 2,
             loc.format(r=4, c="source_title") + r"every disclosed figure needs its source", "figure without a source",
             _d(with_cell(with_cell(b, 2, "source_title", ""), 2, "source_url", ""))),
        Case("d32_duplicate_header", "disclosures/d32_duplicate_header.csv", D, 2,
             r"row 1: duplicate column names in the header.*'value'", "two `value` columns", csv_bytes(b, dup_header)),
        Case("d33_ragged_row", "disclosures/d33_ragged_row.csv", D, 2,
             r"row 4: not a well-formed CSV file: expected 13 fields as in the header, saw 14",
             "a row with one field too many",
             ragged),
        Case("d34_unclosed_quote", "disclosures/d34_unclosed_quote.csv", D, 2,
             r"row 4: not a well-formed CSV file: a quoted value .* never closes its quote",
             "a quoted field never closed",
             unclosed),
        Case("d35_infinite_value", "disclosures/d35_infinite_value.csv", D, 2,
             loc.format(r=3, c="value") + r"value is not a finite number.*'1e999'", "value `1e999` (overflows to inf)",
             _d(with_cell(b, 1, "value", "1e999"))),
        Case("d36_report_edition_text", "disclosures/d36_report_edition_text.csv", D, 2,
             loc.format(r=2, c="report_edition") + r"report_edition must be a year or blank.*'latest'",
             "report_edition `latest`", _d(with_cell(b, 0, "report_edition", "latest"))),
        Case("d37_every_problem_at_once", "disclosures/d37_every_problem_at_once.csv", D, 2,
             r"(?s)5 problems.*row 2, column value: PUE 0\.9 .*row 3, column unit: unit does not fit.*"
             r"row 4, column fiscal_year: fiscal_year outside.*row 5, column ticker: ticker is not in the companies"
             r".*row 6, column value: value is not a plain number",
             "five different problems: all reported at once, in row order", _d(many)),
        Case("d38_html_page", "disclosures/d38_html_page.csv", D, 2,
             r"row 3: not a well-formed CSV file: expected 1 fields as in the header, saw 2",
             "an HTML sign-in page saved as .csv",
             html),
        Case("d39_binary_garbage", "disclosures/d39_binary_garbage.csv", D, 2, r"row 2: file is not UTF-8 text",
             "binary bytes (not text)", bytes(range(256)) * 4),
        Case("d40_nul_in_ticker", "disclosures/d40_nul_in_ticker.csv", D, 2,
             loc.format(r=2, c="ticker") + r"ticker is not in the companies table",
             "a NUL byte inside a ticker", _d(with_cell(b, 0, "ticker", "MS\x00FT"))),
        Case("d42_extra_field_every_row", "disclosures/d42_extra_field_every_row.csv", D, 2,
             r"row 2: not a well-formed CSV file: expected 13 fields as in the header, saw 14",
             "every row one field longer than the header (pandas would silently make the first column an index)",
             _d([r + ["EXTRA"] for r in b])),
        Case("d43_blank_line_keeps_row_numbers", "disclosures/d43_blank_line_keeps_row_numbers.csv", D, 2,
             loc.format(r=5, c="value") + r"PUE 0\.9 is below 1",
             "a blank line before the bad row: the row number is still the line in the file",
             _d(b[:2]) + b"\n" + _d([with_cell(b, 0, "value", "0.9")[0]])[len(_d([])):]),
        Case("d44_multiline_quote_keeps_row_numbers", "disclosures/d44_multiline_quote_keeps_row_numbers.csv", D, 2,
             loc.format(r=5, c="value") + r"PUE 0\.9 is below 1",
             "a quoted value spanning two lines before the bad row: the row number is still the line in the file",
             _d([with_cell(b, 1, "quote", "first line\nsecond line")[1], b[2], with_cell(b, 0, "value", "0.9")[0]])),
        Case("d45_exact_duplicate_header", "disclosures/d45_exact_duplicate_header.csv", D, 2,
             r"row 1: duplicate column names in the header.*'value'",
             "`value` twice, spelt the same (pandas would rename the second one and ignore it)",
             csv_bytes([r + ["999"] for r in b], D_HEADER + ["value"])),
        Case("d41_million_rows", "gen:million_rows.csv", D, 2,
             r"file has 1,000,001 lines, more than the [\d,]+ data rows esglib reads",
             "1,000,000-row file, refused before parsing with "
             "a message (the limit is esglib.inputs.MAX_ROWS)", None, commands="validate score"),
    ]


# ------------------------------------------------------------------------------------------------ template
T_HEADER = ["ticker", "fiscal_year", "metric", "value", "unit", "basis", "scope_note", "data_quality",
            "source_title", "source_url", "quote", "report_edition", "published_on", "retrieved_from"]
T_BASE: list[list[object]] = [
    ["MSFT", 2023, "pue", 1.18, "ratio", "operational", "fleet-wide", 1, SRC, "https://example.com/synthetic/msft",
     "synthetic test figure", 2024, None, None],
    ["MSFT", 2023, "electricity_total_mwh", 24, "million MWh", None, "company-wide", 1, SRC,
     "https://example.com/synthetic/msft", "synthetic test figure", 2024, None, None],
    ["GOOGL", 2023, "renewable_share_pct", 64, "%", None, None, 1, SRC, "https://example.com/synthetic/googl",
     "synthetic test figure", 2024, None, None],
    ["META", 2023, "revenue_usd_m", 134902, "USD millions", None, None, 1, SRC, "https://example.com/synthetic/meta",
     "synthetic test figure", 2024, None, None],
]
#: ``value`` marker for a cell that must be stored as a string even if it starts with "=" (openpyxl would
#: otherwise write a formula).
_AS_TEXT = "__text__:"
_FORMULA = "__formula__:"


def _template_rows(rows: list[list[object]], header: list[str] | None = None) -> dict[str, list[list[object]]]:
    return {"Instructions": [["esglib disclosures template (SYNTHETIC robustness corpus)"]],
            "Disclosures": [header or T_HEADER, *rows]}


def _t_with(rows, i, column, value):
    out = [list(r) for r in rows]
    out[i][T_HEADER.index(column)] = value
    return out


_FIXED_TIME = "2024-01-01T00:00:00Z"


def normalise_xlsx(raw: bytes) -> bytes:
    """Rewrite a workbook with fixed timestamps (zip entries and ``docProps/core.xml``) so it is reproducible."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", _FIXED_TIME.encode(), data)
            zi = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            zout.writestr(zi, data)
    return out.getvalue()


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    """A small workbook (openpyxl, normalised): ``{sheet: rows}``; text values starting with ``__text__:``
    are stored as strings whatever they look like, ``__formula__:`` as formulas without a cached value."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r, values in enumerate(rows, start=1):
            for c, v in enumerate(values, start=1):
                if v is None:
                    continue
                if isinstance(v, str) and v.startswith(_AS_TEXT):
                    cell = ws.cell(row=r, column=c)
                    cell.value = v[len(_AS_TEXT):]
                    cell.data_type = "s"
                elif isinstance(v, str) and v.startswith(_FORMULA):
                    ws.cell(row=r, column=c, value="=" + v[len(_FORMULA):])
                else:
                    ws.cell(row=r, column=c, value=v)
    buf = io.BytesIO()
    wb.save(buf)
    return normalise_xlsx(buf.getvalue())


def _truncated_xlsx() -> bytes:
    raw = xlsx_bytes(_template_rows(T_BASE))
    return raw[: len(raw) // 2]


def _bad_crc_xlsx() -> bytes:
    """A stored (uncompressed) sheet whose bytes were changed after the CRC was written."""
    raw = xlsx_bytes(_template_rows(T_BASE))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_STORED
            zout.writestr(zi, zin.read(info.filename))
    data = bytearray(out.getvalue())
    at = data.index(b"SYNTHETIC robustness row")
    data[at] = ord("s")  # same length, different bytes: the CRC-32 no longer matches
    return bytes(data)


def _zip_not_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        zi = zipfile.ZipInfo("notes.txt", date_time=(2024, 1, 1, 0, 0, 0))
        z.writestr(zi, "a zip archive, but not an Excel workbook")
    return out.getvalue()


def _template_cases() -> list[Case]:
    t = T_BASE
    T = "template"
    cell = r"Disclosures!{ref} \({col}\): "
    no_unit = [[v for k, v in enumerate(r) if k != T_HEADER.index("unit")] for r in t]
    fsafe = _t_with(_t_with(_t_with(t, 0, "source_title", _AS_TEXT + "=HYPERLINK(\"https://evil.example/\",\"x\")"),
                            0, "scope_note", _AS_TEXT + "-2+3+cmd|' /C calc'!A0"),
                    1, "quote", _AS_TEXT + "@SUM(1+1)*cmd|' /C calc'!A0")
    fsafe = _t_with(fsafe, 2, "basis", _AS_TEXT + "+1+1")
    return [
        Case("t00_valid", "template/t00_valid.xlsx", T, 0, r"valid: 4 figures",
             "control: a filled template is accepted", lambda: xlsx_bytes(_template_rows(t))),
        Case("t01_empty", "template/t01_empty.xlsx", T, 2, r"file is empty", "empty .xlsx (0 bytes)", b""),
        Case("t02_csv_renamed", "template/t02_csv_renamed.xlsx", T, 2,
             r"not a valid \.xlsx workbook: the file is not a zip archive \(it looks like CSV text: rename it to "
             r"\.csv\)", "an .xlsx that is really a CSV", _d(D_BASE)),
        Case("t03_truncated_zip", "template/t03_truncated_zip.xlsx", T, 2,
             r"corrupt \.xlsx workbook: the zip archive cannot be read", "corrupt zip: workbook cut in half",
             _truncated_xlsx),
        Case("t04_bad_crc", "template/t04_bad_crc.xlsx", T, 2,
             r"corrupt \.xlsx workbook: member 'xl/worksheets/sheet2\.xml' fails its checksum",
             "corrupt zip: a member's bytes do not match its CRC", _bad_crc_xlsx),
        Case("t05_zip_not_workbook", "template/t05_zip_not_workbook.xlsx", T, 2, r"not a readable \.xlsx workbook",
             "a valid zip that holds no workbook", _zip_not_workbook),
        Case("t06_header_only", "template/t06_header_only.xlsx", T, 2, r"file has a header but no data rows",
             "template with the header row only", lambda: xlsx_bytes(_template_rows([]))),
        Case("t07_missing_column", "template/t07_missing_column.xlsx", T, 2,
             r"row 1, column unit: missing required column 'unit'", "template without the `unit` column",
             lambda: xlsx_bytes(_template_rows(no_unit, [c for c in T_HEADER if c != "unit"]))),
        Case("t08_text_in_value", "template/t08_text_in_value.xlsx", T, 2,
             cell.format(ref="D3", col="value") + r"value is not a plain number.*'n/a'", "`n/a` typed in a value cell",
             lambda: xlsx_bytes(_template_rows(_t_with(t, 1, "value", "n/a")))),
        Case("t09_thousands_text", "template/t09_thousands_text.xlsx", T, 2,
             cell.format(ref="D2", col="value") + r"value is not a plain number.*'1,18'",
             "`1,18` typed as text (decimal comma)",
             lambda: xlsx_bytes(_template_rows(_t_with(t, 0, "value", "1,18")))),
        Case("t10_pue_below_one", "template/t10_pue_below_one.xlsx", T, 2,
             cell.format(ref="D2", col="value") + r"PUE 0\.8 is below 1", "PUE 0.8 in the template",
             lambda: xlsx_bytes(_template_rows(_t_with(t, 0, "value", 0.8)))),
        Case("t11_percent_over_100", "template/t11_percent_over_100.xlsx", T, 2,
             cell.format(ref="D4", col="value") + r"renewable_share_pct 101 % is outside 0\.\.100 %",
             "renewable share 101 % in the template", lambda: xlsx_bytes(_template_rows(_t_with(t, 2, "value", 101)))),
        Case("t12_unit_mismatch", "template/t12_unit_mismatch.xlsx", T, 2,
             cell.format(ref="E3", col="unit") + r"unit does not fit metric electricity_total_mwh",
             "electricity in litres", lambda: xlsx_bytes(_template_rows(_t_with(t, 1, "unit", "litres")))),
        Case("t13_unknown_metric", "template/t13_unknown_metric.xlsx", T, 2,
             cell.format(ref="C2", col="metric") + r"unknown metric", "metric `PUE (fleet)`",
             lambda: xlsx_bytes(_template_rows(_t_with(t, 0, "metric", "PUE (fleet)")))),
        Case("t14_year_future", "template/t14_year_future.xlsx", T, 2,
             cell.format(ref="B5", col="fiscal_year") + r"fiscal_year outside 1990\.\.\d{4}", "fiscal year 2100",
             lambda: xlsx_bytes(_template_rows(_t_with(t, 3, "fiscal_year", 2100)))),
        Case("t15_date_in_year", "template/t15_date_in_year.xlsx", T, 2,
             cell.format(ref="B2", col="fiscal_year") + r"fiscal_year must be a whole year",
             "a date typed in the fiscal_year cell",
             lambda: xlsx_bytes(_template_rows(_t_with(t, 0, "fiscal_year", _dt.datetime(2023, 12, 31))))),
        Case("t16_ticker_not_in_universe", "template/t16_ticker_not_in_universe.xlsx", T, 2,
             cell.format(ref="A3", col="ticker") + r"ticker is not in the companies table.*'NOPE'",
             "unknown ticker in the template", lambda: xlsx_bytes(_template_rows(_t_with(t, 1, "ticker", "NOPE")))),
        Case("t17_formula_text_value", "template/t17_formula_text_value.xlsx", T, 2,
             cell.format(ref="D2", col="value") + r"value is not a plain number.*'=1\+1'",
             "text `=1+1` in a value cell",
             lambda: xlsx_bytes(_template_rows(_t_with(t, 0, "value", _AS_TEXT + "=1+1")))),
        Case("t18_formula_without_value", "template/t18_formula_without_value.xlsx", T, 2,
             cell.format(ref="D2", col="value") + r"value is blank",
             "a real formula =1+1 never calculated (no saved value) reads as blank",
             lambda: xlsx_bytes(_template_rows(_t_with(t, 0, "value", _FORMULA + "1+1")))),
        Case("t19_formula_text_accepted", "template/t19_formula_text_accepted.xlsx", T, 0, r"valid: 4 figures",
             "control: text cells starting with = + - @ stored as text are accepted and stay text in the scorecard",
             lambda: xlsx_bytes(_template_rows(fsafe)), check="formula_safe"),
        Case("t20_wrong_sheet", "template/t20_wrong_sheet.xlsx", T, 2, r"missing required column 'ticker'",
             "workbook whose only sheet is something else", lambda: xlsx_bytes({"Sheet1": [["Name", "Notes"],
                                                                                          ["x", "y"]]})),
        Case("t21_legacy_xls", "template/t21_legacy_xls.xls", T, 2, r"legacy \.xls workbooks are not supported",
             "an old binary .xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504),
        Case("t22_xxe", "gen:xxe.xlsx", T, 2, r"refused: the workbook contains unsafe XML",
             "external-entity (XXE) payload in the sheet XML: refused by defusedxml, file never read", None),
        Case("t23_billion_laughs", "gen:billion_laughs.xlsx", T, 2, r"refused: the workbook contains unsafe XML",
             "billion-laughs entity expansion: refused by defusedxml, not expanded", None),
        Case("t24_zip_bomb", "gen:zip_bomb.xlsx", T, 2, r"refused: the workbook unpacks to more than \d+ MiB",
             "sheet XML that inflates to 600 MiB from 0.6 MiB (zip bomb): refused before inflating", None,
             commands="validate"),
        Case("t25_encrypted", "template/t25_encrypted.xlsx", T, 2,
             r"the workbook is password-protected \(encrypted\)",
             "a password-protected workbook (Excel saves it as an encrypted OLE container)",
             b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedInfo".encode("utf-16-le")
             + b"\x00" * 64 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512),
    ]


# ------------------------------------------------------------------------------------------------ holdings
H_HEADER = ["Ticker", "Description", "Weight"]
H_BASE = [["MSFT", "Microsoft", "0.30"], ["GOOGL", "Alphabet", "0.25"], ["NVDA", "NVIDIA", "0.25"],
          ["META", "Meta Platforms", "0.20"]]


def _h(rows, header=None, **kw) -> bytes:
    return csv_bytes(rows, header or H_HEADER, **kw)


def _h_with(rows, i, j, value):
    out = [list(r) for r in rows]
    out[i][j] = value
    return out


def _holding_cases() -> list[Case]:
    h = H_BASE
    H = "holdings"
    loc = r"row {r}, column {c}: "
    shares_h = ["Symbol", "Description", "Quantity"]
    shares = [["MSFT", "Microsoft", "250"], ["NVDA", "NVIDIA", "12%"]]
    mv_h = ["Symbol", "Description", "Market Value"]
    euro = [["MSFT", "Microsoft", "112.560,00"], ["NVDA", "NVIDIA", "168.912,00"]]
    formula = _h_with(_h_with(h, 0, 1, "=HYPERLINK(\"https://evil.example/\",\"x\")"), 1, 1, "@SUM(1+1)")
    formula = _h_with(formula, 2, 1, "+cmd|' /C calc'!A0") + [["-2+3", "-cmd|' /C calc'!A0", "0.05"]]
    return [
        Case("h00_valid", "holdings/h00_valid.csv", H, 0, r"", "control: a valid weights file is accepted", _h(h)),
        Case("h01_valid_shares", "holdings/h01_valid_shares.csv", H, 0, r"",
             "control: shares are priced offline from the bundled snapshot (stated as-of date)",
             _h([["MSFT", "Microsoft", "250"], ["NVDA", "NVIDIA", "800"]], ["Symbol", "Description", "Quantity"])),
        Case("h02_empty", "holdings/h02_empty.csv", H, 2, r"file is empty", "empty file", b""),
        Case("h03_header_only", "holdings/h03_header_only.csv", H, 2, r"file has a header but no data rows",
             "header only", _h([])),
        Case("h04_no_amount_column", "holdings/h04_no_amount_column.csv", H, 2,
             r"(?i)row 1\b.*missing an amount column", "tickers but no weight/value/shares column",
             _h([r[:2] for r in h], H_HEADER[:2])),
        Case("h05_misspelt_ticker_column", "holdings/h05_misspelt_ticker_column.csv", H, 2,
             r"(?i)row 1\b.*missing a ticker column", "`Tikcer` instead of `Ticker`",
             _h(h, ["Tikcer", "Description", "Weight"])),
        Case("h06_semicolon", "holdings/h06_semicolon.csv", H, 2, r"row 1: wrong delimiter: the header is "
             r"semicolon-separated", "semicolon-delimited", _h(h, sep=";")),
        Case("h07_latin1", "holdings/h07_latin1.csv", H, 2, r"row 3: file is not UTF-8 text", "Latin-1 description",
             _h(h[:1]) + csv_bytes([["SAP", "Société Générale", "0.1"]], encoding="latin-1")),
        Case("h08_na_weight", "holdings/h08_na_weight.csv", H, 2,
             r"(?i)" + loc.format(r=3, c="weight") + r".*not a number.*'n/a'", "weight `n/a`",
             _h(_h_with(h, 1, 2, "n/a"))),
        Case("h09_blank_weight", "holdings/h09_blank_weight.csv", H, 2,
             r"(?i)" + loc.format(r=4, c="weight") + r".*is blank", "blank weight", _h(_h_with(h, 2, 2, ""))),
        Case("h10_percent_in_shares", "holdings/h10_percent_in_shares.csv", H, 2,
             r"(?i)" + loc.format(r=3, c="quantity") + r".*not a plain number.*'12%'", "shares `12%`",
             _h(shares, shares_h)),
        Case("h11_decimal_comma", "holdings/h11_decimal_comma.csv", H, 2,
             r"(?i)" + loc.format(r=2, c="market value") + r".*not an amount.*'112\.560,00'",
             "European number `112.560,00`", _h(euro, mv_h)),
        Case("h12_negative_weight", "holdings/h12_negative_weight.csv", H, 2,
             r"(?i)" + loc.format(r=5, c="weight") + r"negative holding", "a short position (negative weight)",
             _h(_h_with(h, 3, 2, "-0.20"))),
        Case("h13_weights_sum_to_zero", "holdings/h13_weights_sum_to_zero.csv", H, 2,
             r"(?i)column weight: holdings total must be positive", "all weights zero",
             _h([[t, d, "0"] for t, d, _ in h])),
        Case("h14_blank_ticker_no_amount", "holdings/h14_blank_ticker_no_amount.csv", H, 2,
             r"(?i)" + loc.format(r=3, c="ticker") + r"ticker is blank and the row has no amount", "an empty-ish row",
             _h(_h_with(_h_with(h, 1, 0, ""), 1, 2, ""))),
        Case("h15_xlsx_is_csv", "holdings/h15_xlsx_is_csv.xlsx", H, 2,
             r"not a valid \.xlsx workbook: the file is not a zip archive", "holdings .xlsx that is a CSV", _h(h)),
        Case("h16_corrupt_xlsx", "holdings/h16_corrupt_xlsx.xlsx", H, 2, r"corrupt \.xlsx workbook",
             "truncated holdings workbook",
             lambda: xlsx_bytes({"Holdings": [H_HEADER, *h]})[:700]),
        Case("h17_shares_without_price", "holdings/h17_shares_without_price.csv", H, 2,
             r"(?i)" + loc.format(r=3, c="quantity") + r"no price for ZZZZ", "shares of a ticker with no bundled price",
             _h([["MSFT", "Microsoft", "250"], ["ZZZZ", "Unknown Corp", "100"]], shares_h)),
        Case("h18_ticker_not_in_universe", "holdings/h18_ticker_not_in_universe.csv", H, 0, r"",
             "control: a ticker outside the universe is kept unscored with a warning naming it (not an error)",
             _h(_h_with(h, 3, 2, "0.10") + [["ZZZZ", "Unknown Corp", "0.10"]]), check="warns:ZZZZ"),
        Case("h19_formula_text_accepted", "holdings/h19_formula_text_accepted.csv", H, 0, r"",
             "control: descriptions/tickers starting with = + - @ are data and stay text in the scorecard",
             _h(_h_with(formula, 3, 2, "0.15")), check="formula_safe"),
        Case("h21_extra_field", "holdings/h21_extra_field.csv", H, 2,
             r"row 2: not a well-formed CSV file: expected 3 fields as in the header, saw 4",
             "a row with one field more than the header (found by fuzzing: was a raw ValueError)",
             _h(h[:0]) + b"MSFT,GOOGL,Alphabet,0.25\nNVDA,NVIDIA,0.25,0.1\n"),
        Case("h20_xxe", "gen:holdings_xxe.xlsx", H, 2, r"refused: the workbook contains unsafe XML",
             "XXE payload in a holdings workbook", None),
    ]


CASES: list[Case] = _disclosure_cases() + _template_cases() + _holding_cases()


# ------------------------------------------------------------------------------------------------ generated
def _patch_sheet(raw: bytes, member: str, transform: Callable[[bytes], bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == member:
                data = transform(data)
            zout.writestr(zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0)), data,
                          compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _with_doctype(doctype: str, cell_text: str) -> Callable[[bytes], bytes]:
    def transform(data: bytes) -> bytes:
        body = data.decode("utf-8").split("?>", 1)[-1]
        body = body.replace("SYNTHETIC robustness row", cell_text, 1)
        return ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>' + doctype + body).encode("utf-8")

    return transform


XXE_DOCTYPE = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
LAUGHS_DOCTYPE = ("<!DOCTYPE worksheet [<!ENTITY lol \"lol\">"
                  + "".join(f"<!ENTITY lol{i} \"{('&lol' + (str(i - 1) if i > 1 else '') + ';') * 10}\">"
                            for i in range(1, 10))
                  + "]>")


def xxe_xlsx() -> bytes:
    """A filled template whose Disclosures sheet XML declares an external entity reading /etc/passwd."""
    return _patch_sheet(xlsx_bytes(_template_rows(T_BASE)), "xl/worksheets/sheet2.xml",
                        _with_doctype(XXE_DOCTYPE, "&xxe;"))


def billion_laughs_xlsx() -> bytes:
    """A filled template whose sheet XML holds the classic billion-laughs entity expansion (10^9 'lol')."""
    return _patch_sheet(xlsx_bytes(_template_rows(T_BASE)), "xl/worksheets/sheet2.xml",
                        _with_doctype(LAUGHS_DOCTYPE, "&lol9;"))


def holdings_xxe_xlsx() -> bytes:
    raw = xlsx_bytes({"Holdings": [H_HEADER, *H_BASE]})

    def transform(data: bytes) -> bytes:
        body = data.decode("utf-8").split("?>", 1)[-1].replace("Microsoft", "&xxe;", 1)
        return ('<?xml version="1.0" encoding="UTF-8"?>' + XXE_DOCTYPE + body).encode("utf-8")

    return _patch_sheet(raw, "xl/worksheets/sheet1.xml", transform)


class _RepeatingDeflate:
    """Deflate compressor for :func:`zip_bomb_xlsx` that compresses a repeated chunk once.

    Each chunk is emitted as a block ending in a full flush (no back-references across it), so the same
    compressed bytes can be repeated: 600 MiB of padding costs one CRC pass instead of 600 MiB of deflating.
    """

    def __init__(self, chunk: bytes):
        import zlib

        self._zlib = zlib
        self._chunk = chunk
        self._c = zlib.compressobj(9, zlib.DEFLATED, -15)
        once = zlib.compressobj(9, zlib.DEFLATED, -15)
        self._block = once.compress(chunk) + once.flush(zlib.Z_FULL_FLUSH)

    def compress(self, data: bytes) -> bytes:
        if data is self._chunk:
            return self._block
        return self._c.compress(data) + self._c.flush(self._zlib.Z_FULL_FLUSH)

    def flush(self, *args) -> bytes:
        return self._c.flush()


def zip_bomb_xlsx(inflated: int = 600 * 2**20) -> bytes:
    """A filled template whose sheet XML is padded with whitespace up to ``inflated`` bytes (a zip bomb)."""
    raw = xlsx_bytes(_template_rows(T_BASE))
    out = io.BytesIO()
    chunk = b" " * 2**20
    with zipfile.ZipFile(io.BytesIO(raw)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zi = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            if info.filename != "xl/worksheets/sheet2.xml":
                zout.writestr(zi, data)
                continue
            with zout.open(zi, "w", force_zip64=True) as fh:
                fh._compressor = _RepeatingDeflate(chunk)  # private, test-only: see the class docstring
                fh.write(data.split(b"</sheetData>")[0])
                for _ in range(max(0, inflated - len(data)) // len(chunk)):
                    fh.write(chunk)
                fh.write(b"</sheetData>" + data.split(b"</sheetData>")[1])
    return out.getvalue()


def write_million_rows(path: Path, n: int = 1_000_000) -> Path:
    """Write ``n`` synthetic, individually valid disclosure rows (about 70 MB) to ``path``, quickly."""
    line = "MSFT,{y},electricity_total_mwh,{v},MWh,SYNTHETIC robustness row,https://example.com/s/{i}\n"
    block = "".join(line.format(y=2000 + i % 20, v=1000 + i, i=i) for i in range(1000)).encode("utf-8")
    with open(path, "wb") as fh:
        fh.write(b"ticker,fiscal_year,metric,value,unit,source_title,source_url\n")
        for _ in range(n // 1000):
            fh.write(block)
        fh.write(block[: block.index(b"\n") + 1] * (n % 1000) if n % 1000 else b"")
    return path


GENERATED: dict[str, Callable[[], bytes]] = {
    "xxe.xlsx": xxe_xlsx,
    "billion_laughs.xlsx": billion_laughs_xlsx,
    "holdings_xxe.xlsx": holdings_xxe_xlsx,
    "zip_bomb.xlsx": zip_bomb_xlsx,
}


def build_generated(name: str, folder: Path) -> Path:
    """Build the generated corpus file ``name`` (from ``gen:<name>``) in ``folder`` and return its path."""
    path = folder / name
    if name == "million_rows.csv":
        return write_million_rows(path)
    path.write_bytes(GENERATED[name]())
    return path


# ------------------------------------------------------------------------------------------------ writing
def case_bytes(case: Case) -> bytes:
    data = case.data
    return data() if callable(data) else data  # type: ignore[return-value]


def manifest_text(cases: list[Case] = CASES) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, MANIFEST_COLUMNS, lineterminator="\n")
    w.writeheader()
    for c in cases:
        w.writerow(c.row())
    return buf.getvalue()


def readme_table(cases: list[Case] = CASES) -> str:
    lines = ["| id | file | commands | exit | what it checks | message must match |", "|---|---|---|---|---|---|"]
    for c in cases:
        r = c.row()
        msg = r["message"].replace("|", "\\|") or "(exit 0)"
        extra = {"formula_safe": "; scorecard stores these cells as strings", "": ""}.get(
            c.check, f"; {c.check}" if c.check else "")
        lines.append(f"| {c.id} | `{c.file}` | {r['commands']} | {c.exit} | {c.what}{extra} | `{msg}` |")
    return "\n".join(lines) + "\n"


_TABLE_START = "<!-- cases:start (generated by make_corpus.py) -->"
_TABLE_END = "<!-- cases:end -->"


def expected_files() -> dict[Path, bytes]:
    files = {CORPUS / c.file: case_bytes(c) for c in CASES if not c.file.startswith("gen:")}
    files[MANIFEST] = manifest_text().encode("utf-8")
    if README.exists():
        text = README.read_text(encoding="utf-8")
        if _TABLE_START in text and _TABLE_END in text:
            head, rest = text.split(_TABLE_START, 1)
            tail = rest.split(_TABLE_END, 1)[1]
            files[README] = (head + _TABLE_START + "\n" + readme_table() + _TABLE_END + tail).encode("utf-8")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if a committed file differs")
    args = parser.parse_args(argv)
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    stale = []
    for path, data in expected_files().items():
        if path.exists() and path.read_bytes() == data:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    known = {CORPUS / c.file for c in CASES}
    extra = [p for p in CORPUS.rglob("*") if p.is_file() and p not in known]
    for p in stale:
        print(("differs: " if args.check else "wrote: ") + str(p.relative_to(HERE)))
    for p in extra:
        print("not in CASES: " + str(p.relative_to(HERE)))
    print(f"{len(CASES)} cases ({sum(c.exit != 0 for c in CASES)} must be rejected, "
          f"{sum(c.exit == 0 for c in CASES)} accepted controls)")
    return 1 if args.check and (stale or extra) else 0


if __name__ == "__main__":
    sys.exit(main())
