"""Look inside an .xlsx workbook before pandas loads it: sheet visibility, size, error cells, percent formats.

pandas (through openpyxl) loses what a user sees in Excel: a value typed as ``64%`` is stored as 0.64 with a
percent number format, ``#DIV/0!`` becomes NaN, a hidden sheet is as good as a visible one, a Strict Open XML
workbook fails with ``IndexError`` and a sheet of a million formatted but empty rows is loaded in full. This
module reads the workbook's own XML (with defusedxml, streaming) to recover those facts, so the reader can
refuse or translate them with a message the user understands.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field

__all__ = ["WorkbookScan", "scan_workbook", "STRICT_NS"]

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
#: Namespace of Strict Open XML spreadsheets (which openpyxl cannot read).
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
#: Built-in number formats that show a percent (0% and 0.00%).
_PERCENT_BUILTIN = {9, 10}
_CELL = re.compile(r"([A-Z]+)(\d+)")


@dataclass
class WorkbookScan:
    """What :func:`scan_workbook` found.

    Attributes
    ----------
    sheets : list of (name, state)
        Every sheet in workbook order, with ``visible``, ``hidden`` or ``veryHidden``.
    strict : bool
        The workbook is Strict Open XML.
    dimension_rows : int or None
        Last row of the sheet's declared dimension (``<dimension ref="A1:D1000000">``), if any.
    rows_seen : int
        ``<row>`` elements (formatted empty rows included).
    value_rows : int
        Rows holding at least one value (the scan stops past ``max_rows`` of them).
    last_value_row : int
        1-based number of the last row holding a value (0: none).
    errors : dict
        ``{(row, col): "#DIV/0!"}`` (1-based) for each error cell of the scanned sheet.
    percent : dict
        ``{(row, col): value}`` for each numeric cell shown as a percent (``value`` as stored, e.g. 0.64).
    """

    sheets: list[tuple[str, str]] = field(default_factory=list)
    strict: bool = False
    dimension_rows: int | None = None
    rows_seen: int = 0
    value_rows: int = 0
    last_value_row: int = 0
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    percent: dict[tuple[int, int], float] = field(default_factory=dict)


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _parse(zf: zipfile.ZipFile, name: str):
    from defusedxml import ElementTree

    with zf.open(name) as fh:
        return ElementTree.parse(fh).getroot()


def _sheet_parts(zf: zipfile.ZipFile) -> tuple[list[tuple[str, str, str | None]], bool]:
    """[(name, state, part path)] from workbook.xml and its relationships; and whether it is Strict."""
    names = set(zf.namelist())
    wb_name = "xl/workbook.xml"
    if wb_name not in names:
        return [], False
    root = _parse(zf, wb_name)
    strict = root.tag.startswith("{" + STRICT_NS)
    ns = STRICT_NS if strict else _MAIN_NS
    rels: dict[str, str] = {}
    rel_name = "xl/_rels/workbook.xml.rels"
    if rel_name in names:
        for rel in _parse(zf, rel_name):
            target = rel.get("Target") or ""
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            rels[rel.get("Id") or ""] = path
    out = []
    sheets = root.find(f"{{{ns}}}sheets")
    for s in [] if sheets is None else list(sheets):
        rid = next((v for k, v in s.attrib.items() if k.endswith("}id")), None)
        out.append((s.get("name") or "", s.get("state") or "visible", rels.get(rid or "")))
    return out, strict


def _percent_styles(zf: zipfile.ZipFile) -> set[int]:
    """Indexes of cell formats (``cellXfs``) whose number format shows a percent."""
    if "xl/styles.xml" not in zf.namelist():
        return set()
    root = _parse(zf, "xl/styles.xml")
    ns = _MAIN_NS
    custom = {}
    fmts = root.find(f"{{{ns}}}numFmts")
    for f in [] if fmts is None else list(fmts):
        code = re.sub(r'"[^"]*"|\\.', "", f.get("formatCode") or "")  # quoted text and escapes are literal
        custom[int(f.get("numFmtId") or -1)] = "%" in code
    xfs = root.find(f"{{{ns}}}cellXfs")
    out = set()
    for i, xf in enumerate([] if xfs is None else list(xfs)):
        fid = int(xf.get("numFmtId") or 0)
        if fid in _PERCENT_BUILTIN or custom.get(fid, False):
            out.add(i)
    return out


def scan_workbook(zf: zipfile.ZipFile, sheet: str | None, max_rows: int) -> WorkbookScan:
    """Scan ``zf`` (an opened .xlsx) and, when ``sheet`` names one of its sheets, that sheet's cells.

    Parameters
    ----------
    zf : ZipFile
    sheet : str or None
        The sheet to scan cell by cell (None: only the workbook's sheet list).
    max_rows : int
        Stop counting rows past this many (the caller refuses such a sheet).
    """
    parts, strict = _sheet_parts(zf)
    scan = WorkbookScan(sheets=[(n, st) for n, st, _ in parts], strict=strict)
    if strict or sheet is None:
        return scan
    part = next((p for n, _, p in parts if n == sheet), None)
    if part is None or part not in zf.namelist():
        return scan
    percent_styles = _percent_styles(zf)
    _scan_sheet(zf, part, scan, percent_styles, max_rows)
    return scan


class _Stop(Exception):
    pass


def _scan_sheet(zf: zipfile.ZipFile, part: str, scan: WorkbookScan, percent_styles: set[int], max_rows: int) -> None:
    """Stream the sheet XML through expat (a callback per element, no tree: a million rows in about a second).

    As with defusedxml's defaults, entity declarations and external references are refused.
    """
    from xml.parsers import expat

    from defusedxml import EntitiesForbidden, ExternalReferenceForbidden

    state = {"cell": None, "t": None, "s": None, "text": [], "in_v": False, "row_value": False}

    def local(name: str) -> str:
        return name.rpartition(":")[2]

    def start(name, attrs):
        tag = local(name)
        if tag == "c":
            state.update(cell=attrs.get("r"), t=attrs.get("t"), s=attrs.get("s"), text=[])
        elif tag in ("v", "t") and state["cell"] is not None:
            state["in_v"] = True
        elif tag == "row":
            state["row_value"] = False
            state["row_r"] = attrs.get("r")
        elif tag == "dimension":
            m = _CELL.fullmatch((attrs.get("ref") or "").split(":")[-1])
            if m is not None:
                scan.dimension_rows = int(m.group(2))

    def end(name):
        tag = local(name)
        if tag in ("v", "t"):
            state["in_v"] = False
        elif tag == "c":
            text = "".join(state["text"]).strip()
            ref, t, style = state["cell"] or "", state["t"], state["s"]
            state["cell"] = None
            if not text:
                return
            state["row_value"] = True
            m = _CELL.fullmatch(ref)
            if m is None:
                return
            where = (int(m.group(2)), _col_index(m.group(1)))
            if t == "e":
                scan.errors[where] = text
            elif t in (None, "n") and style is not None and style.isdigit() and int(style) in percent_styles:
                try:
                    scan.percent[where] = float(text)
                except ValueError:
                    pass
        elif tag == "row":
            scan.rows_seen += 1
            if state["row_value"]:
                scan.value_rows += 1
                r = state.get("row_r")
                scan.last_value_row = int(r) if r and r.isdigit() else scan.rows_seen
                if scan.value_rows > max_rows:
                    raise _Stop

    def chars(data):
        if state["in_v"]:
            state["text"].append(data)

    def forbid_external(context, base, sysid, pubid):
        raise ExternalReferenceForbidden(context, base, sysid, pubid)

    def forbid_entity(name, is_parameter_entity, value, base, sysid, pubid, notation_name):
        raise EntitiesForbidden(name, value, base, sysid, pubid, notation_name)

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.ExternalEntityRefHandler = forbid_external
    parser.EntityDeclHandler = forbid_entity
    parser.buffer_text = True
    try:
        with zf.open(part) as fh:
            parser.ParseFile(fh)
    except _Stop:
        pass
