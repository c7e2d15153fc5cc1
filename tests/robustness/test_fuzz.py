"""Fuzzing the loaders with hypothesis: only esglib's own errors escape, never a raw pandas/openpyxl exception.

Inputs: a valid disclosures CSV, template workbook and holdings CSV from the corpus with their bytes mutated
(flips, insertions of tricky tokens, deletions, truncation), the XML inside a valid workbook mutated, and
frames generated from the disclosures schema (valid tokens mixed with junk) written as CSV and XLSX. Every
call must return a frame or raise an :class:`~esglib.errors.EsglibError`; a
:class:`~esglib.errors.DataValidationError` must locate each problem in the file it was given. Example counts
come from the hypothesis profile of ``tests/conftest.py`` (``ci`` by default; ``HYPOTHESIS_PROFILE=dev`` for
more).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esglib.errors import DataValidationError, EsglibError

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
VALID_CSV = (CORPUS / "disclosures" / "d00_valid.csv").read_bytes()
VALID_XLSX = (CORPUS / "template" / "t00_valid.xlsx").read_bytes()
VALID_HOLDINGS = (CORPUS / "holdings" / "h00_valid.csv").read_bytes()
SHEET = "xl/worksheets/sheet2.xml"  # the Disclosures sheet of the corpus templates

TOKENS = [b'"', b",", b"\n", b"\r\n", b"\r", b"\x00", b"\xff", b"\xef\xbb\xbf", b";", b"\t", b"=", b"+", b"-",
          b"@", b"1e999", b"nan", b"-0", b"1,234", b"12%", b"n/a", b"\xc3\xa9", b"\xe9", b"PK\x03\x04",
          b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"&a;", b"<", b">", b"]]>", b"'" * 3, b" " * 50, b"9" * 400,
          b"other:", b"pue", b"ratio", b"MSFT", b"2023", b"\\", b"\x1a"]

_counter = itertools.count()


@pytest.fixture(scope="module")
def companies():
    from esglib import bundled

    return bundled.companies()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def write(folder: Path, suffix: str, data: bytes) -> Path:
    path = folder / f"case{next(_counter)}{suffix}"
    path.write_bytes(data)
    return path


@st.composite
def mutated(draw, base: bytes, max_ops: int = 6) -> bytes:
    """``base`` with a few byte flips, token insertions, deletions or a truncation."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate_line"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS) | st.binary(min_size=1, max_size=8))
        elif op == "delete" and data:
            data[at: at + draw(st.integers(1, 40))] = b""
        elif op == "truncate":
            data = data[:at]
        elif op == "duplicate_line":
            lines = bytes(data).split(b"\n")
            k = draw(st.integers(0, len(lines) - 1))
            lines.insert(k, lines[k])
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def check_error(exc: BaseException, path: Path) -> None:
    """Only esglib errors; a validation error names the file in every problem and a sane location."""
    assert isinstance(exc, EsglibError), f"{type(exc).__module__}.{type(exc).__name__} escaped: {exc!r}"
    if isinstance(exc, DataValidationError):
        assert exc.problems, "a validation error with no problem"
        for p in exc.problems:
            assert p.file == str(path), p
            assert p.row is None or (isinstance(p.row, int) and p.row >= 1), p
            assert p.rule and isinstance(p.rule, str), p
        str(exc)  # the message itself must render


