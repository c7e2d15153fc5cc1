"""Read user tables (CSV or XLSX) into string frames that remember where each cell came from.

Every failure a user can cause (missing file, empty file, wrong delimiter, not UTF-8, corrupt or disguised
workbook, hostile XML) becomes a :class:`~esglib.errors.DataValidationError` naming the file and the rule.
Reading untrusted workbooks is protected by defusedxml, which openpyxl uses automatically when installed.
"""

from __future__ import annotations

import difflib
import io
import re
import zipfile
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import pandas as pd

from esglib.errors import ConfigError, DataValidationError, Problem
from esglib.inputs._xlsx_scan import WorkbookScan, scan_workbook

__all__ = ['Table', 'read_table', 'column_letter', 'require_columns', 'MAX_FILE_BYTES', 'count_lines', 'MAX_ROWS']


XLSX_SUFFIXES = {".xlsx", ".xlsm"}
#: Refuse files larger than this (bytes) before parsing: a clear message instead of running out of memory.
MAX_FILE_BYTES = 512 * 1024 * 1024
#: Default row limit: CSV files with more data lines than this are refused before parsing (no bundled or
#: hand-made disclosures or holdings file is anywhere near it, so a bigger file is usually a mistake). A caller
#: that means it raises the limit per call (``read_table(..., max_rows=N)``, ``esglib score --max-rows N``).
#: Lines are counted at every line ending (``\n``, ``\r\n`` and a lone ``\r``).
MAX_ROWS = 500_000
#: Bytes allowed per row when ``max_rows`` raises the limit above :data:`MAX_ROWS`: the file-size limit becomes
#: ``max(MAX_FILE_BYTES, max_rows * BYTES_PER_ROW)``.
BYTES_PER_ROW = 2048
#: Refuse workbooks whose members unpack to more than this (bytes, as declared by the zip) before inflating
#: them: a zip bomb is stopped with a message instead of filling memory.
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024