def call(fn, path: Path, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(path, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the assertion is the point
            check_error(exc, path)
            return None


def check_loaded(d: pd.DataFrame) -> None:
    """A loaded disclosures frame holds only finite numbers in range."""
    from esglib.inputs import MIN_YEAR

    assert d["value"].map(lambda v: isinstance(v, float) and math.isfinite(v)).all()
    assert d["fiscal_year"].between(MIN_YEAR, 2100).all()
    assert d["data_quality"].isin([1, 2, 3, 4]).all()


_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
FUZZ = settings(suppress_health_check=_HEALTH, deadline=None)
#: reading alone is cheap: three times the profile's examples (at least 60)
FUZZ_CHEAP = settings(suppress_health_check=_HEALTH, deadline=None,
                      max_examples=max(settings.default.max_examples * 3, 60))


# ------------------------------------------------------------------------------------------------ bytes
@FUZZ_CHEAP
@given(data=mutated(VALID_CSV))
def test_read_table_on_mutated_csv(data, folder):
    from esglib.inputs import read_table

    call(read_table, write(folder, ".csv", data))


@FUZZ
@given(data=mutated(VALID_CSV))
def test_load_disclosures_on_mutated_csv(data, folder, companies):
    from esglib.inputs import load_disclosures

    out = call(load_disclosures, write(folder, ".csv", data), companies)
    if out is not None:
        check_loaded(out)


@FUZZ
@given(data=mutated(VALID_XLSX, max_ops=3))
def test_load_disclosures_on_mutated_xlsx_bytes(data, folder, companies):
    from esglib.inputs import load_disclosures

    out = call(load_disclosures, write(folder, ".xlsx", data), companies)
    if out is not None:
        check_loaded(out)


def _rezip(member: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(VALID_XLSX)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, content if info.filename == member else zin.read(info.filename))
    return out.getvalue()


with zipfile.ZipFile(io.BytesIO(VALID_XLSX)) as _z:
    _SHEET_XML = _z.read(SHEET)
    _WORKBOOK_XML = _z.read("xl/workbook.xml")


@FUZZ
@given(member=st.sampled_from([SHEET, "xl/workbook.xml", "[Content_Types].xml", "xl/styles.xml"]),
       data=st.data())
def test_load_disclosures_on_mutated_workbook_xml(member, data, folder, companies):
    """A valid zip whose XML is damaged reaches openpyxl's parser: still only esglib errors."""
    from esglib.inputs import load_disclosures

    with zipfile.ZipFile(io.BytesIO(VALID_XLSX)) as z:
        base = z.read(member)
    xml = data.draw(mutated(base, max_ops=4))
    out = call(load_disclosures, write(folder, ".xlsx", _rezip(member, xml)), companies)
    if out is not None:
        check_loaded(out)


@FUZZ
@given(data=mutated(VALID_HOLDINGS))
def test_load_holdings_on_mutated_csv(data, folder, companies):
    portfolio = pytest.importorskip("esglib.portfolio", reason="esglib.portfolio has not landed")
    out = call(portfolio.load_holdings, write(folder, ".csv", data), companies, prices={})
    if out is not None:
        assert math.isclose(float(out["weight"].sum()), 1.0, rel_tol=1e-9)
        assert out["weight"].map(math.isfinite).all()


# ------------------------------------------------------------------------------------------------ frames
def _cells(valid: list[str]):
    junk = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
    return st.one_of(st.sampled_from(valid), junk)


NUMBERS = ["1.18", "0", "-5", "100", "1e3", "1,234", "12%", "n/a", "", "=1+1", "1e999", "nan", "inf", " 7 ", "0.95",
           "2023", "3.5e-2"]


@st.composite
def disclosure_frames(draw) -> pd.DataFrame:
    from esglib.inputs import CANONICAL_UNIT, METRICS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS

    optional = draw(st.lists(st.sampled_from(OPTIONAL_COLUMNS), unique=True, max_size=len(OPTIONAL_COLUMNS)))
    columns = list(REQUIRED_COLUMNS) + optional
    if draw(st.booleans()):
        columns = draw(st.permutations(columns))
    if draw(st.integers(0, 9)) == 0:  # sometimes a required column is missing
        columns = columns[1:]
    values = {
        "ticker": _cells(["MSFT", "GOOGL", "META", "NVDA", "ZZZZ", "", "msft"]),
        "fiscal_year": _cells(["2023", "2024", "1985", "2099", "FY2023", "2023.0", ""]),
        "metric": _cells(sorted(METRICS) + ["other:note", "other:", "PUE"]),
        "value": _cells(NUMBERS),
        "unit": _cells(sorted(set(CANONICAL_UNIT.values())) + ["million MWh", "GWh", "m3", "litres", "fraction"]),
        "data_quality": _cells(["1", "2", "3", "4", "5", "", "1.0"]),
        "report_edition": _cells(["", "2024", "latest", "2024.0"]),
        "source_title": _cells(["SYNTHETIC", "", "=HYPERLINK(\"x\")"]),
        "source_url": _cells(["https://example.com/s", ""]),
    }
    other = _cells(["", "x", "@SUM(1)", "-1+2"])
    n = draw(st.integers(1, 8))
    rows = [{c: draw(values.get(c, other)) for c in columns} for _ in range(n)]
    return pd.DataFrame(rows, columns=columns)


def frame_csv(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(frame.columns)
    w.writerows(frame.itertuples(index=False))
    return buf.getvalue().encode("utf-8", "surrogatepass")


def frame_xlsx(frame: pd.DataFrame) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Disclosures"
    ws.append(list(frame.columns))
    for r, row in enumerate(frame.itertuples(index=False), start=2):
        for c, v in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            cell.value = v  # text stays text even when it starts with "=" (stored as a string)
            cell.data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@FUZZ
@given(frame=disclosure_frames())
def test_load_disclosures_on_schema_frames_csv(frame, folder, companies):
    from esglib.inputs import load_disclosures

    path = write(folder, ".csv", frame_csv(frame))
    out = call(load_disclosures, path, companies)
    if out is not None:
        check_loaded(out)
        assert len(out) <= len(frame)


@FUZZ
@given(frame=disclosure_frames())
def test_load_disclosures_on_schema_frames_xlsx(frame, folder, companies):
    from openpyxl.utils.exceptions import IllegalCharacterError

    from esglib.inputs import load_disclosures

    try:
        data = frame_xlsx(frame)
    except IllegalCharacterError:  # openpyxl cannot even write control characters: nothing to read back
        return
    out = call(load_disclosures, write(folder, ".xlsx", data), companies)
    if out is not None:
        check_loaded(out)


@st.composite
def holdings_frames(draw) -> pd.DataFrame:
    header = draw(st.sampled_from([["Ticker", "Weight"], ["Symbol", "Description", "Market Value"],
                                   ["Symbol", "Quantity"], ["Ticker", "Weight", "Shares"], ["Name", "Notes"]]))
    tick = _cells(["MSFT", "GOOGL", "NVDA", "CASH", "ZZZZ", "", "Total", "SPAXX**"])
    amount = _cells(["0.3", "30%", "1,234.50", "$1,234.50", "(12)", "-0.2", "0", "", "n/a", "1e999", "7"])
    n = draw(st.integers(1, 6))
    rows = [[draw(tick) if c in ("Ticker", "Symbol") else draw(amount) if c != "Description" and c != "Notes"
             else draw(_cells(["Microsoft", "Cash & Cash Investments", "=cmd"])) for c in header] for _ in range(n)]
    return pd.DataFrame(rows, columns=header)


@FUZZ
@given(frame=holdings_frames())
def test_load_holdings_on_generated_frames(frame, folder, companies):
    portfolio = pytest.importorskip("esglib.portfolio", reason="esglib.portfolio has not landed")
    path = write(folder, ".csv", frame_csv(frame))
    out = call(portfolio.load_holdings, path, companies, prices={"MSFT": 400.0, "NVDA": 120.0})
    if out is not None:
        assert math.isclose(float(out["weight"].sum()), 1.0, rel_tol=1e-9)
        assert out["weight"].map(math.isfinite).all()