def column_letter(idx: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 25 -> Z, 26 -> AA)."""
    letters = ""
    idx += 1
    while idx:
        idx, rem = divmod(idx - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True)
class Table:
    """A user table read as text, with the means to name any cell as the user sees it.

    Attributes
    ----------
    frame : DataFrame
        All cells as ``str`` (blank cells are empty strings); columns are the header names, stripped and
        lower-cased; index is 0..n-1.
    file : str
        The path as given.
    sheet : str or None
        Worksheet name for Excel input, None for CSV.
    header_row : int
        1-based line/row number of the header.
    original_columns : tuple of str
        Header names as written in the file (same order as ``frame.columns``).
    lines : tuple of int
        CSV only, when a quoted value spans several lines: the 1-based line on which data row ``i`` starts is
        ``lines[i]``. Empty when every row is one line (the usual case).
    """

    frame: pd.DataFrame
    file: str
    sheet: str | None = None
    header_row: int = 1
    original_columns: tuple[str, ...] = field(default_factory=tuple)
    lines: tuple[int, ...] = ()

    def row_number(self, index: int) -> int:
        """1-based line (CSV) or sheet row (Excel) of data row ``index``."""
        if self.lines and 0 <= int(index) < len(self.lines):
            return self.lines[int(index)]
        return int(index) + self.header_row + 1

    def where(self, index: int | None, column: str | None) -> tuple[int | None, str | None]:
        """(row, column label) for a problem: ``Disclosures!D14`` style for Excel."""
        row = None if index is None else self.row_number(index)
        if column is None:
            return row, None
        if self.sheet is None or column not in self.frame.columns:
            return row, column
        letter = column_letter(list(self.frame.columns).index(column))
        if row is None:
            return None, f"{self.sheet}!{letter} ({column})"
        return row, f"{self.sheet}!{letter}{row} ({column})"

    def problem(self, index: int | None, column: str | None, rule: str, value=None) -> Problem:
        """Build a :class:`Problem` located at data row ``index`` and ``column``."""
        row, col = self.where(index, column)
        return Problem(self.file, row, col, rule, value)


def _fail(path: str, rule: str, value=None) -> DataValidationError:
    return DataValidationError([Problem(str(path), None, None, rule, value)])


def count_lines(raw: bytes) -> int:
    r"""Count lines: every line ending (``\n``, ``\r\n``, a lone ``\r``) and an unterminated last line."""
    cr = raw.count(b"\r")
    ends = raw.count(b"\n") + (cr - raw.count(b"\r\n") if cr else 0)
    return ends + (not raw.endswith((b"\n", b"\r")))




def _read_csv_fast(path: Path, raw: bytes, max_rows: int) -> Table | None:
    r"""Parse a plain CSV with pyarrow's reader, or return None to use the careful path.

    Only files the careful path would read without any message take this path: UTF-8 (checked by pyarrow),
    comma-separated header, no lone ``\r``, no NUL byte, no space before an
    opening quote, within ``max_rows``. Anything else (and any pyarrow error) returns None, so every message and
    its line number come from the careful path.
    """
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a requirement
        return None
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    if not body or body[:1] in b" \t\r\n" or b"\x00" in body:
        return None
    cr = body.count(b"\r")
    if cr and cr != body.count(b"\r\n"):  # a lone \r ends a line for the careful parser
        return None
    n_lines = body.count(b"\n") + (not body.endswith(b"\n"))
    if n_lines > max_rows + 1 or n_lines < 2:
        return None
    # (blank and whitespace-only lines need no test: pyarrow refuses their field count and the careful path runs)
    first = body[:body.find(b"\n")] if b"\n" in body[:1 << 20] else body.split(b"\n", 1)[0]
    first = first.rstrip(b"\r")
    if b"," not in first or b' "' in body or b'\t"' in body:  # a space-led quote needs skipinitialspace
        return None
    import csv

    try:
        header = next(csv.reader([first.decode("utf-8")]))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None
    names = [f"f{j}" for j in range(len(header))]
    quoted = b'"' in body
    try:
        tbl = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24, use_threads=False),
            parse_options=pacsv.ParseOptions(newlines_in_values=quoted, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names}, null_values=[],
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowException, ValueError):
        return None
    if tbl.num_rows < 2:
        return None
    df = tbl.to_pandas()
    df.columns = range(len(names))
    lines: tuple[int, ...] = ()
    if tbl.num_rows != n_lines:  # a quoted value spans lines: find where each record starts
        starts = _record_lines(body.decode("utf-8"))
        if starts is None or len(starts) != tbl.num_rows:
            return None
        lines = tuple(starts[1:])
    names_ = [str(v) if str(v).strip() else f"Unnamed: {j}" for j, v in enumerate(df.iloc[0])]
    data = df.iloc[1:].reset_index(drop=True)
    data.columns = names_
    table = _finish(data, str(path), None, 1)
    return Table(table.frame, table.file, None, table.header_row, table.original_columns, lines)




def _read_csv(path: Path, raw: bytes, max_rows: int = MAX_ROWS) -> Table:
    if raw.startswith(b"PK\x03\x04"):
        raise _fail(path, "file is an Excel/zip workbook but its name ends in .csv: rename it to .xlsx")
    fast = _read_csv_fast(path, raw, max_rows)
    if fast is not None:
        return fast
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataValidationError([Problem(str(path), line, None,
                                           "file is not UTF-8 text (re-save it as CSV UTF-8)",
                                           raw[exc.start: exc.start + 1])]) from None
    if not text.strip():
        raise _fail(path, "file is empty (expected a header row and at least one data row)")
    body = text.lstrip(" \t\r\n")  # blank lines before the header: counted, not parsed
    lead = text[: len(text) - len(body)].count("\n")
    first = body.splitlines()[0]
    if "," not in first and any(sep in first for sep in (";", "\t", "|")):
        sep = {";": "semicolon", "\t": "tab", "|": "pipe"}[next(s for s in (";", "\t", "|") if s in first)]
        raise DataValidationError([Problem(str(path), lead + 1, None,
                                           f"wrong delimiter: the header is {sep}-separated; esglib reads "
                                           "comma-separated files", first[:80])])
    lines = count_lines(raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw)
    if lines > max_rows + 1:
        raise _fail(path, f"file has {lines:,} lines, more than the {max_rows:,} data rows esglib reads from one "
                          "file: split it into smaller files, or raise the limit (esglib --max-rows N; "
                          "max_rows=N in Python)")
    try:
        # header=None: the header is taken by hand below, so pandas never turns extra leading fields into an
        # index, never renames duplicate names, and a row longer than the header is an error on its line;
        # skip_blank_lines=False keeps blank lines as (blank) rows so row i stays on line header + 1 + i
        df = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False, skipinitialspace=True, header=None,
                         skip_blank_lines=False)
    except pd.errors.ParserError as exc:
        raise DataValidationError([_parser_problem(str(path), str(exc), lead)]) from None
    except pd.errors.EmptyDataError:
        raise _fail(path, "file is empty (expected a header row and at least one data row)") from None
    df = df.fillna("")
    names = [str(v) if str(v).strip() else f"Unnamed: {j}" for j, v in enumerate(df.iloc[0])]
    data = df.iloc[1:].reset_index(drop=True)
    data.columns = names
    starts = _record_lines(body) if '"' in body else None
    lines: tuple[int, ...] = ()
    if starts is not None and len(starts) == len(df) and starts != list(range(1, len(df) + 1)):
        lines = tuple(lead + n for n in starts[1:])
    table = _finish(data, str(path), None, lead + 1)
    return Table(table.frame, table.file, None, table.header_row, table.original_columns, lines)


def _record_lines(text: str) -> list[int] | None:
    """1-based line on which each CSV record starts (quoted values may span lines), or None if unsure."""
    import csv

    starts: list[int] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
        end = 0
        for _ in reader:
            starts.append(end + 1)
            end = reader.line_num
    except (csv.Error, ValueError):
        return None
    return starts


def _parser_problem(file: str, message: str, lead: int = 0) -> Problem:
    """Locate a pandas CSV parser error on its line (``lead`` blank lines were cut before parsing)."""
    message = " ".join(message.split())
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if fields:
        want, line, saw = (int(g) for g in fields.groups())
        return Problem(file, lead + line, None, f"not a well-formed CSV file: expected {want} fields as in the "
                                                f"header, saw {saw} (a value containing a comma must be quoted)")
    quote = re.search(r"EOF inside string starting at row (\d+)", message)
    if quote:  # pandas counts rows from 0 here: row 3 is line 4
        return Problem(file, lead + int(quote.group(1)) + 1, None,
                       "not a well-formed CSV file: a quoted value that starts on this line never closes its quote")
    line = re.search(r"\bline (\d+)", message)
    return Problem(file, lead + int(line.group(1)) if line else None, None,
                   f"not a well-formed CSV file ({message})")


def _read_xlsx(path: Path, raw: bytes, sheet: str | None) -> Table:
    if raw.startswith(b"\xd0\xcf\x11\xe0") and "EncryptedPackage".encode("utf-16-le") in raw:
        raise _fail(path, "the workbook is password-protected (encrypted): save a copy without a password")
    if not raw.startswith(b"PK"):
        head = raw[:200].decode("utf-8", "replace")
        hint = " (it looks like CSV text: rename it to .csv)" if "," in head else ""
        raise _fail(path, f"not a valid .xlsx workbook: the file is not a zip archive{hint}")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            unpacked = sum(i.file_size for i in zf.infolist())
            if unpacked > MAX_UNZIPPED_BYTES:
                raise _fail(path, f"refused: the workbook unpacks to more than {MAX_UNZIPPED_BYTES / 2**20:.0f} MiB "
                                  f"({unpacked / 2**20:,.0f} MiB from a {len(raw) / 2**20:,.1f} MiB file; a zip bomb "
                                  "or an oversized sheet)")
            bad = zf.testzip()
            if bad is not None:
                raise _fail(path, f"corrupt .xlsx workbook: member {bad!r} fails its checksum")
    except DataValidationError:
        raise
    except RuntimeError as exc:  # zipfile: "File ... is encrypted, password required for extraction"
        raise _fail(path, f"corrupt or encrypted .xlsx workbook: the zip archive cannot be read ({exc})") from None
    except Exception as exc:  # BadZipFile, and a damaged archive's ValueError, zlib.error, EOFError, OSError...
        raise _fail(path, f"corrupt .xlsx workbook: the zip archive cannot be read ({type(exc).__name__})") from None
    try:
        import defusedxml  # noqa: F401  (openpyxl switches to defusedxml when it is importable)
        from defusedxml import DefusedXmlException
    except ImportError:  # pragma: no cover - defusedxml is a requirement
        raise _fail(path, "refusing to read an Excel workbook without defusedxml installed") from None
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            sheet, scan = _scan(zf, path, sheet)
    except DataValidationError:
        raise
    except DefusedXmlException as exc:
        raise _fail(path, f"refused: the workbook contains unsafe XML ({type(exc).__name__}: entities or external "
                          "references are not allowed)") from None
    except Exception as exc:  # malformed workbook XML: openpyxl would fail on it too
        raise _fail(path, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from None
    try:
        xls = pd.ExcelFile(io.BytesIO(raw), engine="openpyxl")
        names = xls.sheet_names
        if sheet is None:
            sheet = next((s for s in names if s.lower() in {"disclosures", "holdings"}), names[0])
        elif sheet not in names:
            raise _fail(path, f"workbook has no sheet named {sheet!r} (sheets: {', '.join(names)})")
        # header=None: take the header row by hand so a repeated column name is caught, not renamed "x.1";
        # nrows: formatted but empty rows after the last value are never loaded
        raw_df = pd.read_excel(xls, sheet_name=sheet, dtype=str, keep_default_na=False, header=None,
                               nrows=scan.last_value_row or None)
        raw_df = _apply_scan(raw_df, scan)
        if raw_df.empty:
            raise _fail(path, f"sheet {sheet!r} is empty (expected a header row and at least one data row)")
        names = ["" if v is None else str(v).strip() for v in raw_df.iloc[0]]
        df = raw_df.iloc[1:].reset_index(drop=True)
        df.columns = [n if n else f"unnamed: {i}" for i, n in enumerate(names)]
    except DataValidationError:
        raise
    except DefusedXmlException as exc:
        raise _fail(path, f"refused: the workbook contains unsafe XML ({type(exc).__name__}: entities or external "
                          "references are not allowed)") from None
    except (KeyError, ValueError, TypeError, OSError, zipfile.BadZipFile, IndexError, AttributeError) as exc:
        cause = exc.__cause__ or exc.__context__  # openpyxl wraps defusedxml's refusal in a ValueError
        if isinstance(cause, DefusedXmlException):
            raise _fail(path, f"refused: the workbook contains unsafe XML ({type(cause).__name__}: entities or "
                              "external references are not allowed)") from None
        raise _fail(path, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # lxml/ElementTree parse errors and other malformed-XML failures
        raise _fail(path, f"not a readable .xlsx workbook ({type(exc).__name__})") from None
    df = df.map(lambda v: "" if v is None else str(v))
    # Excel stores whole numbers typed in a text-typed read as e.g. '2023'; floats such as '1.0' stay as read.
    return _finish(df, str(path), sheet, 1)


def _scan(zf: zipfile.ZipFile, path: Path, sheet: str | None) -> tuple[str | None, WorkbookScan]:
    """Choose the sheet to read (visible sheets only) and scan it; refuse Strict Open XML and oversized sheets."""
    first = scan_workbook(zf, None, MAX_ROWS + 1)
    if first.strict:
        raise _fail(path, "the workbook is saved as 'Strict Open XML Spreadsheet', which esglib cannot read: open it "
                          "in Excel and save it as 'Excel Workbook (.xlsx)'")
    states = dict(first.sheets)
    visible = [n for n, st in first.sheets if st == "visible"]
    if sheet is None and states:
        wanted = next((n for n, _ in first.sheets if n.lower() in {"disclosures", "holdings"}), None)
        if wanted is None and not visible:
            raise _fail(path, "every sheet of the workbook is hidden: unhide the sheet to read")
        sheet = wanted if wanted is not None else visible[0]
    if sheet is not None and states.get(sheet, "visible") != "visible":
        others = [n for n in visible if n != sheet]
        hint = f"; the visible sheets are {', '.join(repr(n) for n in others)}" if others else ""
        raise _fail(path, f"sheet {sheet!r} is hidden: esglib reads visible sheets only, so it does not guess which "
                          f"sheet you meant: unhide it (or delete it){hint}")
    scan = scan_workbook(zf, sheet, MAX_ROWS + 1)
    if scan.value_rows > MAX_ROWS + 1:
        raise _fail(path, f"sheet {sheet!r} has more than {MAX_ROWS:,} rows of data, more than esglib reads from one "
                          "file: split it into smaller files")
    return sheet, scan


def _apply_scan(raw_df: pd.DataFrame, scan: WorkbookScan) -> pd.DataFrame:
    """Cells as the user sees them: an error cell as its name (``#DIV/0!``), a percent cell as a percent."""
    if not scan.errors and not scan.percent:
        return raw_df
    out = raw_df.copy()
    n_rows, n_cols = out.shape
    for (r, c), name in scan.errors.items():
        if 1 <= r <= n_rows and 1 <= c <= n_cols:
            out.iat[r - 1, c - 1] = name
    for (r, c), v in scan.percent.items():
        if 2 <= r <= n_rows and 1 <= c <= n_cols:  # data rows only; 0.64 shown as 64% is the number 64
            out.iat[r - 1, c - 1] = repr(float(f"{v * 100:.15g}"))
    return out


def _finish(df: pd.DataFrame, file: str, sheet: str | None, header_row: int) -> Table:
    original = tuple(str(c) for c in df.columns)
    cols = [str(c).strip().lower() for c in df.columns]
    df = df.copy()
    df.columns = cols
    unnamed = [c for c in cols if c.startswith("unnamed:")]
    # drop trailing empty columns silently (common in spreadsheets); named empty columns are kept
    for c in unnamed:
        if (df[c].astype(str).str.strip() == "").all():
            df = df.drop(columns=c)
    if len(df.columns) != len(set(df.columns)):
        dup = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
        raise DataValidationError([Problem(file, header_row, None, "duplicate column names in the header", dup)])
    df = pd.DataFrame({c: (s if s.dtype == "str" else s.astype(str)).str.strip() for c, s in df.items()},
                      index=df.index, columns=df.columns)
    # drop fully blank rows (Excel often has formatted but empty rows)
    blank = (df == "").all(axis=1)
    if blank.any():
        df = df.loc[~blank]
    if df.empty:
        raise DataValidationError([Problem(file, None, None, "file has a header but no data rows")])
    kept = [o for o, c in zip(original, cols, strict=False) if c in df.columns]
    return Table(df, file, sheet, header_row, tuple(kept))


def read_table(path: str | Path, sheet: str | None = None, *, max_rows: int | None = None,
               max_bytes: int | None = None) -> Table:
    """Read a CSV or XLSX file as text cells.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (UTF-8, comma-separated; a BOM is accepted) or ``.xlsx``.
    sheet : str, optional
        Worksheet to read (default: ``Disclosures``/``Holdings`` if present, else the first sheet).
    max_rows : int, optional
        Most CSV data lines accepted (default :data:`MAX_ROWS`); raising it above the default also raises the
        file-size limit to ``max_rows * BYTES_PER_ROW`` bytes when that is above :data:`MAX_FILE_BYTES`.
    max_bytes : int, optional
        Refuse a file larger than this many bytes before parsing it (default :data:`MAX_FILE_BYTES`, 512 MiB, or the
        ``max_rows`` allowance when that is larger).

    Returns
    -------
    Table
        The cells as strings plus the means to name each cell.

    Raises
    ------
    DataValidationError
        For a missing, empty, oversized, mis-delimited, non-UTF-8, corrupt or unsafe file.
    """
    if not isinstance(path, (str, PathLike)):
        raise ConfigError(f"`path` must be a file path (str or Path), got {type(path).__name__}")
    p = Path(path)
    if not p.exists():
        raise _fail(path, "file not found")
    if p.is_dir():
        raise _fail(path, "is a folder, not a file")
    if not p.is_file():  # a FIFO, /dev/zero, a socket: reading could block or never end
        raise _fail(path, "is not a regular file (a pipe, device or socket): save the data to a .csv or .xlsx "
                          "file and pass that")
    if max_rows is None:
        max_rows = MAX_ROWS
    if int(max_rows) < 1:
        raise ValueError("`max_rows` must be a positive integer")
    max_rows = int(max_rows)
    size = p.stat().st_size
    limit = max_bytes if max_bytes is not None else (
        MAX_FILE_BYTES if max_rows <= MAX_ROWS else max(MAX_FILE_BYTES, max_rows * BYTES_PER_ROW))
    if size > limit:
        raise _fail(path, f"file is too large to read safely ({size / 2**20:.0f} MiB > "
                          f"{limit / 2**20:.0f} MiB limit); split it")
    raw = p.read_bytes()
    if not raw or (raw[:1].isspace() and not raw.strip()):  # (no 2nd copy of a big file just to test blankness)
        raise _fail(path, "file is empty (expected a header row and at least one data row)")
    if p.suffix.lower() in XLSX_SUFFIXES:
        return _read_xlsx(p, raw, sheet)
    if p.suffix.lower() == ".xls":
        raise _fail(path, "legacy .xls workbooks are not supported: save as .xlsx or .csv")
    return _read_csv(p, raw, max_rows)


def require_columns(table: Table, required: tuple[str, ...], aliases: dict[str, tuple[str, ...]] | None = None
                    ) -> dict[str, str]:
    """Check required columns, suggesting near-misses; return {canonical name -> column in the file}.

    Parameters
    ----------
    table : Table
    required : tuple of str
        Canonical column names that must be present.
    aliases : dict, optional
        Accepted alternative spellings per canonical name (already lower-case).
    """
    aliases = aliases or {}
    found: dict[str, str] = {}
    problems = []
    cols = list(table.frame.columns)
    for name in required:
        options = (name, *aliases.get(name, ()))
        hit = next((c for c in options if c in cols), None)
        if hit is not None:
            found[name] = hit
            continue
        close = difflib.get_close_matches(name, cols, n=1, cutoff=0.7)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(Problem(table.file, table.header_row, name,
                                f"missing required column {name!r}{hint}; header has {', '.join(cols)}"))
    if problems:
        raise DataValidationError(problems)
    return found
